import { Type, type Static } from '@sinclair/typebox';
import { BACKFILL_PAGE_SIZE, TkError, type EventData } from '@tongkit/sdk';
import type { Database, Queryable } from '../storage/database.js';
import type { PublishableEvent } from '../dispatch/outbox.js';
import type { PublishedEvent } from '../dispatch/schemas.js';
import { eventDataError } from '../dispatch/event-data.js';

/**
 * The merchant's members as a backfill walks them, answered by the members module (the platform does
 * not read its tables): active members created up to a moment, in ID order, a keyset page at a time.
 */
export interface BackfillMembers {
  count(tx: Queryable, merchantId: string, createdUpTo: Date): Promise<number>;
  page(tx: Queryable, merchantId: string, createdUpTo: Date, afterId: string | null, limit: number): Promise<string[]>;
}

/** What a backfill needs of the dispatcher (the Dispatcher has it; named here so installs do not import it). */
export interface BackfillPublisher {
  publishToInstallIn(tx: Queryable, merchantId: string, installId: string, event: PublishableEvent & { id: string }): Promise<PublishedEvent>;
  notify(): void;
}

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

/** An install's backfill as the API shows it (in the install's status). */
export const BackfillStatusSchema = Type.Object(
  {
    status: Type.Union([Type.Literal('running'), Type.Literal('done'), Type.Literal('failed')]),
    membersDone: Type.Integer({ minimum: 0, description: 'Members in pages the plugin handled' }),
    membersTotal: Type.Integer({ minimum: 0, description: 'Members in the backfill, counted when it started' }),
    pagesDone: Type.Integer({ minimum: 0 }),
    snapshotAt: Type.String({ format: 'date-time', description: 'Members created up to this time are in the backfill' }),
    startedAt: Type.String({ format: 'date-time' }),
    finishedAt: Nullable(Type.String({ format: 'date-time' })),
    error: Nullable(Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: true, description: 'Why the page in flight dead-lettered' })),
  },
  { description: 'The install.backfill walk over the members who existed at install (null when the plugin has no backfill handler)' },
);
export type BackfillStatus = Static<typeof BackfillStatusSchema>;

interface BackfillRow {
  install_id: string;
  merchant_id: string;
  status: 'running' | 'done' | 'failed';
  snapshot_at: Date;
  members_total: number;
  members_done: number;
  pages_done: number;
  page_event_id: string | null;
  page_last_member: string | null;
  page_members: number | null;
  cursor_member: string | null;
  attempt: number;
  last_error: { code: string; message: string } | null;
  started_at: Date;
  finished_at: Date | null;
}

/** Tunables of the backfill runner. */
export interface BackfillPolicy {
  /** How often each host process looks for a page to send. */
  pollMs: number;
  /** Members per page (at most the SDK's BACKFILL_PAGE_SIZE). */
  pageSize: number;
}

export const DEFAULT_BACKFILL_POLICY: BackfillPolicy = { pollMs: 500, pageSize: BACKFILL_PAGE_SIZE };
/** How soon to look again after sending a page (the backfill is under way). */
const BUSY_POLL_MS = 20;

/**
 * Install backfills (会员通 core, part 2): a plugin that handles `install.backfill` receives, once
 * installed, the members who existed at that moment, page by page, through the ordinary delivery path
 * (sandbox, budgets, `ctx`, retries, dead letter).
 *
 * - One page is in flight at a time: the next is sent when the delivery of the one before succeeded, so
 *   a slow plugin is never flooded and the progress (`membersDone`) counts handled members only.
 * - Any host process may send the next page: a backfill's row is claimed with `FOR UPDATE SKIP LOCKED`
 *   and a page's event id is derived from (install, page, attempt), so two processes never send it twice.
 * - A page that dead-letters fails the backfill (`failed`, with the delivery's error) until the merchant
 *   resumes it ({@link resume}), which sends that page again under a new attempt's event id.
 * - Members created after the snapshot are not in it (they arrive as `member.registered`); members
 *   erased before their page are left out of it.
 */
export class InstallBackfills {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly db: Database,
    private readonly dispatcher: BackfillPublisher,
    private readonly members: BackfillMembers,
    private readonly policy: BackfillPolicy = DEFAULT_BACKFILL_POLICY,
  ) {}

  /**
   * In the transaction that creates an install: `install.created` to that install when it handles it,
   * and its backfill started when it handles `install.backfill` (both among its enabled events).
   */
  async onInstallCreatedIn(tx: Queryable, install: { id: string; merchantId: string; plugin: string; version: string; enabledEvents: readonly string[] }): Promise<void> {
    const { rows } = await tx.query<{ created_at: Date }>('SELECT created_at FROM installs WHERE id = $1', [install.id]);
    const createdAt = rows[0]!.created_at;
    if (install.enabledEvents.includes('install.created')) {
      const data: EventData<'install.created'> = { installId: install.id, plugin: install.plugin, version: install.version, createdAt: createdAt.toISOString() };
      await this.dispatcher.publishToInstallIn(tx, install.merchantId, install.id, { id: `install.created:${install.id}`, type: 'install.created', data, occurredAt: createdAt });
    }
    if (install.enabledEvents.includes('install.backfill')) {
      const total = await this.members.count(tx, install.merchantId, createdAt);
      await tx.query(
        `INSERT INTO install_backfills (install_id, merchant_id, snapshot_at, members_total) VALUES ($1, $2, $3, $4) ON CONFLICT (install_id) DO NOTHING`,
        [install.id, install.merchantId, createdAt, total],
      );
    }
  }

  /** The backfills of some of a merchant's installs, by install id (absent: no backfill). */
  async statusOf(merchantId: string, installIds: readonly string[], db: Queryable = this.db): Promise<Map<string, BackfillStatus>> {
    if (installIds.length === 0) return new Map();
    const { rows } = await db.query<BackfillRow>('SELECT * FROM install_backfills WHERE merchant_id = $1 AND install_id = ANY($2)', [merchantId, installIds]);
    return new Map(rows.map((row) => [row.install_id, present(row)]));
  }

  /**
   * Resumes a failed backfill: its failed page is sent again under a new event id (or, if the merchant
   * replayed that dead delivery meanwhile, the walk goes on from its outcome). Resuming a backfill that
   * is running is a no-op (a retry is safe); one that is done is TK_CONFLICT.
   */
  async resume(merchantId: string, installId: string): Promise<BackfillStatus> {
    const status = await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<BackfillRow>('SELECT * FROM install_backfills WHERE merchant_id = $1 AND install_id = $2 FOR UPDATE', [merchantId, installId]);
      const row = rows[0];
      if (!row) throw new TkError('TK_NOT_FOUND', `install ${installId} has no backfill`, { path: '/params/id', hint: 'A backfill runs for a plugin that handles install.backfill, when it is installed.' });
      if (row.status === 'done') throw new TkError('TK_CONFLICT', `the backfill of install ${installId} is done`, { hint: 'Its members were all handled; members created since arrive as member.registered.' });
      if (row.status === 'failed') {
        const delivery = row.page_event_id ? await this.deliveryOf(tx, row) : undefined;
        const resend = delivery?.status !== 'pending' && delivery?.status !== 'done';
        await tx.query(
          `UPDATE install_backfills SET status = 'running', last_error = NULL, finished_at = NULL, updated_at = now(),
             attempt = attempt + $3::int, page_event_id = CASE WHEN $3::int = 1 THEN NULL ELSE page_event_id END
           WHERE merchant_id = $1 AND install_id = $2`,
          [merchantId, installId, resend ? 1 : 0],
        );
      }
      return (await this.statusOf(merchantId, [installId], tx)).get(installId)!;
    });
    this.wake();
    return status;
  }

  /** Starts sending pages from this process (also right away). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.wake(), this.policy.pollMs);
    this.timer.unref();
    this.wake();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private wake(): void {
    if (!this.timer) return;
    this.running ??= this.runOnce()
      .then((sent) => {
        // While pages are going out, look again soon: the next page waits only for its predecessor's delivery.
        if (sent > 0) setTimeout(() => this.wake(), BUSY_POLL_MS).unref();
      })
      .catch((error: unknown) => process.emitWarning(`tongkit: an install backfill step failed: ${(error as Error).message}`))
      .finally(() => (this.running = undefined));
  }

  /**
   * One step of every running backfill of active installs that this process can claim: the page in
   * flight is checked (succeeded: counted, the next one is sent; dead: the backfill fails), or the
   * first page is sent. Returns how many pages were sent.
   */
  async runOnce(): Promise<number> {
    const sent = await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<BackfillRow>(
        `SELECT b.* FROM install_backfills b JOIN installs i ON i.id = b.install_id
         WHERE b.status = 'running' AND i.status = 'active' ORDER BY b.updated_at LIMIT 20 FOR UPDATE OF b SKIP LOCKED`,
      );
      let pages = 0;
      for (const row of rows) if (await this.step(tx, row)) pages += 1;
      return pages;
    });
    if (sent > 0) this.dispatcher.notify();
    return sent;
  }

  private async step(tx: Queryable, row: BackfillRow): Promise<boolean> {
    if (row.page_event_id !== null) {
      const delivery = await this.deliveryOf(tx, row);
      if (delivery?.status === 'pending') return false;
      if (delivery?.status === 'dead') {
        const error = { code: delivery.last_error?.code ?? 'TK_INTERNAL', message: delivery.last_error?.message ?? 'the page dead-lettered' };
        await tx.query(`UPDATE install_backfills SET status = 'failed', last_error = $2, finished_at = now(), updated_at = now() WHERE install_id = $1`, [row.install_id, error]);
        return false;
      }
      if (delivery?.status === 'done') {
        row.members_done += row.page_members ?? 0;
        row.pages_done += 1;
        row.cursor_member = row.page_last_member;
        row.attempt = 1; // a resumed page's attempt counts for that page only
      } else {
        // No delivery: the install was off when the page was sent. Send it again under a new id.
        row.attempt += 1;
      }
      row.page_event_id = null;
    }
    const ids = await this.members.page(tx, row.merchant_id, row.snapshot_at, row.cursor_member, this.policy.pageSize + 1);
    if (ids.length === 0) {
      await tx.query(
        `UPDATE install_backfills SET status = 'done', members_done = $2, pages_done = $3, cursor_member = $4, page_event_id = NULL, page_last_member = NULL,
           page_members = NULL, finished_at = now(), updated_at = now() WHERE install_id = $1`,
        [row.install_id, row.members_done, row.pages_done, row.cursor_member],
      );
      return false;
    }
    const memberIds = ids.slice(0, this.policy.pageSize);
    const page = row.pages_done + 1;
    const data: EventData<'install.backfill'> = {
      installId: row.install_id,
      page,
      memberIds,
      membersBefore: row.members_done,
      membersTotal: Math.max(row.members_total, row.members_done + memberIds.length),
      last: ids.length <= this.policy.pageSize,
      snapshotAt: row.snapshot_at.toISOString(),
    };
    const invalid = eventDataError('install.backfill', data);
    if (invalid) throw new TkError('TK_INTERNAL', `an install.backfill page does not match its schema at ${invalid.path}: ${invalid.message}`);
    const eventId = `install.backfill:${row.install_id}:${page}${row.attempt > 1 ? `:${row.attempt}` : ''}`;
    const published = await this.dispatcher.publishToInstallIn(tx, row.merchant_id, row.install_id, { id: eventId, type: 'install.backfill', data, occurredAt: row.snapshot_at });
    if (published.deliveries === 0 && !published.duplicate) {
      // The install is active, so its plugin is outside the merchant's tier now: stop rather than resend.
      const error = { code: 'TK_FORBIDDEN', message: 'the page could not be delivered: the plugin is not in the merchant’s tier any more' };
      await tx.query(`UPDATE install_backfills SET status = 'failed', last_error = $2, attempt = $3 + 1, page_event_id = NULL, finished_at = now(), updated_at = now() WHERE install_id = $1`, [row.install_id, error, row.attempt]);
      return false;
    }
    await tx.query(
      `UPDATE install_backfills SET members_done = $2, pages_done = $3, cursor_member = $4, attempt = $5, page_event_id = $6, page_last_member = $7, page_members = $8, updated_at = now()
       WHERE install_id = $1`,
      [row.install_id, row.members_done, row.pages_done, row.cursor_member, row.attempt, eventId, memberIds.at(-1), memberIds.length],
    );
    return true;
  }

  private async deliveryOf(tx: Queryable, row: BackfillRow): Promise<{ status: 'pending' | 'done' | 'dead'; last_error: { code: string; message: string } | null } | undefined> {
    const { rows } = await tx.query<{ status: 'pending' | 'done' | 'dead'; last_error: { code: string; message: string } | null }>(
      'SELECT status, last_error FROM deliveries WHERE merchant_id = $1 AND event_id = $2 AND install_id = $3',
      [row.merchant_id, row.page_event_id, row.install_id],
    );
    return rows[0];
  }
}

function present(row: BackfillRow): BackfillStatus {
  return {
    status: row.status,
    membersDone: row.members_done,
    membersTotal: Math.max(row.members_total, row.members_done),
    pagesDone: row.pages_done,
    snapshotAt: row.snapshot_at.toISOString(),
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
    error: row.last_error,
  };
}
