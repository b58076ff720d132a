import { randomUUID } from 'node:crypto';
import { TkError, type EventName, type Permission, type TongkitEvent } from '@tongkit/sdk';
import { eventFailure, type EventResult, type LoadedPlugin } from '@tongkit/runtime';
import type { Database, Queryable } from '../storage/database.js';
import { storableJson, storableText } from '../storage/storable-text.js';
import { TIER_ALLOWS_PLUGIN } from '../tenancy/merchant-tier.js';
import { HostCallTransaction } from './host-call-transaction.js';
import type { DeadLetter, PublishedEvent, ReplayedDelivery } from './schemas.js';
import { publishInOutbox, type PublishableEvent } from './outbox.js';
import { listDeadLetters, replayDeadLetter } from './dead-letters.js';
import { HostApiRouter } from '../modules/host-api-router.js';
import { createHostModules } from '../../modules.js';

/** How deliveries are retried. */
export interface DispatchPolicy {
  /** Deliveries claimed per transaction (one commit acknowledges the whole batch). */
  batchSize: number;
  /** Attempts before a delivery is dead-lettered. */
  maxAttempts: number;
  /** Delay before attempt n+1, in ms. */
  backoffMs: (attempt: number) => number;
  /** Events caused by plugins carry a depth; past this a loop is assumed and the event is refused. */
  maxCausationDepth: number;
  /** How long an idle worker sleeps between polls. */
  idlePollMs: number;
}

export const DEFAULT_DISPATCH_POLICY: DispatchPolicy = {
  batchSize: 50,
  maxAttempts: 8,
  backoffMs: (attempt) => Math.min(60_000, 250 * 2 ** (attempt - 1)),
  maxCausationDepth: 8,
  idlePollMs: 50,
};

export type { DeadLetter, PublishedEvent, ReplayedDelivery } from './schemas.js';

/**
 * Thrown on the fast path when a handler fails: the batch is redone with a savepoint per delivery. It
 * carries the failure, which the redo records as that delivery's attempt instead of running the handler
 * again: a handler that crashes its sandbox worker then costs one crash per attempt, and its attempts
 * count even when the redo would have been refused by the merchant's quota.
 */
class IsolateBatch extends Error {
  constructor(readonly key: string, readonly result: EventResult) {
    super('a handler failed on the fast path');
  }
}

const deliveryKey = (delivery: { merchant_id: string; event_id: string; install_id: string }) =>
  `${delivery.merchant_id}\u0000${delivery.event_id}\u0000${delivery.install_id}`;

/**
 * A delivery whose outcome could not be written (the database refused it): its failure, in the host's
 * words only, so that recording it cannot fail the same way.
 */
function outcomeNotStored(error: unknown): TkError {
  const code = (error as { code?: unknown } | null)?.code;
  return new TkError('TK_INTERNAL', `the outcome of this delivery could not be stored${typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? ` (SQLSTATE ${code})` : ''}`, {
    fault: 'platform',
  });
}

type FailedEvent = Extract<EventResult, { ok: false }>;
const failedEvent = (error: TkError): FailedEvent => eventFailure(error) as FailedEvent;

interface LogRow {
  merchantId: string;
  installId: string;
  plugin: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  eventId: string;
  source: 'plugin' | 'host';
}

/** What a batch writes once, at its end (an isolated batch: each delivery, inside its savepoint). */
interface BatchWrites {
  done: ClaimedDelivery[];
  logs: LogRow[];
  /** Deliveries put off (not an attempt): their merchant is over its sandbox quota. */
  putOff?: Array<{ delivery: ClaimedDelivery; afterMs: number }>;
}

/** A handler's result, and whether it made any host call (whose writes are then in the transaction). */
interface Ran {
  result: EventResult;
  madeHostCalls: boolean;
}

/**
 * When a delivery refused by its merchant's sandbox quota (TK_RATE_LIMITED: its handler never ran) may be
 * tried again: when the quota allows, at most a minute on.
 */
function putOffMs(refusal: FailedEvent): number {
  return Math.min(60_000, Number(refusal.error.details?.['retryAfterMs']) || 100);
}

/** A refusal by the merchant's quota before the handler ran, so there is nothing of it to undo. */
function refusedByQuota(ran: Ran): ran is Ran & { result: FailedEvent } {
  return !ran.result.ok && ran.result.error.code === 'TK_RATE_LIMITED' && !ran.madeHostCalls;
}

function logRow(delivery: ClaimedDelivery, level: string, message: string, source: 'plugin' | 'host'): LogRow {
  return {
    merchantId: delivery.merchant_id,
    installId: delivery.install_id,
    plugin: delivery.plugin_name,
    level: (['debug', 'info', 'warn', 'error'] as const).find((l) => l === level) ?? 'info',
    // After the cut: it may fall between the two halves of a character.
    message: storableText(message.slice(0, 2000)),
    eventId: delivery.event_id,
    source,
  };
}

interface ClaimedDelivery {
  event_id: string;
  install_id: string;
  attempts: number;
  type: EventName;
  data: Record<string, unknown>;
  merchant_id: string;
  created_at: Date;
  plugin_name: string;
  version: string;
  settings: Record<string, unknown>;
  granted_permissions: Permission[];
  causation_depth: number;
}

export type { PublishableEvent } from './outbox.js';

/** Loads the sandboxed plugin of an install's pinned version (cached by the host). */
export type DeliveryPluginLoader = (install: { id: string; plugin_name: string; version: string; merchant_id: string }) => Promise<LoadedPlugin>;

/**
 * Event dispatch through a transactional outbox. A domain write and its event commit together
 * ({@link publishIn}); each (event, install) pair is a delivery with its own attempts, backoff and dead
 * letter. Workers in any number of host processes claim batches with `FOR UPDATE SKIP LOCKED`; the
 * row locks are the claim's lease (a crashed worker's connection drops and frees them at once), and a
 * handler's KV writes and its delivery's ack commit in the same transaction — at least once, with no
 * effect applied twice.
 */
export class Dispatcher {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  private readonly hostApis: HostApiRouter;

  /** `hostApis` answers the handlers' `ctx` calls; by default the host's own module list on `db`. */
  constructor(
    private readonly db: Database,
    private readonly loadPlugin: DeliveryPluginLoader,
    private readonly policy: DispatchPolicy = DEFAULT_DISPATCH_POLICY,
    hostApis?: HostApiRouter,
  ) {
    this.hostApis = hostApis ?? new HostApiRouter(createHostModules({ db, publishIn: (tx, merchantId, event, depth) => this.publishIn(tx, merchantId, event, depth) }), db);
  }

  /** Publishes an event for a merchant in its own transaction. Idempotent by `id`. */
  async publish(merchantId: string, event: PublishableEvent, causationDepth = 0): Promise<PublishedEvent> {
    const published = await this.db.transaction((tx) => this.publishIn(tx, merchantId, event, causationDepth));
    this.wake?.();
    return published;
  }

  /**
   * Publishes an event inside the caller's transaction (the outbox): it exists, with its deliveries to
   * every active install subscribed to it, only if the caller's domain write commits.
   */
  async publishIn(tx: Queryable, merchantId: string, event: PublishableEvent, causationDepth = 0): Promise<PublishedEvent> {
    return publishInOutbox(tx, merchantId, event, causationDepth, this.policy.maxCausationDepth);
  }

  /**
   * Publishes an event for one install only (a cron trigger's `schedule.fired`), inside the caller's
   * transaction: the event and its one delivery exist only if the caller's claim commits. Idempotent by
   * `id`. An install that is not active (or not allowed by the merchant's tier) gets no delivery.
   */
  async publishToInstallIn(tx: Queryable, merchantId: string, installId: string, event: PublishableEvent & { id: string }): Promise<PublishedEvent> {
    const inserted = await tx.query(
      `INSERT INTO events (merchant_id, id, type, data, causation_depth, occurred_at) VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT (merchant_id, id) DO NOTHING`,
      [merchantId, event.id, event.type, event.data, event.occurredAt ?? null],
    );
    if (inserted.rowCount === 0) return { id: event.id, type: event.type, merchantId, deliveries: 0, duplicate: true };
    const deliveries = await tx.query(
      `INSERT INTO deliveries (merchant_id, event_id, install_id)
       SELECT merchant_id, $2, id FROM installs WHERE merchant_id = $1 AND id = $3 AND status = 'active' AND ${TIER_ALLOWS_PLUGIN}`,
      [merchantId, event.id, installId],
    );
    return { id: event.id, type: event.type, merchantId, deliveries: deliveries.rowCount, duplicate: false };
  }

  /** Wakes this process's worker loop (after a commit that queued deliveries). */
  notify(): void {
    this.wake?.();
  }

  /**
   * Claims one batch of due deliveries and runs them in one transaction. The fast path runs them
   * without savepoints (a round trip each). If any handler fails — or any statement of the batch does,
   * which aborts the PostgreSQL transaction — the whole batch rolls back (its handlers' writes are all
   * inside the transaction) and runs again isolated, with a savepoint per delivery: whatever fails then
   * rolls back that delivery's writes only and counts as its attempt, so it is retried and in the end
   * dead-lettered while the rest of the batch, often other merchants' deliveries, goes through.
   * Returns how many were processed.
   */
  async runOnce(): Promise<number> {
    try {
      return await this.runBatch(false);
    } catch (error) {
      return this.runBatch(true, error instanceof IsolateBatch ? error : undefined);
    }
  }

  private async runBatch(isolated: boolean, failedFirst?: IsolateBatch): Promise<number> {
    return this.db.transaction(async (tx) => {
      // The batch is claimed first and joined to its events and installs after: the joins then touch
      // the batch's rows only, whatever plan stale statistics lead to (10,000 events published in one
      // transaction once made a join walk a merchant's events for every due delivery: 7.7 s a claim).
      const { rows } = await tx.query<ClaimedDelivery>(
        `WITH claimed AS (
           SELECT merchant_id, event_id, install_id, attempts, next_attempt_at FROM deliveries
           WHERE status = 'pending' AND next_attempt_at <= now()
           ORDER BY next_attempt_at
           LIMIT $1
           FOR UPDATE SKIP LOCKED
         )
         SELECT c.merchant_id, c.event_id, c.install_id, c.attempts, e.type, e.data, COALESCE(e.occurred_at, e.created_at) AS created_at,
                i.plugin_name, i.version, i.settings, i.granted_permissions, e.causation_depth
         FROM claimed c
           JOIN events e ON e.id = c.event_id AND e.merchant_id = c.merchant_id
           JOIN installs i ON i.id = c.install_id AND i.merchant_id = c.merchant_id
         ORDER BY c.next_attempt_at`,
        [this.policy.batchSize],
      );
      if (isolated) {
        // A merchant refused for its sandbox quota is refused for the rest of the batch too: its
        // deliveries are put off without running their handlers (which would only spend more of it).
        const rateLimited = new Map<string, FailedEvent>();
        for (const delivery of rows) {
          const known = failedFirst?.key === deliveryKey(delivery) ? failedFirst.result : rateLimited.get(delivery.merchant_id);
          const refused = await this.deliverIsolated(tx, delivery, known);
          if (refused) rateLimited.set(delivery.merchant_id, refused);
        }
        return rows.length;
      }
      // Acks and log lines are collected and written once per batch: each delivery then costs only its
      // handler's own host calls in round trips to PostgreSQL.
      const batch: BatchWrites = { done: [], logs: [], putOff: [] };
      // A merchant over its sandbox quota: its deliveries are put off, not run (that would only spend
      // more of the quota), and not redone isolated (the batch's other handlers would be refused too).
      const refusals = new Map<string, FailedEvent>();
      for (const delivery of rows) {
        const refused = refusals.get(delivery.merchant_id);
        if (refused) {
          batch.putOff!.push({ delivery, afterMs: putOffMs(refused) });
          continue;
        }
        const ran = await this.runHandler(tx, delivery);
        if (refusedByQuota(ran)) {
          refusals.set(delivery.merchant_id, ran.result);
          batch.putOff!.push({ delivery, afterMs: putOffMs(ran.result) });
          continue;
        }
        const { result } = ran;
        if (!result.ok) throw new IsolateBatch(deliveryKey(delivery), result);
        batch.done.push(delivery);
        for (const line of result.logs) batch.logs.push(logRow(delivery, line.level, line.message, 'plugin'));
      }
      await this.writeOutcomes(tx, batch);
      return rows.length;
    });
  }

  /**
   * One delivery of an isolated batch, inside its own savepoint; whatever fails in it — its handler, a
   * statement of its host calls, or writing its outcome — is rolled back to the savepoint and counted as
   * its attempt. Savepoints are not released: ROLLBACK TO rolls back to the newest one of the name, which
   * is this delivery's, and releasing would cost a round trip per delivery.
   */
  private async deliverIsolated(tx: Queryable, delivery: ClaimedDelivery, failedBefore?: EventResult): Promise<FailedEvent | undefined> {
    await tx.query('SAVEPOINT delivery');
    const ran = failedBefore ?? (await this.runHandler(tx, delivery)).result;
    let result: FailedEvent;
    if (ran.ok) {
      try {
        await this.writeOutcomes(tx, { done: [delivery], logs: ran.logs.map((line) => logRow(delivery, line.level, line.message, 'plugin')) });
        return;
      } catch (error) {
        result = failedEvent(outcomeNotStored(error));
      }
    } else {
      result = ran;
    }
    // The handler's writes go; its attempt, error and logs stay.
    await tx.query('ROLLBACK TO SAVEPOINT delivery');
    if (result.error.code === 'TK_RATE_LIMITED') {
      // The merchant's sandbox quota was used up: the handler never ran. Not an attempt; try again
      // when the quota allows.
      await this.writeOutcomes(tx, { done: [], logs: [], putOff: [{ delivery, afterMs: putOffMs(result) }] });
      return result;
    }
    try {
      await this.recordFailure(tx, delivery, result);
    } catch (error) {
      // Not even the failure could be stored as it was: it is stored in the host's words only, so that
      // the attempt still counts and the delivery still ends in the dead letters.
      await tx.query('ROLLBACK TO SAVEPOINT delivery');
      await this.recordFailure(tx, delivery, failedEvent(outcomeNotStored(error)));
    }
  }

  /** Counts a failed attempt of a delivery, dead-lettering it after the last one, and writes its logs. */
  private async recordFailure(tx: Queryable, delivery: ClaimedDelivery, result: FailedEvent): Promise<void> {
    const attempts = delivery.attempts + 1;
    const dead = attempts >= this.policy.maxAttempts;
    await tx.query(
      `UPDATE deliveries SET attempts = $4, status = $5, last_error = $6::jsonb, next_attempt_at = now() + ($7 * interval '1 millisecond')
       WHERE merchant_id = $1 AND event_id = $2 AND install_id = $3`,
      [delivery.merchant_id, delivery.event_id, delivery.install_id, attempts, dead ? 'dead' : 'pending', storableJson(result.error.toJSON()), this.policy.backoffMs(attempts)],
    );
    const failed = logRow(delivery, 'error', `${delivery.type} attempt ${attempts} failed: ${result.error.code} ${result.error.message}${dead ? ' (dead-lettered)' : ''}`, 'host');
    await this.writeOutcomes(tx, { done: [], logs: [failed, ...result.logs.map((line) => logRow(delivery, line.level, line.message, 'plugin'))] });
  }

  /** Acknowledges the deliveries done, puts off those refused by a quota and writes the log lines, one statement each. */
  private async writeOutcomes(tx: Queryable, batch: BatchWrites): Promise<void> {
    if (batch.putOff && batch.putOff.length > 0) {
      const column = <K extends keyof ClaimedDelivery>(key: K) => batch.putOff!.map(({ delivery }) => delivery[key]);
      await tx.query(
        `UPDATE deliveries d SET next_attempt_at = now() + (later.after_ms * interval '1 millisecond')
         FROM unnest($1::text[], $2::text[], $3::text[], $4::int[]) AS later(merchant_id, event_id, install_id, after_ms)
         WHERE d.merchant_id = later.merchant_id AND d.event_id = later.event_id AND d.install_id = later.install_id`,
        [column('merchant_id'), column('event_id'), column('install_id'), batch.putOff.map(({ afterMs }) => afterMs)],
      );
    }
    if (batch.done.length > 0) {
      const column = <K extends keyof ClaimedDelivery>(key: K) => batch.done.map((delivery) => delivery[key]);
      await tx.query(
        `UPDATE deliveries d SET status = 'done', attempts = d.attempts + 1, done_at = now(), last_error = NULL
         FROM unnest($1::text[], $2::text[], $3::text[]) AS acked(merchant_id, event_id, install_id)
         WHERE d.merchant_id = acked.merchant_id AND d.event_id = acked.event_id AND d.install_id = acked.install_id`,
        [column('merchant_id'), column('event_id'), column('install_id')],
      );
    }
    if (batch.logs.length > 0) {
      const column = <K extends keyof LogRow>(key: K) => batch.logs.map((row) => row[key]);
      await tx.query(
        `INSERT INTO plugin_logs (merchant_id, install_id, plugin_name, level, message, data, source)
         SELECT merchant_id, install_id, plugin_name, level, message, jsonb_build_object('eventId', event_id), source
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
           AS logs(merchant_id, install_id, plugin_name, level, message, event_id, source)`,
        [column('merchantId'), column('installId'), column('plugin'), column('level'), column('message'), column('eventId'), column('source')],
      );
    }
  }

  /**
   * Runs one delivery's handler, its host calls inside `tx`; failures come back as results. A host call
   * whose statement failed fails the delivery even if the handler caught its error: the statement
   * aborted the transaction (see {@link HostCallTransaction}).
   */
  private async runHandler(tx: Queryable, delivery: ClaimedDelivery): Promise<Ran> {
    let madeHostCalls = false;
    try {
      const plugin = await this.loadPlugin({ id: delivery.install_id, plugin_name: delivery.plugin_name, version: delivery.version, merchant_id: delivery.merchant_id });
      const event: TongkitEvent = { id: delivery.event_id, type: delivery.type, occurredAt: delivery.created_at.toISOString(), data: delivery.data };
      const hostCalls = new HostCallTransaction(tx);
      // The delivered event's depth rides with each host call: what the call emits is one step deeper.
      const site = { installId: delivery.install_id, merchantId: delivery.merchant_id, plugin: delivery.plugin_name, eventId: delivery.event_id, causationDepth: delivery.causation_depth, batch: hostCalls };
      const result = await plugin.handleEvent(event, delivery.settings, {
        merchantId: delivery.merchant_id,
        permissions: delivery.granted_permissions,
        call: (namespace, method, args) => {
          madeHostCalls = true;
          return this.hostApis.call(site, namespace, method, args);
        },
      });
      return { result: result.ok && hostCalls.failure ? { ...result, ok: false, error: hostCalls.failure } : result, madeHostCalls };
    } catch (error) {
      return { result: eventFailure(TkError.from(error, 'the delivery could not be run')), madeHostCalls };
    }
  }

  /** Starts the worker loop in this process: claims batches until {@link stop}. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        let processed = 0;
        try {
          processed = await this.runOnce();
        } catch (error) {
          if (!this.running) break;
          process.emitWarning(`tongkit dispatch: ${(error as Error).message}`);
        }
        if (processed === 0 && this.running) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, this.policy.idlePollMs);
            this.wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          this.wake = undefined;
        }
      }
    })();
  }

  /** Stops the loop after the batch in flight commits. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Waits until no delivery of the merchant (or of anyone) is pending and due — for tests and the demo. */
  async drain(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const processed = this.running ? 0 : await this.runOnce();
      const { rows } = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM deliveries WHERE status = 'pending' AND next_attempt_at <= now()`);
      if (rows[0]!.n === 0 && processed === 0) return;
      if (Date.now() > deadline) throw new TkError('TK_INTERNAL', `deliveries still pending after ${timeoutMs} ms`);
      if (this.running) await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** The merchant's dead-lettered deliveries, newest first. */
  async deadLetters(merchantId: string): Promise<DeadLetter[]> {
    return listDeadLetters(this.db, merchantId);
  }

  /** Puts a dead-lettered delivery back in the queue with fresh attempts. Idempotent. */
  async replay(merchantId: string, eventId: string, installId: string): Promise<ReplayedDelivery> {
    const replayed = await replayDeadLetter(this.db, merchantId, eventId, installId);
    this.wake?.();
    return replayed;
  }
}
