import type { TenderMethod } from '@tongkit/sdk';
import type { Queryable } from '../../platform/storage/database.js';

/** An order row as the store reads it. */
export interface OrderRow {
  merchant_id: string;
  id: string;
  request_hash: string;
  kind: 'goods' | 'service';
  channel: 'online' | 'store';
  store_id: string | null;
  member_id: string | null;
  guide_id: string | null;
  status: 'paid' | 'partially_refunded' | 'refunded' | 'cancelled';
  total_fen: number;
  spend_fen: number;
  refunded_fen: number;
  paid_at: Date;
}

export interface LineRow {
  line_no: number;
  sku: string;
  title: string;
  category: string;
  quantity: number;
  unit_price_fen: number;
  discount_fen: number;
  net_fen: number;
  refunded_quantity: number;
  refunded_fen: number;
}

export interface TenderRow {
  tender_no: number;
  method: TenderMethod;
  amount_fen: number;
  refunded_fen: number;
  hold_id: string | null;
}

export interface RefundRow {
  id: string;
  request_hash: string;
  amount_fen: number;
  spend_fen: number;
  tenders: Array<{ tenderNo: number; method: TenderMethod; amountFen: number }>;
  lines: Array<{ lineNo: number; quantity: number; amountFen: number }> | null;
  reason: string | null;
  refunded_at: Date;
}

const ORDER_COLUMNS = 'merchant_id, id, request_hash, kind, channel, store_id, member_id, guide_id, status, total_fen, spend_fen, refunded_fen, paid_at';

/**
 * SQL of the orders' tables (orders, order_lines, order_tenders, order_refunds), every statement scoped
 * to one merchant. A refund locks its order's row first; lines and tenders are only changed under it.
 */
export class OrderStore {
  constructor(private readonly tx: Queryable) {}

  /**
   * Inserts an order with its lines and tenders in one statement (one round trip on the ingestion path
   * instead of four), and reads the merchant's time zone with it. Nothing is written when the order ID
   * exists already (`inserted: false`): the lines and tenders insert only beside a new order row. The
   * lines' and tenders' foreign keys are checked at the end of the statement, after the order row.
   */
  async insertWhole(
    order: Omit<OrderRow, 'refunded_fen'>,
    lines: ReadonlyArray<Omit<LineRow, 'line_no' | 'refunded_quantity' | 'refunded_fen'>>,
    tenders: ReadonlyArray<{ method: TenderMethod; amountFen: number; holdId: string | null }>,
  ): Promise<{ inserted: boolean; timeZone: string }> {
    const { rows } = await this.tx.query<{ inserted: boolean; time_zone: string | null }>(
      `WITH o AS (
         INSERT INTO orders (merchant_id, id, request_hash, kind, channel, store_id, member_id, guide_id, status, total_fen, spend_fen, paid_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (merchant_id, id) DO NOTHING RETURNING id
       ), l AS (
         INSERT INTO order_lines (merchant_id, order_id, line_no, sku, title, category, quantity, unit_price_fen, discount_fen, net_fen)
         SELECT $1, $2, n - 1, sku, title, category, quantity, unit_price_fen, discount_fen, net_fen
         FROM unnest($13::text[], $14::text[], $15::text[], $16::int[], $17::bigint[], $18::bigint[], $19::bigint[]) WITH ORDINALITY
           AS l(sku, title, category, quantity, unit_price_fen, discount_fen, net_fen, n)
         WHERE EXISTS (SELECT 1 FROM o)
       ), t AS (
         INSERT INTO order_tenders (merchant_id, order_id, tender_no, method, amount_fen, hold_id)
         SELECT $1, $2, n - 1, method, amount_fen, hold_id FROM unnest($20::text[], $21::bigint[], $22::text[]) WITH ORDINALITY AS t(method, amount_fen, hold_id, n)
         WHERE EXISTS (SELECT 1 FROM o)
       )
       SELECT EXISTS (SELECT 1 FROM o) AS inserted, (SELECT time_zone FROM merchants WHERE id = $1) AS time_zone`,
      [
        order.merchant_id, order.id, order.request_hash, order.kind, order.channel, order.store_id, order.member_id, order.guide_id, order.status, order.total_fen, order.spend_fen, order.paid_at,
        lines.map((l) => l.sku), lines.map((l) => l.title), lines.map((l) => l.category), lines.map((l) => l.quantity), lines.map((l) => l.unit_price_fen), lines.map((l) => l.discount_fen), lines.map((l) => l.net_fen),
        tenders.map((t) => t.method), tenders.map((t) => t.amountFen), tenders.map((t) => t.holdId),
      ],
    );
    return { inserted: rows[0]!.inserted, timeZone: rows[0]!.time_zone ?? 'Asia/Shanghai' };
  }



  async get(merchantId: string, id: string, forUpdate = false): Promise<OrderRow | undefined> {
    const { rows } = await this.tx.query<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM orders WHERE merchant_id = $1 AND id = $2 ${forUpdate ? 'FOR UPDATE' : ''}`, [merchantId, id]);
    return rows[0];
  }

  async lines(merchantId: string, orderIds: readonly string[]): Promise<Array<LineRow & { order_id: string }>> {
    const { rows } = await this.tx.query<LineRow & { order_id: string }>(
      `SELECT order_id, line_no, sku, title, category, quantity, unit_price_fen, discount_fen, net_fen, refunded_quantity, refunded_fen
       FROM order_lines WHERE merchant_id = $1 AND order_id = ANY($2::text[]) ORDER BY order_id, line_no`,
      [merchantId, orderIds],
    );
    return rows;
  }

  async tenders(merchantId: string, orderIds: readonly string[]): Promise<Array<TenderRow & { order_id: string }>> {
    const { rows } = await this.tx.query<TenderRow & { order_id: string }>(
      `SELECT order_id, tender_no, method, amount_fen, refunded_fen, hold_id FROM order_tenders
       WHERE merchant_id = $1 AND order_id = ANY($2::text[]) ORDER BY order_id, tender_no`,
      [merchantId, orderIds],
    );
    return rows;
  }

  async refunds(merchantId: string, orderIds: readonly string[]): Promise<Array<RefundRow & { order_id: string }>> {
    const { rows } = await this.tx.query<RefundRow & { order_id: string }>(
      `SELECT order_id, id, request_hash, amount_fen, spend_fen, tenders, lines, reason, refunded_at FROM order_refunds
       WHERE merchant_id = $1 AND order_id = ANY($2::text[]) ORDER BY order_id, refunded_at, created_at, id`,
      [merchantId, orderIds],
    );
    return rows;
  }

  async insertRefund(merchantId: string, orderId: string, refund: Omit<RefundRow, 'request_hash'> & { requestHash: string }): Promise<void> {
    await this.tx.query(
      `INSERT INTO order_refunds (merchant_id, order_id, id, request_hash, amount_fen, spend_fen, tenders, lines, reason, refunded_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10)`,
      [merchantId, orderId, refund.id, refund.requestHash, refund.amount_fen, refund.spend_fen, JSON.stringify(refund.tenders), refund.lines === null ? null : JSON.stringify(refund.lines), refund.reason, refund.refunded_at],
    );
  }

  /** Adds each tender's share of a refund to what was refunded of it (the CHECK keeps it ≤ paid). */
  async addTenderRefunds(merchantId: string, orderId: string, shares: ReadonlyArray<{ tenderNo: number; amountFen: number }>): Promise<void> {
    await this.tx.query(
      `UPDATE order_tenders t SET refunded_fen = t.refunded_fen + s.amount_fen
       FROM unnest($3::int[], $4::bigint[]) AS s(tender_no, amount_fen)
       WHERE t.merchant_id = $1 AND t.order_id = $2 AND t.tender_no = s.tender_no AND s.amount_fen > 0`,
      [merchantId, orderId, shares.map((s) => s.tenderNo), shares.map((s) => s.amountFen)],
    );
  }

  async addLineRefunds(merchantId: string, orderId: string, lines: ReadonlyArray<{ lineNo: number; quantity: number; amountFen: number }>): Promise<void> {
    await this.tx.query(
      `UPDATE order_lines l SET refunded_quantity = l.refunded_quantity + r.quantity, refunded_fen = l.refunded_fen + r.amount_fen
       FROM unnest($3::int[], $4::int[], $5::bigint[]) AS r(line_no, quantity, amount_fen)
       WHERE l.merchant_id = $1 AND l.order_id = $2 AND l.line_no = r.line_no`,
      [merchantId, orderId, lines.map((l) => l.lineNo), lines.map((l) => l.quantity), lines.map((l) => l.amountFen)],
    );
  }

  async setRefunded(merchantId: string, orderId: string, refundedFen: number, status: OrderRow['status']): Promise<void> {
    await this.tx.query('UPDATE orders SET refunded_fen = $3, status = $4 WHERE merchant_id = $1 AND id = $2', [merchantId, orderId, refundedFen, status]);
  }

  /** A member's orders, newest first, after the keyset cursor (paid_at, id) when given. */
  async byMember(merchantId: string, memberId: string, after: { paidAt: Date; id: string } | undefined, limit: number): Promise<OrderRow[]> {
    const { rows } = await this.tx.query<OrderRow>(
      `SELECT ${ORDER_COLUMNS} FROM orders WHERE merchant_id = $1 AND member_id = $2
         AND ($3::timestamptz IS NULL OR (paid_at, id) < ($3::timestamptz, $4::text))
       ORDER BY paid_at DESC, id DESC LIMIT $5`,
      [merchantId, memberId, after?.paidAt ?? null, after?.id ?? null, limit],
    );
    return rows;
  }

  async storeOf(merchantId: string, storeId: string): Promise<{ channel: string } | undefined> {
    const { rows } = await this.tx.query<{ channel: string }>('SELECT channel FROM stores WHERE merchant_id = $1 AND id = $2', [merchantId, storeId]);
    return rows[0];
  }

  /**
   * A member's goods orders paid in `[from, to]`, per channel: the money tenders (cash, card) net of what
   * was refunded of them, and how many of the orders were not refunded in full.
   */
  async spendByChannel(merchantId: string, memberId: string, from: Date, to: Date, spendTenders: readonly string[]): Promise<Array<{ channel: 'online' | 'store'; spend_fen: number; orders: number }>> {
    const { rows } = await this.tx.query<{ channel: 'online' | 'store'; spend_fen: string; orders: number }>(
      `SELECT o.channel,
              COALESCE(sum(t.spend), 0)::text AS spend_fen,
              count(*) FILTER (WHERE o.status IN ('paid', 'partially_refunded'))::int AS orders
       FROM orders o
       LEFT JOIN LATERAL (SELECT sum(amount_fen - refunded_fen) AS spend FROM order_tenders
                          WHERE merchant_id = o.merchant_id AND order_id = o.id AND method = ANY($5::text[])) t ON true
       WHERE o.merchant_id = $1 AND o.member_id = $2 AND o.kind = 'goods' AND o.status <> 'cancelled' AND o.paid_at >= $3 AND o.paid_at <= $4
       GROUP BY o.channel`,
      [merchantId, memberId, from, to, spendTenders],
    );
    return rows.map((row) => ({ channel: row.channel, spend_fen: Number(row.spend_fen), orders: row.orders }));
  }

  async timeZoneOf(merchantId: string): Promise<string> {
    const { rows } = await this.tx.query<{ time_zone: string }>('SELECT time_zone FROM merchants WHERE id = $1', [merchantId]);
    return rows[0]?.time_zone ?? 'Asia/Shanghai';
  }
}
