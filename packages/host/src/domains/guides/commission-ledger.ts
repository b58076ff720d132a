import { TkError } from '@tongkit/sdk';
import type { Database, Queryable } from '../../platform/storage/database.js';
import { emitDomainEvent, type PublishInTransaction } from '../domain-events.js';
import { cumulativeReversal } from '../points/index.js';

/** An order as the commission ledger needs it: the money tenders paid, and whose. */
export interface CommissionOrder {
  orderId: string;
  memberId: string | null;
  /** Money tenders (cash + card): the commission base. */
  paidFen: number;
  paidAt: Date;
  channel: 'online' | 'store';
}

/** The decided attribution of an order. */
export interface Attribution {
  guideId: string | null;
  reason: string;
  source: 'plugin' | 'fallback' | 'platform';
  /** The guide refused because they bought it themselves (a signal), if any. */
  refusedGuideId?: string | null | undefined;
}

/** One checked split to accrue. */
export interface Split {
  guideId: string;
  role: string;
  amountFen: number;
  basis: string;
}

export interface LedgerOutcome {
  result: 'applied' | 'duplicate' | 'rejected';
  code: string;
  entries: number;
}

interface OrderRow {
  paid_fen: number;
  refunded_fen: number;
  attributed: boolean;
}

interface CommissionRow {
  guide_id: string;
  role: string;
  accrued_fen: number;
  reversed_fen: number;
}

/**
 * The commission ledger: append-only entries per guide (+ accruals, − reversals), a split row per
 * (order, guide) with what it accrued and reversed so far, and the order row both lock (lock order:
 * guide_orders, then the outbox). Accrual happens once per order on `order.paid` (money tenders only);
 * each refund reverses `floor(accrued × refundedToDate / paid) − reversedSoFar` per split, so partial
 * refunds never leak and never reverse more than was accrued; a refund processed before the accrual is
 * recorded on the order row and reversed by the accrual when it runs.
 */
export class CommissionLedger {
  constructor(
    private readonly db: Database,
    private readonly publishIn: PublishInTransaction,
  ) {}

  /** Locks the order's row, creating it when this is the first the ledger hears of the order. */
  private async lockOrder(tx: Queryable, merchantId: string, order: { orderId: string; memberId: string | null; paidFen: number }): Promise<OrderRow> {
    const { rows } = await tx.query<OrderRow>(
      `INSERT INTO guide_orders (merchant_id, order_id, member_id, paid_fen) VALUES ($1, $2, $3, $4)
       ON CONFLICT (merchant_id, order_id) DO UPDATE SET order_id = guide_orders.order_id
       RETURNING paid_fen::int8 AS paid_fen, refunded_fen::int8 AS refunded_fen, attributed`,
      [merchantId, order.orderId, order.memberId, order.paidFen],
    );
    const row = rows[0]!;
    if (Number(row.paid_fen) !== order.paidFen) throw new TkError('TK_CONFLICT', `order ${order.orderId} is known to the commission ledger with ${row.paid_fen} fen paid, not ${order.paidFen}`);
    return { paid_fen: Number(row.paid_fen), refunded_fen: Number(row.refunded_fen), attributed: row.attributed };
  }

  /**
   * Records the order's attribution and accrues its splits, once: a redelivered `order.paid` is a
   * duplicate. Splits are accrued as given (the caller checked them against the cap); when refunds came
   * first, each is reversed at once by the refunded share.
   */
  async accrue(merchantId: string, order: CommissionOrder, attribution: Attribution, splits: readonly Split[]): Promise<LedgerOutcome> {
    return this.db.transaction(async (tx) => {
      const row = await this.lockOrder(tx, merchantId, order);
      if (row.attributed) return { result: 'duplicate', code: 'ALREADY_ACCRUED', entries: 0 };
      await tx.query(
        `UPDATE guide_orders SET attributed = true, guide_id = $3, reason = $4, decision_source = $5, refused_guide_id = $6, channel = $7, paid_at = $8, attributed_at = now()
         WHERE merchant_id = $1 AND order_id = $2`,
        [merchantId, order.orderId, attribution.guideId, attribution.reason.slice(0, 200), attribution.source, attribution.refusedGuideId ?? null, order.channel, order.paidAt],
      );
      await emitDomainEvent(this.publishIn, tx, merchantId, {
        id: `order.attributed:${order.orderId}`,
        type: 'order.attributed',
        data: { orderId: order.orderId, memberId: order.memberId, guideId: attribution.guideId, reason: attribution.reason.slice(0, 200), source: attribution.source },
        occurredAt: order.paidAt,
      });
      let entries = 0;
      const lastRefund = row.refunded_fen > 0 ? await this.lastRefund(tx, merchantId, order.orderId) : undefined;
      for (const split of [...splits].sort((a, b) => (a.guideId < b.guideId ? -1 : 1))) {
        if (split.amountFen <= 0 || attribution.guideId === null) continue;
        const reversed = cumulativeReversal({ granted: split.amountFen, paidFen: Math.max(1, row.paid_fen), refundedToDateFen: row.refunded_fen, reversedSoFar: 0 });
        await tx.query(`INSERT INTO guide_commissions (merchant_id, order_id, guide_id, role, basis, accrued_fen, reversed_fen) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
          merchantId, order.orderId, split.guideId, split.role, split.basis.slice(0, 200), split.amountFen, reversed,
        ]);
        await this.entry(tx, merchantId, split.guideId, order.orderId, 'accrue', '', split.amountFen, order.paidAt);
        entries++;
        await emitDomainEvent(this.publishIn, tx, merchantId, {
          id: `commission.accrued:${order.orderId}:${split.guideId}`,
          type: 'commission.accrued',
          data: { orderId: order.orderId, guideId: split.guideId, role: split.role, amountFen: split.amountFen, accruedFen: split.amountFen, reversedFen: reversed },
          occurredAt: order.paidAt,
        });
        if (reversed > 0 && lastRefund) {
          await this.entry(tx, merchantId, split.guideId, order.orderId, 'reverse', lastRefund.refundId, -reversed, lastRefund.at);
          entries++;
          await this.announceReversal(tx, merchantId, order.orderId, split, split.amountFen, reversed, reversed, lastRefund);
        }
      }
      return { result: 'applied', code: splits.length > 0 && attribution.guideId ? 'ACCRUED' : 'ATTRIBUTED', entries };
    });
  }

  /**
   * Records a refund's money part and reverses every split of the order cumulatively. Idempotent by
   * refund id; a refund that would pass what was paid is rejected.
   */
  async reverse(merchantId: string, order: { orderId: string; memberId: string | null; paidFen: number }, refund: { refundId: string; spendFen: number; refundedAt: Date }): Promise<LedgerOutcome> {
    return this.db.transaction(async (tx) => {
      const row = await this.lockOrder(tx, merchantId, order);
      const inserted = await tx.query(`INSERT INTO guide_order_refunds (merchant_id, order_id, refund_id, spend_fen, refunded_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, [
        merchantId, order.orderId, refund.refundId, refund.spendFen, refund.refundedAt,
      ]);
      if (inserted.rowCount === 0) return { result: 'duplicate', code: 'ALREADY_REVERSED', entries: 0 };
      const refundedToDate = row.refunded_fen + refund.spendFen;
      if (refundedToDate > row.paid_fen) throw new TkError('TK_CONFLICT', `refund ${refund.refundId} would take order ${order.orderId} past the ${row.paid_fen} fen paid`);
      await tx.query('UPDATE guide_orders SET refunded_fen = $3 WHERE merchant_id = $1 AND order_id = $2', [merchantId, order.orderId, refundedToDate]);
      const { rows: splits } = await tx.query<CommissionRow>(
        'SELECT guide_id, role, accrued_fen::int8 AS accrued_fen, reversed_fen::int8 AS reversed_fen FROM guide_commissions WHERE merchant_id = $1 AND order_id = $2 ORDER BY guide_id',
        [merchantId, order.orderId],
      );
      let entries = 0;
      for (const split of splits) {
        const accrued = Number(split.accrued_fen);
        const before = Number(split.reversed_fen);
        const amount = cumulativeReversal({ granted: accrued, paidFen: row.paid_fen, refundedToDateFen: refundedToDate, reversedSoFar: before });
        if (amount === 0) continue;
        await tx.query('UPDATE guide_commissions SET reversed_fen = $4 WHERE merchant_id = $1 AND order_id = $2 AND guide_id = $3', [merchantId, order.orderId, split.guide_id, before + amount]);
        await this.entry(tx, merchantId, split.guide_id, order.orderId, 'reverse', refund.refundId, -amount, refund.refundedAt);
        entries++;
        await this.announceReversal(tx, merchantId, order.orderId, { guideId: split.guide_id, role: split.role }, accrued, amount, before + amount, { refundId: refund.refundId, at: refund.refundedAt });
      }
      return { result: 'applied', code: 'REVERSED', entries };
    });
  }

  private async lastRefund(tx: Queryable, merchantId: string, orderId: string): Promise<{ refundId: string; at: Date } | undefined> {
    const { rows } = await tx.query<{ refund_id: string; refunded_at: Date }>(
      'SELECT refund_id, refunded_at FROM guide_order_refunds WHERE merchant_id = $1 AND order_id = $2 ORDER BY refunded_at DESC, refund_id DESC LIMIT 1',
      [merchantId, orderId],
    );
    return rows[0] ? { refundId: rows[0].refund_id, at: rows[0].refunded_at } : undefined;
  }

  private async entry(tx: Queryable, merchantId: string, guideId: string, orderId: string, kind: 'accrue' | 'reverse', refundId: string, amountFen: number, at: Date): Promise<void> {
    await tx.query(`INSERT INTO commission_entries (merchant_id, guide_id, order_id, kind, refund_id, amount_fen, occurred_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
      merchantId, guideId, orderId, kind, refundId, amountFen, at,
    ]);
  }

  private async announceReversal(tx: Queryable, merchantId: string, orderId: string, split: { guideId: string; role: string }, accrued: number, amount: number, reversedTotal: number, refund: { refundId: string; at: Date }): Promise<void> {
    await emitDomainEvent(this.publishIn, tx, merchantId, {
      id: `commission.reversed:${orderId}:${split.guideId}:${refund.refundId}`,
      type: 'commission.reversed',
      data: { orderId, guideId: split.guideId, role: split.role, amountFen: amount, accruedFen: accrued, reversedFen: reversedTotal, refundId: refund.refundId },
      occurredAt: refund.at,
    });
  }

  /** A guide's balance (Σ entries), what their splits accrued and reversed, and the latest entries. */
  async commissionOf(merchantId: string, guideId: string, tx: Queryable = this.db): Promise<GuideCommission> {
    const { rows: totals } = await tx.query<{ balance: string | null; accrued: string | null; reversed: string | null }>(
      `SELECT (SELECT sum(amount_fen) FROM commission_entries WHERE merchant_id = $1 AND guide_id = $2) AS balance,
              sum(accrued_fen) AS accrued, sum(reversed_fen) AS reversed FROM guide_commissions WHERE merchant_id = $1 AND guide_id = $2`,
      [merchantId, guideId],
    );
    const { rows } = await tx.query<{ seq: string; order_id: string; kind: 'accrue' | 'reverse'; refund_id: string; amount_fen: string; occurred_at: Date; statement_month: string | null }>(
      `SELECT seq, order_id, kind, refund_id, amount_fen, occurred_at, statement_month FROM commission_entries WHERE merchant_id = $1 AND guide_id = $2 ORDER BY seq DESC LIMIT 200`,
      [merchantId, guideId],
    );
    const t = totals[0]!;
    return {
      guideId,
      balanceFen: Number(t.balance ?? 0),
      accruedFen: Number(t.accrued ?? 0),
      reversedFen: Number(t.reversed ?? 0),
      entries: rows.map((r) => ({ seq: Number(r.seq), orderId: r.order_id, kind: r.kind, refundId: r.refund_id === '' ? null : r.refund_id, amountFen: Number(r.amount_fen), occurredAt: r.occurred_at.toISOString(), statementMonth: r.statement_month })),
    };
  }
}

/** A guide's commission account. */
export interface GuideCommission {
  guideId: string;
  balanceFen: number;
  accruedFen: number;
  reversedFen: number;
  entries: Array<{ seq: number; orderId: string; kind: 'accrue' | 'reverse'; refundId: string | null; amountFen: number; occurredAt: string; statementMonth: string | null }>;
}
