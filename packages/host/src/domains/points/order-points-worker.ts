import { TkError, isTkError, type EventData, type OrderPaidData, type OrderRefundedData } from '@tongkit/sdk';
import type { ExtensionDecision } from '../../platform/extensions/invoke-extension.js';
import type { Database, Queryable } from '../../platform/storage/database.js';
import { DEFAULT_EARN_POLICY, mergeEarnAnswers, type EarnAnswer, type EarnOutcome, type EarnPolicy } from './earn-merge.js';
import type { PointsLedger } from './ledger.js';

/**
 * A service stage's money fact as the order facts the worker earns and reverses points by:
 * `service.stage.paid` is a paid order `<order>#<stageNo>` of the stage's amount (kind `service`);
 * `service.stage.refunded` refunds all of it. A zero-amount stage or a guest's stage earns nothing.
 */
export function stageMoneyFact(event: { id: string; type: string; data: Record<string, unknown> }): { type: 'order.paid' | 'order.refunded'; data: Record<string, unknown> } | undefined {
  if (event.type !== 'service.stage.paid' && event.type !== 'service.stage.refunded') return undefined;
  const stage = event.data as unknown as EventData<'service.stage.paid'> & EventData<'service.stage.refunded'>;
  if (stage.memberId === null || stage.amountFen === 0) return undefined;
  const orderId = `${stage.orderId}#${stage.stageNo}`;
  if (event.type === 'service.stage.paid') {
    const paid = {
      orderId,
      memberId: stage.memberId,
      kind: 'service',
      channel: 'store',
      storeId: null,
      guideId: null,
      totalFen: stage.amountFen,
      spendFen: stage.amountFen,
      tenders: [{ method: 'card', amountFen: stage.amountFen }],
      lines: [{ sku: `stage:${stage.kind}`, category: 'service', quantity: 1, netFen: stage.amountFen }],
      paidAt: stage.paidAt,
      paidOn: stage.paidAt.slice(0, 10),
    };
    return { type: 'order.paid', data: paid };
  }
  const refunded = {
    orderId,
    refundId: `stage-refund:${event.id}`.slice(0, 64),
    memberId: stage.memberId,
    kind: 'service',
    amountFen: stage.amountFen,
    spendFen: stage.amountFen,
    tenders: [{ method: 'card', amountFen: stage.amountFen }],
    totalFen: stage.amountFen,
    orderSpendFen: stage.amountFen,
    refundedTotalFen: stage.amountFen,
    refundedSpendFen: stage.amountFen,
    status: 'refunded',
    refundedAt: stage.refundedAt,
  };
  return { type: 'order.refunded', data: refunded };
}

/** Runs a merge point on every install serving it (the ExtensionInvoker). */
export interface MergePointInvoker {
  invokeEach(merchantId: string, point: string, input: unknown, options?: { storeId?: string | undefined }): Promise<ExtensionDecision[]>;
}

interface WorkRow {
  merchant_id: string;
  event_id: string;
  type: 'order.paid' | 'order.refunded';
  data: Record<string, unknown>;
  attempts: number;
}

const LEASE_MS = 30_000;
const MAX_ATTEMPTS = 8;
const POINT = 'member.points.earn';

/**
 * Points per order: on `order.paid`, asks every install of `member.points.earn` (the first merge point),
 * merges their answers by the point's rule and has the ledger grant them; on `order.refunded`, has the
 * ledger reverse them cumulatively. The events reach this worker through its own queue, written in the
 * transaction that publishes them ({@link enqueueIn}); workers in any number of host processes claim it
 * with `FOR UPDATE SKIP LOCKED` and a lease, and the ledger's idempotency makes a row processed twice
 * change nothing twice.
 */
export class OrderPointsWorker {
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly db: Database,
    private readonly ledger: PointsLedger,
    private readonly extensions: MergePointInvoker,
    /** The member's tier now (the entry tier until one is assigned; null without a ladder). */
    private readonly memberTier: (merchantId: string, memberId: string) => Promise<string | null> = async () => null,
  ) {}

  /**
   * Queues a published money fact for points, in the publishing transaction. Idempotent by event id.
   * A service order emits no `order.paid` for its total: each paid stage is an order of its own to the
   * ledger (`<order>#<stageNo>`, see {@link stageMoneyFact}), so its amount counts once and its refund
   * reverses it, through the same earn and cumulative reversal as any order.
   */
  async enqueueIn(tx: Queryable, merchantId: string, event: { id: string; type: string; data: Record<string, unknown> }): Promise<void> {
    const fact = event.type === 'order.paid' || event.type === 'order.refunded' ? { type: event.type, data: event.data } : stageMoneyFact(event);
    if (!fact) return;
    await tx.query(`INSERT INTO points_order_work (merchant_id, event_id, type, data) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [merchantId, event.id, fact.type, fact.data]);
  }

  /** The merchant's earning policy (platform default rate and cap per order). */
  async policyOf(merchantId: string): Promise<EarnPolicy> {
    const { rows } = await this.db.query<{ points_per_yuan_bp: number; growth_per_yuan_bp: number; cap_points_per_order: number | null }>(
      'SELECT points_per_yuan_bp, growth_per_yuan_bp, cap_points_per_order FROM points_earn_policies WHERE merchant_id = $1',
      [merchantId],
    );
    const row = rows[0];
    return row ? { pointsPerYuanBp: row.points_per_yuan_bp, growthPerYuanBp: row.growth_per_yuan_bp, capPointsPerOrder: row.cap_points_per_order } : DEFAULT_EARN_POLICY;
  }

  /** Sets the merchant's earning policy. */
  async setPolicy(merchantId: string, policy: EarnPolicy): Promise<void> {
    await this.db.query(
      `INSERT INTO points_earn_policies (merchant_id, points_per_yuan_bp, growth_per_yuan_bp, cap_points_per_order) VALUES ($1, $2, $3, $4)
       ON CONFLICT (merchant_id) DO UPDATE SET points_per_yuan_bp = $2, growth_per_yuan_bp = $3, cap_points_per_order = $4, updated_at = now()`,
      [merchantId, policy.pointsPerYuanBp, policy.growthPerYuanBp, policy.capPointsPerOrder],
    );
  }

  /** Claims and processes one batch of due rows; returns how many. */
  async runOnce(limit = 20): Promise<number> {
    const { rows } = await this.db.query<WorkRow>(
      `UPDATE points_order_work w SET due_at = now() + ($2 * interval '1 millisecond'), attempts = w.attempts + 1
       FROM (SELECT merchant_id, event_id FROM points_order_work WHERE status = 'pending' AND due_at <= now()
             ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
       WHERE w.merchant_id = due.merchant_id AND w.event_id = due.event_id
       RETURNING w.merchant_id, w.event_id, w.type, w.data, w.attempts`,
      [limit, LEASE_MS],
    );
    for (const row of rows) {
      try {
        await this.process(row);
        await this.db.query(`UPDATE points_order_work SET status = 'done', last_error = NULL WHERE merchant_id = $1 AND event_id = $2`, [row.merchant_id, row.event_id]);
      } catch (error) {
        const failure = isTkError(error) ? error.toJSON() : { code: 'TK_INTERNAL', message: String(error) };
        await this.db.query(
          `UPDATE points_order_work SET status = $3, last_error = $4, due_at = now() + ($5 * interval '1 millisecond') WHERE merchant_id = $1 AND event_id = $2`,
          [row.merchant_id, row.event_id, row.attempts >= MAX_ATTEMPTS ? 'dead' : 'pending', failure, Math.min(60_000, 250 * 2 ** row.attempts)],
        );
      }
    }
    return rows.length;
  }

  private async process(row: WorkRow): Promise<EarnOutcome[] | void> {
    if (row.type === 'order.paid') return this.earn(row.merchant_id, row.data as unknown as OrderPaidData);
    const refund = row.data as unknown as OrderRefundedData;
    if (!refund.memberId || refund.spendFen === 0 || refund.orderSpendFen === 0) return;
    const result = await this.ledger.refundOrder(row.merchant_id, { orderId: refund.orderId, memberId: refund.memberId, paidFen: refund.orderSpendFen }, { refundId: refund.refundId, refundFen: refund.spendFen });
    if (result.status === 'rejected') throw new TkError('TK_CONFLICT', `the ledger refused refund ${refund.refundId} of order ${refund.orderId}: ${result.reason}`);
  }

  /** Assembles the point's input from the order and the ledger, asks every install, merges, grants. */
  private async earn(merchantId: string, order: OrderPaidData): Promise<EarnOutcome[] | void> {
    if (!order.memberId || order.spendFen === 0) return;
    const balances = await this.ledger.memberPoints(merchantId, order.memberId);
    const input = {
      order: { id: order.orderId, kind: order.kind, channel: order.channel, storeId: order.storeId, totalFen: order.totalFen, spendFen: order.spendFen, tenders: order.tenders, lines: order.lines, paidAt: order.paidAt },
      // The tier before this order counts: its own growth is granted after the decision.
      member: { id: order.memberId, tierId: await this.memberTier(merchantId, order.memberId), pointsBalance: balances.points.balance, growthValue: balances.growth.balance },
      now: order.paidAt,
    };
    const decisions = await this.extensions.invokeEach(merchantId, POINT, input, { storeId: order.storeId ?? undefined });
    const answers: EarnAnswer[] = decisions.map((d) =>
      d.source === 'plugin' ? { installId: d.installId!, plugin: d.plugin!, ok: true, output: d.output as Extract<EarnAnswer, { ok: true }>['output'] } : { installId: d.installId!, plugin: d.plugin!, ok: false, errorCode: d.error?.code ?? 'TK_INTERNAL' },
    );
    const { grants, outcomes } = mergeEarnAnswers(answers, order.spendFen, await this.policyOf(merchantId));
    const result = await this.ledger.earnForOrder(merchantId, { orderId: order.orderId, memberId: order.memberId, paidFen: order.spendFen }, grants);
    if (result.status === 'rejected') throw new TkError('TK_CONFLICT', `the ledger refused the points of order ${order.orderId}: ${result.reason}`);
    return outcomes;
  }

  /** Starts a worker loop in this process. */
  start(idlePollMs = 200): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const processed = await this.runOnce().catch((error: unknown) => {
          process.emitWarning(`tongkit order points: ${(error as Error).message}`);
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
