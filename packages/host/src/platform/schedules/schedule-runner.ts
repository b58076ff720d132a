import { hostname } from 'node:os';
import { createHash } from 'node:crypto';
import type { Manifest } from '@tongkit/sdk';
import type { Database, Queryable } from '../storage/database.js';
import type { HostModule, HostPlatform, HostSchedule } from '../modules/host-module.js';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import { dueSlot } from './cron-slots.js';

/** Tunables of the {@link ScheduleRunner}. */
export interface SchedulePolicy {
  /** How often each host process looks for due slots. Cron's resolution is a minute. */
  tickMs: number;
  /** How long a host schedule's claim is held; a claim past its lease (its process died) is taken over. */
  leaseMs: number;
}

export const DEFAULT_SCHEDULE_POLICY: SchedulePolicy = { tickMs: 15_000, leaseMs: 10 * 60_000 };

/** What one tick did (for tests and the CLI). */
export interface ScheduleTick {
  /** Plugin slots claimed here: one `schedule.fired` each. */
  fired: Array<{ installId: string; schedule: string; slot: string; missedSlots: number; eventId: string }>;
  /** Host module slots run here. */
  ran: Array<{ module: string; schedule: string; slot: string; missedSlots: number; ok: boolean }>;
}

interface InstallSchedules {
  id: string;
  merchant_id: string;
  created_at: Date;
  time_zone: string;
  schedules: NonNullable<Manifest['schedules']>;
}

/**
 * Runs cron triggers — plugins' (`schedules` in the manifest) and host modules' own — on every host
 * process at once, each (owner, schedule, slot) at least once, settled in PostgreSQL: a slot is claimed by
 * `INSERT … ON CONFLICT DO NOTHING` on `schedule_claims` (migration 040), so of several processes
 * evaluating one cron only one claims a slot.
 *
 * - A plugin's slot is claimed in the same transaction that writes its `schedule.fired` event for that
 *   install to the outbox: the event exists once, and the dispatcher delivers it at least once through the
 *   ordinary path (sandbox, budgets, `ctx`, retries, dead letter). The cron is evaluated in the merchant's
 *   time zone.
 * - A host module's schedule (points expiry) runs in the claiming process under a lease; if that process
 *   dies, another takes the claim over when the lease ends. Host schedules are evaluated in UTC: they work
 *   across merchants.
 * - Missed slots (downtime, a stopped host): only the latest due slot runs; the older ones are counted
 *   on its claim and in the event (`missedSlots`). See docs/schedules.md.
 */
export class ScheduleRunner {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<unknown> | undefined;
  private readonly worker = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;

  constructor(
    private readonly db: Database,
    private readonly dispatcher: Pick<Dispatcher, 'publishToInstallIn' | 'notify'>,
    private readonly modules: readonly HostModule[],
    private readonly platform: HostPlatform,
    private readonly policy: SchedulePolicy = DEFAULT_SCHEDULE_POLICY,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Starts ticking in this process (also right away). */
  start(): void {
    if (this.timer) return;
    const tick = () => {
      this.ticking ??= this.tick()
        .catch((error: unknown) => console.error('tongkit: a schedule tick failed:', error))
        .finally(() => (this.ticking = undefined));
    };
    this.timer = setInterval(tick, this.policy.tickMs);
    this.timer.unref();
    tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
  }

  /** Claims and runs what is due now: host module schedules, then every install's cron triggers. */
  async tick(): Promise<ScheduleTick> {
    const now = this.clock();
    const result: ScheduleTick = { fired: [], ran: [] };
    for (const module of this.modules) {
      for (const schedule of module.schedules ?? []) {
        const ran = await this.runHostSchedule(module.name, schedule, now);
        if (ran) result.ran.push(ran);
      }
    }
    const { rows } = await this.db.query<InstallSchedules>(
      `SELECT i.id, i.merchant_id, i.created_at, m.time_zone, v.manifest->'schedules' AS schedules
       FROM installs i JOIN plugin_versions v ON v.plugin_name = i.plugin_name AND v.version = i.version
       JOIN merchants m ON m.id = i.merchant_id
       WHERE i.status = 'active' AND jsonb_typeof(v.manifest->'schedules') = 'array' AND jsonb_array_length(v.manifest->'schedules') > 0`,
    );
    for (const install of rows) {
      for (const schedule of install.schedules) {
        try {
          const fired = await this.fireInstallSchedule(install, schedule, now);
          if (fired) result.fired.push(fired);
        } catch (error) {
          // One install's bad cron (or time zone) must not stop the others'.
          console.error(`tongkit: schedule ${schedule.name} of install ${install.id} failed:`, error);
        }
      }
    }
    if (result.fired.length > 0) this.dispatcher.notify();
    return result;
  }

  private async previousSlot(q: Queryable, owner: string, merchantId: string, schedule: string): Promise<Date | undefined> {
    const { rows } = await q.query<{ slot: Date }>(
      `SELECT slot FROM schedule_claims WHERE owner = $1 AND merchant_id = $2 AND schedule = $3 ORDER BY slot DESC LIMIT 1`,
      [owner, merchantId, schedule],
    );
    return rows[0]?.slot;
  }

  private async fireInstallSchedule(install: InstallSchedules, schedule: { name: string; cron: string }, now: Date): Promise<ScheduleTick['fired'][number] | undefined> {
    const owner = `install:${install.id}`;
    const previous = await this.previousSlot(this.db, owner, install.merchant_id, schedule.name);
    const due = dueSlot(schedule.cron, install.time_zone, now, previous, install.created_at);
    if (!due) return undefined;
    const slot = due.slot.toISOString();
    // Deterministic: the same (install, schedule, slot) is the same event whoever claims it.
    const eventId = `sch_${createHash('sha256').update(`${install.id}\u0000${schedule.name}\u0000${slot}`).digest('hex').slice(0, 32)}`;
    return this.db.transaction(async (tx) => {
      const claimed = await tx.query(
        `INSERT INTO schedule_claims (owner, merchant_id, schedule, slot, status, missed_slots, first_missed_slot, event_id, claimed_by, finished_at)
         VALUES ($1, $2, $3, $4, 'done', $5, $6, $7, $8, now()) ON CONFLICT DO NOTHING`,
        [owner, install.merchant_id, schedule.name, due.slot, due.missed, due.firstMissed ?? null, eventId, this.worker],
      );
      if (claimed.rowCount === 0) return undefined; // another host process has it
      await this.dispatcher.publishToInstallIn(tx, install.merchant_id, install.id, {
        id: eventId,
        type: 'schedule.fired',
        occurredAt: due.slot,
        data: { schedule: schedule.name, cron: schedule.cron, slot, timeZone: install.time_zone, missedSlots: due.missed },
      });
      return { installId: install.id, schedule: schedule.name, slot, missedSlots: due.missed, eventId };
    });
  }

  private async runHostSchedule(module: string, schedule: HostSchedule, now: Date): Promise<ScheduleTick['ran'][number] | undefined> {
    const owner = `host:${module}`;
    const previous = await this.previousSlot(this.db, owner, '', schedule.name);
    // A host schedule's first slot is the latest one: there is nothing to catch up before its first run.
    const due = dueSlot(schedule.cron, 'UTC', now, previous, previous ?? new Date(now.getTime() - 366 * 86_400_000));
    let slot: Date;
    let missed = 0;
    if (due) {
      slot = due.slot;
      missed = previous ? due.missed : 0;
      const claimed = await this.db.query(
        `INSERT INTO schedule_claims (owner, merchant_id, schedule, slot, status, missed_slots, first_missed_slot, claimed_by, lease_until)
         VALUES ($1, '', $2, $3, 'running', $4, $5, $6, now() + make_interval(secs => $7)) ON CONFLICT DO NOTHING`,
        [owner, schedule.name, slot, missed, previous ? (due.firstMissed ?? null) : null, this.worker, this.policy.leaseMs / 1000],
      );
      if (claimed.rowCount === 0) return undefined;
    } else {
      // At least once: a claim whose process died mid-run (its lease ran out) is taken over.
      const { rows } = await this.db.query<{ slot: Date; missed_slots: number }>(
        `UPDATE schedule_claims SET claimed_by = $3, claimed_at = now(), lease_until = now() + make_interval(secs => $4)
         WHERE owner = $1 AND merchant_id = '' AND schedule = $2 AND status = 'running' AND lease_until < now()
         RETURNING slot, missed_slots`,
        [owner, schedule.name, this.worker, this.policy.leaseMs / 1000],
      );
      if (!rows[0]) return undefined;
      slot = rows[0].slot;
      missed = rows[0].missed_slots;
    }
    let ok = true;
    let failure: string | null = null;
    try {
      await schedule.run(this.platform, slot);
    } catch (error) {
      ok = false;
      failure = String(error instanceof Error ? error.message : error).slice(0, 2000);
    }
    await this.db.query(
      `UPDATE schedule_claims SET status = $5, finished_at = now(), last_error = $6
       WHERE owner = $1 AND merchant_id = '' AND schedule = $2 AND slot = $3 AND claimed_by = $4`,
      [owner, schedule.name, slot, this.worker, ok ? 'done' : 'failed', failure],
    );
    return { module, schedule: schedule.name, slot: slot.toISOString(), missedSlots: missed, ok };
  }
}
