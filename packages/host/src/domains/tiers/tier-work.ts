import { isTkError, type TierTrigger } from '@tongkit/sdk';
import type { Static } from '@sinclair/typebox';
import type { Database, Queryable } from '../../platform/storage/database.js';
import type { MemberTiers, TierComputation } from './member-tiers.js';

interface WorkRow {
  merchant_id: string;
  member_id: string;
  trigger: Static<typeof TierTrigger>;
  fact_at: Date;
  attempts: number;
  claimed_at: Date;
}

const LEASE_MS = 30_000;
const MAX_ATTEMPTS = 8;

/**
 * The queue of members whose tier is to be computed: one row per member, written in the transaction of
 * the event that calls for it (`order.paid`, `order.refunded`, a growth-value `points.changed`) or by
 * the schedule ({@link sweepDueTiers}). Workers in any number of host processes claim rows with
 * `FOR UPDATE SKIP LOCKED` and a lease; a request that arrives while a row is claimed keeps it pending
 * for one more computation.
 */
export class TierWork {
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly db: Database,
    private readonly tiers: MemberTiers,
  ) {}

  /** Queues the member of a published event, in the publishing transaction (other events: nothing). */
  async enqueueIn(tx: Queryable, merchantId: string, event: { type: string; data: Record<string, unknown> }): Promise<void> {
    const memberId = typeof event.data['memberId'] === 'string' ? event.data['memberId'] : null;
    if (!memberId) return;
    if (event.type === 'order.paid' || event.type === 'order.refunded') {
      const factAt = event.type === 'order.paid' ? event.data['paidAt'] : event.data['refundedAt'];
      // The fact's time is the decision's `now`: an order's paidAt, a refund's refundedAt.
      await tx.query(
        `INSERT INTO tier_work (merchant_id, member_id, trigger, fact_at) VALUES ($1, $2, $3, COALESCE($4::timestamptz, now()))
         ON CONFLICT (merchant_id, member_id) DO UPDATE SET trigger = EXCLUDED.trigger, fact_at = GREATEST(tier_work.fact_at, EXCLUDED.fact_at),
           requested_at = clock_timestamp(), status = 'pending'`,
        [merchantId, memberId, event.type, typeof factAt === 'string' ? factAt : null],
      );
    } else if (event.type === 'points.changed' && event.data['account'] === 'growth') {
      // Growth value moved (the order's earn, an operator's adjustment): compute again, keeping the
      // order's fact time when one is queued.
      await tx.query(
        `INSERT INTO tier_work (merchant_id, member_id, trigger, fact_at) VALUES ($1, $2, 'points.changed', now())
         ON CONFLICT (merchant_id, member_id) DO UPDATE SET requested_at = clock_timestamp(), status = 'pending'`,
        [merchantId, memberId],
      );
    }
  }

  /** Claims and computes one batch of due members; returns how many. */
  async runOnce(limit = 20): Promise<number> {
    const { rows } = await this.db.query<WorkRow>(
      `UPDATE tier_work w SET due_at = now() + ($2 * interval '1 millisecond'), attempts = w.attempts + 1, claimed_at = clock_timestamp()
       FROM (SELECT merchant_id, member_id FROM tier_work WHERE status = 'pending' AND due_at <= now()
             ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
       WHERE w.merchant_id = due.merchant_id AND w.member_id = due.member_id
       RETURNING w.merchant_id, w.member_id, w.trigger, w.fact_at, w.attempts, w.claimed_at`,
      [limit, LEASE_MS],
    );
    for (const row of rows) {
      try {
        await this.tiers.compute(row.merchant_id, row.member_id, row.trigger, row.fact_at);
        // Done unless a request came in meanwhile: then it is due again at once.
        const done = await this.db.query(`DELETE FROM tier_work WHERE merchant_id = $1 AND member_id = $2 AND requested_at <= $3`, [row.merchant_id, row.member_id, row.claimed_at]);
        if (done.rowCount === 0) await this.db.query(`UPDATE tier_work SET due_at = now(), attempts = 0 WHERE merchant_id = $1 AND member_id = $2`, [row.merchant_id, row.member_id]);
      } catch (error) {
        const failure = isTkError(error) ? error.toJSON() : { code: 'TK_INTERNAL', message: String(error) };
        await this.db.query(
          `UPDATE tier_work SET status = $3, last_error = $4, due_at = now() + ($5 * interval '1 millisecond') WHERE merchant_id = $1 AND member_id = $2`,
          [row.merchant_id, row.member_id, row.attempts >= MAX_ATTEMPTS ? 'dead' : 'pending', failure, Math.min(60_000, 250 * 2 ** row.attempts)],
        );
      }
    }
    return rows.length;
  }

  /** Processes until nothing is due (tests, the demo). */
  async drain(): Promise<void> {
    while ((await this.runOnce()) > 0);
  }

  /** Starts a worker loop in this process. */
  start(idlePollMs = 200): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const processed = await this.runOnce().catch((error: unknown) => {
          process.emitWarning(`tongkit tiers: ${(error as Error).message}`);
          return 0;
        });
        if (processed === 0 && this.running) await new Promise((resolve) => setTimeout(resolve, idlePollMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/**
 * Tier expiry and downgrade on schedule: queues every member whose tier is due for review by `now` (a
 * tier that lapses, or a downgrade refused under protection whose protection ended), at most `limit`,
 * with `now` as the decision's time. The review mark is cleared in the same statement; the computation
 * sets a new one when it needs one. Safe to run from several processes at once.
 */
export async function sweepDueTiers(db: Database, options: { now?: Date; limit?: number; merchantId?: string } = {}): Promise<{ members: number }> {
  const now = options.now ?? new Date();
  const { rowCount } = await db.query(
    `WITH due AS (
       UPDATE member_tiers t SET review_at = NULL
       FROM (SELECT merchant_id, member_id FROM member_tiers WHERE review_at <= $1 AND ($3::text IS NULL OR merchant_id = $3)
             ORDER BY review_at LIMIT $2 FOR UPDATE SKIP LOCKED) d
       WHERE t.merchant_id = d.merchant_id AND t.member_id = d.member_id
       RETURNING t.merchant_id, t.member_id)
     INSERT INTO tier_work (merchant_id, member_id, trigger, fact_at) SELECT merchant_id, member_id, 'schedule', $1 FROM due
     ON CONFLICT (merchant_id, member_id) DO UPDATE SET trigger = 'schedule', fact_at = GREATEST(tier_work.fact_at, EXCLUDED.fact_at), requested_at = clock_timestamp(), status = 'pending'`,
    [now, options.limit ?? 500, options.merchantId ?? null],
  );
  return { members: rowCount ?? 0 };
}

export type { TierComputation };
