import { isTkError, type OrderPaidData, type OrderRefundedData } from '@tongkit/sdk';
import type { Database, Queryable } from '../../platform/storage/database.js';
import type { HostPlatform } from '../../platform/modules/host-module.js';
import { decideAttribution, decideCommission } from './attribution.js';
import type { CommissionLedger, LedgerOutcome } from './commission-ledger.js';
import type { Relations } from './relations.js';
import { relationSettingsOf } from './settings.js';
import type { Shares } from './shares.js';

interface WorkRow {
  merchant_id: string;
  event_id: string;
  type: 'order.paid' | 'order.refunded';
  data: Record<string, unknown>;
  attempts: number;
}

const LEASE_MS = 30_000;
const MAX_ATTEMPTS = 8;

/**
 * Attribution and commission per order: on `order.paid` decides the guide (`guide.attribution`) and the
 * splits (`guide.commission`) and has the ledger accrue them; on `order.refunded` has it reverse them
 * cumulatively. Its queue is written in the transaction that publishes the order event; workers in any
 * host process claim rows with `FOR UPDATE SKIP LOCKED` and a lease, and the ledger's idempotency makes a
 * row processed twice change nothing twice.
 */
export class CommissionWorker {
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly db: Database,
    private readonly ledger: CommissionLedger,
    private readonly deps: { relations: Relations; shares: Shares },
    private readonly decide: HostPlatform['invokePoint'],
  ) {}

  /** Queues a published order event, in the publishing transaction. Idempotent by event id. */
  async enqueueIn(tx: Queryable, merchantId: string, event: { id: string; type: string; data: Record<string, unknown> }): Promise<void> {
    if (event.type !== 'order.paid' && event.type !== 'order.refunded') return;
    await tx.query(`INSERT INTO guide_order_work (merchant_id, event_id, type, data) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [merchantId, event.id, event.type, event.data]);
  }

  /** Processes one order event (also what a redelivery does: the ledger makes it idempotent). */
  async process(merchantId: string, type: 'order.paid' | 'order.refunded', data: Record<string, unknown>): Promise<LedgerOutcome | undefined> {
    if (type === 'order.refunded') {
      const refund = data as unknown as OrderRefundedData;
      if (refund.orderSpendFen === 0 || refund.spendFen === 0) return undefined;
      return this.ledger.reverse(merchantId, { orderId: refund.orderId, memberId: refund.memberId, paidFen: refund.orderSpendFen }, { refundId: refund.refundId, spendFen: refund.spendFen, refundedAt: new Date(refund.refundedAt) });
    }
    const order = data as unknown as OrderPaidData;
    if (order.spendFen === 0) return undefined;
    const commissionOrder = { orderId: order.orderId, memberId: order.memberId, paidFen: order.spendFen, paidAt: new Date(order.paidAt), channel: order.channel };
    if (order.memberId === null) return this.ledger.accrue(merchantId, commissionOrder, { guideId: null, reason: 'a guest order: no member, no relation', source: 'platform' }, []);
    const settings = await relationSettingsOf(this.db, merchantId);
    const { attribution, guide } = await decideAttribution(this.db, this.decide, this.deps, merchantId, { ...order, memberId: order.memberId }, settings);
    const splits = guide && attribution.guideId ? (await decideCommission(this.db, this.decide, merchantId, order, guide, settings)).splits : [];
    return this.ledger.accrue(merchantId, commissionOrder, attribution, splits);
  }

  /** Claims and processes one batch of due rows; returns how many. */
  async runOnce(limit = 20): Promise<number> {
    const { rows } = await this.db.query<WorkRow>(
      `UPDATE guide_order_work w SET due_at = now() + ($2 * interval '1 millisecond'), attempts = w.attempts + 1
       FROM (SELECT merchant_id, event_id FROM guide_order_work WHERE status = 'pending' AND due_at <= now() ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
       WHERE w.merchant_id = due.merchant_id AND w.event_id = due.event_id
       RETURNING w.merchant_id, w.event_id, w.type, w.data, w.attempts`,
      [limit, LEASE_MS],
    );
    for (const row of rows) {
      try {
        await this.process(row.merchant_id, row.type, row.data);
        await this.db.query(`UPDATE guide_order_work SET status = 'done', last_error = NULL WHERE merchant_id = $1 AND event_id = $2`, [row.merchant_id, row.event_id]);
      } catch (error) {
        const failure = isTkError(error) ? error.toJSON() : { code: 'TK_INTERNAL', message: String(error) };
        await this.db.query(
          `UPDATE guide_order_work SET status = $3, last_error = $4, due_at = now() + ($5 * interval '1 millisecond') WHERE merchant_id = $1 AND event_id = $2`,
          [row.merchant_id, row.event_id, row.attempts >= MAX_ATTEMPTS ? 'dead' : 'pending', failure, Math.min(60_000, 250 * 2 ** row.attempts)],
        );
      }
    }
    return rows.length;
  }

  /** Starts a worker loop in this process. */
  start(idlePollMs = 200): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const processed = await this.runOnce().catch((error: unknown) => {
          process.emitWarning(`tongkit guide commission: ${(error as Error).message}`);
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

  /** Processes until nothing is due (tests, the demo). */
  async drain(): Promise<void> {
    while ((await this.runOnce()) > 0);
  }
}
