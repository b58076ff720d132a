import type { Database, Queryable } from '../storage/database.js';

/** One `invocations` row, with the time of the call (not of the write). */
export interface InvocationRow {
  id: string;
  merchantId: string;
  installId: string | null;
  plugin: string | null;
  version: string | null;
  point: string;
  storeId: string | null;
  ok: boolean;
  fallback: boolean;
  errorCode: string | null;
  errorMessage: string | null;
  /** JSON text, made storable. */
  input: string;
  output: string;
  measurements: string | null;
  at: Date;
}

export interface InvocationLogPolicy {
  /** Rows held before the buffer sheds successful calls' rows (failures and fallbacks are never shed). */
  maxBuffered: number;
  /** Rows per INSERT. */
  batchRows: number;
  /** How long a row may wait for its batch. */
  flushMs: number;
}

export const DEFAULT_INVOCATION_LOG_POLICY: InvocationLogPolicy = { maxBuffered: 20_000, batchRows: 500, flushMs: 20 };

const COLUMNS = 'id, merchant_id, install_id, plugin_name, version, point, store_id, ok, fallback, error_code, error_message, input, output, measurements, created_at';

/** Inserts rows in one statement: one array per column, unnested. */
export async function insertInvocations(db: Queryable, rows: readonly InvocationRow[]): Promise<void> {
  if (rows.length === 0) return;
  const column = <T>(pick: (row: InvocationRow) => T) => rows.map(pick);
  await db.query(
    `INSERT INTO invocations (${COLUMNS})
     SELECT id, merchant_id, install_id, plugin_name, version, point, store_id, ok, fallback, error_code, error_message, input::jsonb, output::jsonb, measurements::jsonb, created_at
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::boolean[], $9::boolean[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::timestamptz[])
       AS r(id, merchant_id, install_id, plugin_name, version, point, store_id, ok, fallback, error_code, error_message, input, output, measurements, created_at)
     ON CONFLICT (id) DO NOTHING`,
    [
      column((r) => r.id),
      column((r) => r.merchantId),
      column((r) => r.installId),
      column((r) => r.plugin),
      column((r) => r.version),
      column((r) => r.point),
      column((r) => r.storeId),
      column((r) => r.ok),
      column((r) => r.fallback),
      column((r) => r.errorCode),
      column((r) => r.errorMessage),
      column((r) => r.input),
      column((r) => r.output),
      column((r) => r.measurements),
      column((r) => r.at),
    ],
  );
}

/**
 * The invoke route's invocation log, written behind: rows are buffered and inserted in batches off the
 * request path (a few ms after the call), so a decision costs no log write of its own. Bounded: past
 * `maxBuffered` rows a successful call's row is shed and counted (`shed`); a failure's or a fallback's
 * row is always kept. A batch that fails to write is kept and retried. {@link flush} writes everything
 * buffered so far — the host's readers of the log call it first (this process reads its own writes),
 * and `close` calls it. What a crash of the process can lose is the rows of the last `flushMs` (and of
 * a database outage it was riding out); decisions the host applies itself (a tier, points) are logged in
 * their own transaction instead, never here.
 */
export class InvocationLogWriter {
  private buffer: InvocationRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;
  /** Successful calls' rows dropped because the buffer was full. */
  shed = 0;
  /** Rows written. */
  written = 0;
  /** Rows the database refused (a merchant deleted meanwhile, say): warned about, not retried. */
  refused = 0;

  constructor(
    private readonly db: Database,
    private readonly policy: InvocationLogPolicy = DEFAULT_INVOCATION_LOG_POLICY,
  ) {}

  /** Buffers a row; never throws and never waits. */
  add(row: InvocationRow): void {
    if (this.buffer.length >= this.policy.maxBuffered && row.ok && !row.fallback) {
      this.shed++;
      return;
    }
    this.buffer.push(row);
    if (this.closed) return;
    if (this.buffer.length >= this.policy.batchRows) this.schedule(0);
    else this.schedule(this.policy.flushMs);
  }

  /** Resolves once every row buffered before the call is written (or its write failed and was re-queued). */
  async flush(): Promise<void> {
    if (this.buffer.length > 0) this.startWrite();
    await this.writing;
  }

  /** Writes what is buffered and stops the timer; later rows are written only by {@link flush}. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private schedule(ms: number): void {
    if (this.timer !== undefined && ms > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.startWrite();
    }, ms);
    this.timer.unref();
  }

  /** Chains a write of everything buffered now, batch by batch, after the write in progress. */
  private startWrite(): void {
    const rows = this.buffer;
    this.buffer = [];
    this.writing = this.writing.then(async () => {
      for (let from = 0; from < rows.length; from += this.policy.batchRows) {
        const batch = rows.slice(from, from + this.policy.batchRows);
        try {
          await insertInvocations(this.db, batch);
          this.written += batch.length;
        } catch (error) {
          // A row the database refuses (a constraint, bad data) must not hold up the others: row by row.
          if (refusesData(error)) {
            await this.writeEach(batch);
            continue;
          }
          // The database is away: kept for the next write, in front of newer rows.
          const rest = rows.slice(from);
          this.buffer = [...rest, ...this.buffer];
          // Closed under us (services dropped without close()): nothing will take them any more.
          if ((error as Error).message.includes('after calling end on the pool')) return;
          process.emitWarning(`tongkit: ${rest.length} invocation log rows could not be written yet (${(error as Error).message}); retrying`);
          if (!this.closed) this.schedule(1_000);
          return;
        }
      }
    });
  }

  private async writeEach(rows: readonly InvocationRow[]): Promise<void> {
    for (const row of rows) {
      try {
        await insertInvocations(this.db, [row]);
        this.written++;
      } catch (error) {
        this.refused++;
        process.emitWarning(`tongkit: invocation ${row.id} of ${row.point} for ${row.merchantId} was not logged: ${(error as Error).message}`);
      }
    }
  }
}

/** A PostgreSQL error about the data (SQLSTATE class 22 or 23), not about reaching the database. */
function refusesData(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}
