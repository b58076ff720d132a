import type { Database } from '../storage/database.js';
import { CLOSED, type BreakerPolicy, type BreakerState, type BreakerStatus } from './circuit-breaker.js';

/** How stale a process's copy of a breaker's shared state may be: a breaker opened elsewhere is honoured within it. */
export const BREAKER_REFRESH_MS = 1_000;

interface SharedRow {
  status: BreakerStatus;
  opened_at: Date | null;
}

/** The last `size` outcomes of one install's point in this process: a sliding window. */
class OutcomeWindow {
  private readonly failed: Uint8Array;
  private next = 0;
  private filled = 0;
  errors = 0;
  constructor(size: number) {
    this.failed = new Uint8Array(Math.max(1, size));
  }
  push(failed: boolean): void {
    if (this.filled === this.failed.length) this.errors -= this.failed[this.next]!;
    else this.filled++;
    this.failed[this.next] = failed ? 1 : 0;
    this.errors += failed ? 1 : 0;
    this.next = (this.next + 1) % this.failed.length;
  }
  get calls(): number {
    return this.filled;
  }
  clear(): void {
    this.failed.fill(0);
    this.next = 0;
    this.filled = 0;
    this.errors = 0;
  }
}

interface Entry {
  window: OutcomeWindow;
  shared: { status: BreakerStatus; openedAt: number | null };
  checkedAt: number;
  reading: Promise<void> | undefined;
}

/**
 * Circuit breakers for the extension invoker, without a database round trip per call. Each process
 * counts outcomes in memory over a sliding window of the last `windowCalls` calls (per install and
 * point); only transitions are written to `circuit_breakers` — closed → open when this process's window
 * holds `errorThreshold` failures, open → half-open when a process claims the one probe, and the probe's
 * result — and every process reads the shared state at most every {@link BREAKER_REFRESH_MS}, so a
 * breaker opened on one host pauses the plugin on all of them within that bound. Each transition is a
 * conditional UPDATE, so two processes never both take the probe. A probe whose process died is given
 * to another after `openMs`.
 */
export class SharedBreakers {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly db: Database,
    private readonly policy: BreakerPolicy,
    private readonly now: () => number = Date.now,
    private readonly refreshMs = BREAKER_REFRESH_MS,
  ) {}

  /** Whether a call may go to the plugin now; `probe` when it is the half-open probe. */
  async admit(installId: string, point: string): Promise<{ allowed: boolean; probe: boolean }> {
    const entry = await this.fresh(installId, point);
    const { status, openedAt } = entry.shared;
    if (status === 'closed') return { allowed: true, probe: false };
    const now = this.now();
    // Open and cooled down, or a probe that has not answered within openMs (its process died): claim it.
    if (openedAt === null || now - openedAt < this.policy.openMs) return { allowed: false, probe: false };
    const claimed = await this.db.query(
      `UPDATE circuit_breakers SET status = 'half_open', opened_at = $4, updated_at = now()
       WHERE install_id = $1 AND point = $2 AND status = $3 AND opened_at IS NOT DISTINCT FROM $5`,
      [installId, point, status, new Date(now), new Date(openedAt)],
    );
    if (claimed.rowCount === 1) {
      entry.shared = { status: 'half_open', openedAt: now };
      return { allowed: true, probe: true };
    }
    entry.checkedAt = -Infinity; // someone else took it: read the state anew next time
    return { allowed: false, probe: false };
  }

  /**
   * Records a call's outcome. `countsAgainstPlugin` is false for failures that are not the plugin's
   * fault (a timeout while the host was saturated, a crashed worker): they neither open nor close it.
   */
  async record(installId: string, point: string, outcome: { ok: boolean; countsAgainstPlugin: boolean; probe: boolean }): Promise<void> {
    const entry = this.entry(installId, point);
    if (outcome.probe) {
      if (outcome.ok) return this.write(entry, installId, point, 'half_open', { status: 'closed', openedAt: null });
      // A failure that is not the plugin's leaves the probe's time: another probe may follow soon.
      const openedAt = outcome.countsAgainstPlugin ? this.now() : (entry.shared.openedAt ?? this.now());
      return this.write(entry, installId, point, 'half_open', { status: 'open', openedAt });
    }
    if (entry.shared.status !== 'closed') return;
    if (!outcome.ok && !outcome.countsAgainstPlugin) return;
    entry.window.push(!outcome.ok);
    if (entry.window.errors >= this.policy.errorThreshold) await this.write(entry, installId, point, 'closed', { status: 'open', openedAt: this.now() });
  }

  /** The shared state of an install's point, as stored (closed when it never opened), with this process's window. */
  async state(installId: string, point: string): Promise<BreakerState> {
    const { rows } = await this.db.query<SharedRow>('SELECT status, opened_at FROM circuit_breakers WHERE install_id = $1 AND point = $2', [installId, point]);
    const window = this.entries.get(key(installId, point))?.window;
    if (!rows[0]) return { ...CLOSED, calls: window?.calls ?? 0, errors: window?.errors ?? 0 };
    return { status: rows[0].status, calls: window?.calls ?? 0, errors: window?.errors ?? 0, openedAt: rows[0].opened_at?.getTime() ?? null };
  }

  private entry(installId: string, point: string): Entry {
    const k = key(installId, point);
    let entry = this.entries.get(k);
    if (!entry) {
      entry = { window: new OutcomeWindow(this.policy.windowCalls), shared: { status: 'closed', openedAt: null }, checkedAt: -Infinity, reading: undefined };
      this.entries.set(k, entry);
    }
    return entry;
  }

  /** The entry with its shared state read within the refresh bound (one read per key at a time). */
  private async fresh(installId: string, point: string): Promise<Entry> {
    const entry = this.entry(installId, point);
    if (this.now() - entry.checkedAt < this.refreshMs) return entry;
    entry.reading ??= (async () => {
      try {
        const { rows } = await this.db.query<SharedRow>('SELECT status, opened_at FROM circuit_breakers WHERE install_id = $1 AND point = $2', [installId, point]);
        const shared = rows[0] ? { status: rows[0].status, openedAt: rows[0].opened_at?.getTime() ?? null } : { status: 'closed' as const, openedAt: null };
        // Closed again elsewhere (a probe succeeded): this process's old failures do not count twice.
        if (entry.shared.status !== 'closed' && shared.status === 'closed') entry.window.clear();
        entry.shared = shared;
        entry.checkedAt = this.now();
      } finally {
        entry.reading = undefined;
      }
    })();
    await entry.reading;
    return entry;
  }

  /** Writes a transition if the shared state is still `from` (another process may have moved it first). */
  private async write(entry: Entry, installId: string, point: string, from: BreakerStatus, to: { status: BreakerStatus; openedAt: number | null }): Promise<void> {
    const openedAt = to.openedAt === null ? null : new Date(to.openedAt);
    const written =
      from === 'closed'
        ? await this.db.query(
            `INSERT INTO circuit_breakers (install_id, point, status, opened_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (install_id, point) DO UPDATE SET status = EXCLUDED.status, opened_at = EXCLUDED.opened_at, calls = 0, errors = 0, updated_at = now()
             WHERE circuit_breakers.status = 'closed'`,
            [installId, point, to.status, openedAt],
          )
        : await this.db.query(`UPDATE circuit_breakers SET status = $4, opened_at = $5, calls = 0, errors = 0, updated_at = now() WHERE install_id = $1 AND point = $2 AND status = $3`, [
            installId,
            point,
            from,
            to.status,
            openedAt,
          ]);
    entry.window.clear();
    if (written.rowCount === 1) {
      entry.shared = to;
      entry.checkedAt = this.now();
    } else {
      entry.checkedAt = -Infinity;
    }
  }
}

function key(installId: string, point: string): string {
  return `${installId}\u0000${point}`;
}
