import type { Database } from '../../platform/storage/database.js';
import { guideRow, noGuide } from './guides.js';

/** One anti-diversion signal of a guide, with its evidence. */
export interface Signal {
  signal: 'store_order_share' | 'relation_churn' | 'bind_burst' | 'quick_attribution' | 'self_purchase_refused';
  value: number;
  threshold: number;
  flagged: boolean;
  evidence: { orderIds: string[]; memberIds: string[] };
}

/** A guide's signals report over a period. */
export interface SignalsReport {
  guideId: string;
  from: string;
  to: string;
  attributedOrders: number;
  signals: Signal[];
}

/** The thresholds a merchant would look at first (documented in docs/guides.md). */
export const SIGNAL_THRESHOLDS = {
  /** Share (bp) of attributed orders placed in a store: orders the store would have had anyway. */
  storeOrderShareBp: 5000,
  /** Relations taken from or lost to other guides in the period. */
  relationChurn: 10,
  /** Members bound within one hour. */
  bindBurstPerHour: 10,
  /** Minutes between a new relation and an attributed order of the member. */
  quickAttributionMinutes: 10,
  /** Quick attributions that flag. */
  quickAttributions: 3,
  /** Self-purchases refused that flag. */
  selfPurchases: 1,
} as const;

const EVIDENCE = 50;

/**
 * Anti-diversion signals per guide: the share of attributed orders that were placed in a store, relation
 * churn, many members bound in a short time, orders attributed minutes after the relation was created,
 * and self-purchases refused — each with the order (or member) IDs behind it. Guides cannot change
 * relations or attribution themselves, so these are facts the host recorded, not claims.
 */
export async function signalsOf(db: Database, merchantId: string, guideId: string, period: { from: Date; to: Date }): Promise<SignalsReport> {
  if (!(await guideRow(db, merchantId, guideId))) throw noGuide(guideId);
  const args = [merchantId, guideId, period.from, period.to];
  const { rows: orders } = await db.query<{ order_id: string; channel: string | null; member_id: string | null }>(
    'SELECT order_id, channel, member_id FROM guide_orders WHERE merchant_id = $1 AND guide_id = $2 AND paid_at >= $3 AND paid_at < $4 ORDER BY paid_at, order_id',
    args,
  );
  const storeOrders = orders.filter((o) => o.channel === 'store');
  const storeShareBp = orders.length === 0 ? 0 : Math.floor((storeOrders.length * 10_000) / orders.length);

  const { rows: churn } = await db.query<{ member_id: string }>(
    `SELECT member_id FROM guide_audit WHERE merchant_id = $1 AND action IN ('rebind', 'override', 'handover') AND (from_guide_id = $2 OR to_guide_id = $2) AND from_guide_id IS NOT NULL AND at >= $3 AND at < $4 ORDER BY seq`,
    args,
  );

  const { rows: binds } = await db.query<{ member_id: string; at: Date }>(
    `SELECT member_id, at FROM guide_audit WHERE merchant_id = $1 AND to_guide_id = $2 AND action IN ('bind', 'rebind', 'override') AND at >= $3 AND at < $4 ORDER BY at, seq`,
    args,
  );
  // The busiest hour: a sliding window over the binds in time order.
  let burst: typeof binds = [];
  for (let start = 0, end = 0; end < binds.length; end++) {
    while (binds[end]!.at.getTime() - binds[start]!.at.getTime() >= 3_600_000) start++;
    if (end - start + 1 > burst.length) burst = binds.slice(start, end + 1);
  }

  const { rows: quick } = await db.query<{ order_id: string; member_id: string }>(
    `SELECT o.order_id, o.member_id FROM guide_orders o
     WHERE o.merchant_id = $1 AND o.guide_id = $2 AND o.paid_at >= $3 AND o.paid_at < $4 AND EXISTS (
       SELECT 1 FROM guide_audit a WHERE a.merchant_id = o.merchant_id AND a.member_id = o.member_id AND a.to_guide_id = $2
         AND a.action IN ('bind', 'rebind', 'override') AND a.at <= o.paid_at AND a.at > o.paid_at - ($5 * interval '1 minute'))
     ORDER BY o.paid_at, o.order_id`,
    [...args, SIGNAL_THRESHOLDS.quickAttributionMinutes],
  );

  const { rows: self } = await db.query<{ order_id: string; member_id: string | null }>(
    'SELECT order_id, member_id FROM guide_orders WHERE merchant_id = $1 AND refused_guide_id = $2 AND paid_at >= $3 AND paid_at < $4 ORDER BY paid_at, order_id',
    args,
  );

  const ids = <T>(rows: T[], key: keyof T) => [...new Set(rows.map((r) => r[key]).filter((v): v is NonNullable<T[keyof T]> => v !== null))].slice(0, EVIDENCE) as unknown as string[];
  const signals: Signal[] = [
    { signal: 'store_order_share', value: storeShareBp, threshold: SIGNAL_THRESHOLDS.storeOrderShareBp, flagged: storeOrders.length > 0 && storeShareBp >= SIGNAL_THRESHOLDS.storeOrderShareBp, evidence: { orderIds: ids(storeOrders, 'order_id'), memberIds: [] } },
    { signal: 'relation_churn', value: churn.length, threshold: SIGNAL_THRESHOLDS.relationChurn, flagged: churn.length >= SIGNAL_THRESHOLDS.relationChurn, evidence: { orderIds: [], memberIds: ids(churn, 'member_id') } },
    { signal: 'bind_burst', value: burst.length, threshold: SIGNAL_THRESHOLDS.bindBurstPerHour, flagged: burst.length >= SIGNAL_THRESHOLDS.bindBurstPerHour, evidence: { orderIds: [], memberIds: ids(burst, 'member_id') } },
    { signal: 'quick_attribution', value: quick.length, threshold: SIGNAL_THRESHOLDS.quickAttributions, flagged: quick.length >= SIGNAL_THRESHOLDS.quickAttributions, evidence: { orderIds: ids(quick, 'order_id'), memberIds: ids(quick, 'member_id') } },
    { signal: 'self_purchase_refused', value: self.length, threshold: SIGNAL_THRESHOLDS.selfPurchases, flagged: self.length >= SIGNAL_THRESHOLDS.selfPurchases, evidence: { orderIds: ids(self, 'order_id'), memberIds: [] } },
  ];
  return { guideId, from: period.from.toISOString(), to: period.to.toISOString(), attributedOrders: orders.length, signals };
}
