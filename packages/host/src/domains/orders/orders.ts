import { SPEND_TENDERS, TkError } from '@tongkit/sdk';
import type { Database, Queryable } from '../../platform/storage/database.js';
import { emitDomainEvent, type PublishInTransaction } from '../domain-events.js';
import { MerchantCalendar } from '../../platform/tenancy/merchant-calendar.js';
import type { Members } from '../members/members.js';
import { requestHash } from '../request-hash.js';
import { OrderStore, type LineRow, type OrderRow, type RefundRow, type TenderRow } from './order-store.js';
import type { CreateOrderRequest, CreateOrderResult, Order, OrderPage, Refund, RefundRequest, RefundResult } from './schemas.js';
import { lineRefundFen, orderTotals, spendOf, splitRefund } from './tenders.js';

function toRefund(row: RefundRow): Refund {
  return { id: row.id, amountFen: row.amount_fen, spendFen: row.spend_fen, tenders: row.tenders, lines: row.lines, reason: row.reason, refundedAt: row.refunded_at.toISOString() };
}

function toOrder(row: OrderRow, lines: LineRow[], tenders: TenderRow[], refunds: RefundRow[], calendar: MerchantCalendar): Order {
  return {
    id: row.id,
    kind: row.kind,
    channel: row.channel,
    storeId: row.store_id,
    memberId: row.member_id,
    guideId: row.guide_id,
    status: row.status,
    totalFen: row.total_fen,
    spendFen: row.spend_fen,
    refundedFen: row.refunded_fen,
    paidAt: row.paid_at.toISOString(),
    paidOn: calendar.localDate(row.paid_at),
    lines: lines.map((l) => ({
      lineNo: l.line_no,
      sku: l.sku,
      title: l.title,
      category: l.category,
      quantity: l.quantity,
      unitPriceFen: l.unit_price_fen,
      discountFen: l.discount_fen,
      netFen: l.net_fen,
      refundedQuantity: l.refunded_quantity,
      refundedFen: l.refunded_fen,
    })),
    tenders: tenders.map((t) => ({ tenderNo: t.tender_no, method: t.method, amountFen: t.amount_fen, refundedFen: t.refunded_fen, holdId: t.hold_id })),
    refunds: refunds.map(toRefund),
  };
}

const notFound = (orderId: string) => new TkError('TK_NOT_FOUND', `no order ${orderId.slice(0, 64)}`);

/** A cursor of {@link Orders.byMember}: the last order of a page, as base64url of `paidAt|id`. */
function decodeCursor(cursor: string): { paidAt: Date; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const bar = text.indexOf('|');
  const paidAt = new Date(text.slice(0, bar));
  if (bar < 0 || Number.isNaN(paidAt.getTime())) throw new TkError('TK_VALIDATION', 'not a cursor this host gave', { path: '/querystring/cursor' });
  return { paidAt, id: text.slice(bar + 1) };
}
const encodeCursor = (row: OrderRow) => Buffer.from(`${row.paid_at.toISOString()}|${row.id}`).toString('base64url');

/**
 * Orders in: idempotent creation by the merchant's own order ID, tenders that must add up to the total,
 * refunds split across the tenders pro rata (rounding remainder to cash, never more than paid), and the
 * `order.paid` / `order.refunded` events in the same transaction, carrying the fact's time as
 * `occurredAt`. A `service` order emits no `order.paid` for its total: its stages count when paid.
 */
export class Orders {
  constructor(
    private readonly db: Database,
    private readonly members: Members,
    private readonly publishIn: PublishInTransaction,
  ) {}

  /**
   * Records a paid (or cancelled) order. The same ID with the same request is `duplicate` and returns
   * the stored order; with another request TK_CONFLICT. Bad input is TK_VALIDATION at its JSON path
   * (tenders that do not add up at `/payments`), an unknown store or member TK_NOT_FOUND.
   */
  async create(merchantId: string, request: CreateOrderRequest): Promise<CreateOrderResult> {
    const { netFen, totalFen, spendFen } = orderTotals(
      request.lines.map((l) => ({ quantity: l.quantity, unitPriceFen: l.unitPriceFen, discountFen: l.discountFen ?? 0 })),
      request.payments,
    );
    if (request.channel === 'store' && request.storeId === undefined) throw new TkError('TK_VALIDATION', 'a store order names its store', { path: '/storeId' });
    const hash = requestHash(request);
    const paidAt = new Date(request.paidAt);
    return this.db.transaction(async (tx) => {
      const store = new OrderStore(tx);
      const existing = await store.get(merchantId, request.id);
      if (existing) return this.duplicateOf(tx, merchantId, existing, hash);
      if (request.storeId !== undefined && !(await store.storeOf(merchantId, request.storeId))) {
        throw new TkError('TK_NOT_FOUND', `no store ${request.storeId} among the merchant's stores`, { path: '/storeId' });
      }
      const memberId = await this.resolveMember(tx, merchantId, request.member);
      const status = request.status ?? 'paid';
      const lines = request.lines.map((l, i) => ({ sku: l.sku, title: l.title, category: l.category, quantity: l.quantity, unit_price_fen: l.unitPriceFen, discount_fen: l.discountFen ?? 0, net_fen: netFen[i]! }));
      const { inserted, timeZone } = await store.insertWhole(
        {
          merchant_id: merchantId,
          id: request.id,
          request_hash: hash,
          kind: request.kind,
          channel: request.channel,
          store_id: request.storeId ?? null,
          member_id: memberId,
          guide_id: request.guideId ?? null,
          status,
          total_fen: totalFen,
          spend_fen: spendFen,
          paid_at: paidAt,
        },
        lines,
        request.payments.map((p) => ({ method: p.method, amountFen: p.amountFen, holdId: p.holdId ?? null })),
      );
      // A concurrent request with the same ID committed between the read and the insert.
      if (!inserted) return this.duplicateOf(tx, merchantId, (await store.get(merchantId, request.id))!, hash);
      const calendar = new MerchantCalendar(timeZone);
      if (request.kind === 'goods' && status === 'paid') {
        await emitDomainEvent(this.publishIn, tx, merchantId, {
          id: `order.paid:${request.id}`,
          type: 'order.paid',
          data: {
            orderId: request.id,
            memberId,
            kind: 'goods',
            channel: request.channel,
            storeId: request.storeId ?? null,
            guideId: request.guideId ?? null,
            totalFen,
            spendFen,
            tenders: request.payments.map((p) => ({ method: p.method, amountFen: p.amountFen })),
            lines: lines.map((l) => ({ sku: l.sku, category: l.category, quantity: l.quantity, netFen: l.net_fen })),
            paidAt: paidAt.toISOString(),
            paidOn: calendar.localDate(paidAt),
          },
          occurredAt: paidAt,
        });
      }
      // What was just written, as read back would give it (no second round of queries on the hot path).
      const row: OrderRow = { merchant_id: merchantId, id: request.id, request_hash: hash, kind: request.kind, channel: request.channel, store_id: request.storeId ?? null, member_id: memberId, guide_id: request.guideId ?? null, status, total_fen: totalFen, spend_fen: spendFen, refunded_fen: 0, paid_at: paidAt };
      const lineRows = lines.map((l, i) => ({ ...l, line_no: i, refunded_quantity: 0, refunded_fen: 0 }));
      const tenderRows = request.payments.map((p, i) => ({ tender_no: i, method: p.method, amount_fen: p.amountFen, refunded_fen: 0, hold_id: p.holdId ?? null }));
      return { result: 'applied', order: toOrder(row, lineRows, tenderRows, [], calendar) };
    });
  }

  private async duplicateOf(tx: Queryable, merchantId: string, existing: OrderRow, hash: string): Promise<CreateOrderResult> {
    if (existing.request_hash !== hash) {
      throw new TkError('TK_CONFLICT', `order ${existing.id} was recorded with another request`, {
        path: '/id',
        hint: 'The same order ID with the same request is a duplicate; a changed order needs a refund (or a new order ID), not a resend.',
      });
    }
    return { result: 'duplicate', order: await this.read(tx, merchantId, existing.id) };
  }

  private async resolveMember(tx: Queryable, merchantId: string, ref: CreateOrderRequest['member']): Promise<string | null> {
    if (ref === undefined) return null;
    if ('crmMemberId' in ref) return (await this.members.resolveCrmMember(merchantId, ref.crmMemberId, tx, '/member/crmMemberId')).id;
    try {
      return (await this.members.get(merchantId, ref.id, tx)).id;
    } catch (error) {
      if (error instanceof TkError && error.code === 'TK_NOT_FOUND') throw new TkError('TK_NOT_FOUND', error.message, { path: '/member/id' });
      throw error;
    }
  }

  /**
   * What a member spent from `from` to `to` (both inclusive), per channel: the cash and card tenders of
   * its goods orders paid in the window, net of their refunds, and the number of those orders not
   * refunded in full (the facts of a tier decision). Service orders count by their stages, not here.
   */
  async spendSummary(merchantId: string, memberId: string, window: { from: Date; to: Date }): Promise<{ onlineFen: number; storeFen: number; orderCount: number }> {
    const rows = await new OrderStore(this.db).spendByChannel(merchantId, memberId, window.from, window.to, SPEND_TENDERS);
    const of = (channel: 'online' | 'store') => rows.find((row) => row.channel === channel);
    return { onlineFen: of('online')?.spend_fen ?? 0, storeFen: of('store')?.spend_fen ?? 0, orderCount: rows.reduce((n, row) => n + row.orders, 0) };
  }

  /** The merchant's time zone (every calendar rule is computed in it). */
  async timeZoneOf(merchantId: string): Promise<string> {
    return new OrderStore(this.db).timeZoneOf(merchantId);
  }

  /** An order of the merchant; TK_NOT_FOUND for another merchant's as for one that does not exist. */
  async get(merchantId: string, orderId: string, tx: Queryable = this.db): Promise<Order> {
    return this.read(tx, merchantId, orderId);
  }

  private async read(tx: Queryable, merchantId: string, orderId: string, calendar?: MerchantCalendar): Promise<Order> {
    const store = new OrderStore(tx);
    const row = await store.get(merchantId, orderId);
    if (!row) throw notFound(orderId);
    // One after the other: a transaction's connection runs one statement at a time anyway.
    const lines = await store.lines(merchantId, [orderId]);
    const tenders = await store.tenders(merchantId, [orderId]);
    const refunds = await store.refunds(merchantId, [orderId]);
    const timeZone = calendar ? calendar.timeZone : await store.timeZoneOf(merchantId);
    return toOrder(row, lines, tenders, refunds, calendar ?? new MerchantCalendar(timeZone));
  }

  /** A member's orders, newest first, `limit` a page, continued by `cursor`. TK_NOT_FOUND for an unknown member. */
  async byMember(merchantId: string, memberId: string, page: { cursor?: string | undefined; limit?: number | undefined } = {}): Promise<OrderPage> {
    await this.members.get(merchantId, memberId);
    const limit = page.limit ?? 50;
    const store = new OrderStore(this.db);
    const rows = await store.byMember(merchantId, memberId, page.cursor === undefined ? undefined : decodeCursor(page.cursor), limit + 1);
    const pageRows = rows.slice(0, limit);
    const ids = pageRows.map((r) => r.id);
    const [lines, tenders, refunds, timeZone] = await Promise.all([store.lines(merchantId, ids), store.tenders(merchantId, ids), store.refunds(merchantId, ids), store.timeZoneOf(merchantId)]);
    const calendar = new MerchantCalendar(timeZone);
    const items = pageRows.map((row) =>
      toOrder(
        row,
        lines.filter((l) => l.order_id === row.id),
        tenders.filter((t) => t.order_id === row.id),
        refunds.filter((r) => r.order_id === row.id),
        calendar,
      ),
    );
    return { items, nextCursor: rows.length > limit ? encodeCursor(pageRows[pageRows.length - 1]!) : null };
  }

  /**
   * Refunds the whole order (neither `amountFen` nor `lines`), some lines (units of them), or an amount.
   * Never more than was paid: a refund that would pass it is `rejected` with `REFUND_EXCEEDS_PAID`. The
   * refund is split across the tenders by {@link splitRefund} and emits `order.refunded` with this
   * refund per tender and the cumulative refunded totals. The same refund ID with the same request is
   * `duplicate`; with another TK_CONFLICT.
   */
  async refund(merchantId: string, orderId: string, request: RefundRequest): Promise<RefundResult> {
    if (request.amountFen !== undefined && request.lines !== undefined) {
      throw new TkError('TK_VALIDATION', 'refund either some lines or an amount, not both', { path: '/amountFen' });
    }
    const hash = requestHash(request);
    const refundedAt = new Date(request.refundedAt);
    return this.db.transaction(async (tx) => {
      const store = new OrderStore(tx);
      // The order's row lock serialises its refunds: each sees what the one before it refunded.
      const order = await store.get(merchantId, orderId, true);
      if (!order) throw notFound(orderId);
      const lines = await store.lines(merchantId, [orderId]);
      const tenders = await store.tenders(merchantId, [orderId]);
      const refunds = await store.refunds(merchantId, [orderId]);
      const timeZone = await store.timeZoneOf(merchantId);
      const calendar = new MerchantCalendar(timeZone);
      const current = () => toOrder(order, lines, tenders, refunds, calendar);
      const existing = refunds.find((r) => r.id === request.refundId);
      if (existing) {
        if (existing.request_hash !== hash) {
          throw new TkError('TK_CONFLICT', `refund ${request.refundId} of order ${orderId} was recorded with another request`, { path: '/refundId' });
        }
        return { result: 'duplicate', code: 'ALREADY_REFUNDED', refund: toRefund(existing), order: current() };
      }
      const refuse = (code: RefundResult['code'], message: string): RefundResult => ({ result: 'rejected', code, message, refund: null, order: current() });
      if (order.status === 'cancelled') return refuse('ORDER_CANCELLED', 'a cancelled order was never paid, so nothing can be refunded');
      if (order.kind === 'service') return refuse('SERVICE_ORDER_REFUNDS_BY_STAGE', 'a service order is paid and refunded stage by stage (服务通), not as a whole');
      const openFen = order.total_fen - order.refunded_fen;

      let amountFen: number;
      let lineRefunds: Array<{ lineNo: number; quantity: number; amountFen: number }> | null = null;
      if (request.lines !== undefined) {
        const asked = new Map<number, number>();
        lineRefunds = request.lines.map((l, i) => {
          const line = lines.find((x) => x.line_no === l.lineNo);
          if (!line) throw new TkError('TK_VALIDATION', `order ${orderId} has no line ${l.lineNo}`, { path: `/lines/${i}/lineNo` });
          if (asked.has(l.lineNo)) throw new TkError('TK_VALIDATION', `line ${l.lineNo} is named twice`, { path: `/lines/${i}/lineNo` });
          asked.set(l.lineNo, l.quantity);
          const balance = { quantity: line.quantity, netFen: line.net_fen, refundedQuantity: line.refunded_quantity, refundedFen: line.refunded_fen };
          return { lineNo: l.lineNo, quantity: l.quantity, amountFen: lineRefundFen(balance, l.quantity, `/lines/${i}/quantity`) };
        });
        amountFen = lineRefunds.reduce((a, l) => a + l.amountFen, 0);
      } else {
        amountFen = request.amountFen ?? openFen;
      }
      if (openFen === 0 || amountFen === 0) return refuse('NOTHING_TO_REFUND', `order ${orderId} has nothing left to refund in this request`);
      if (amountFen > openFen) {
        return refuse('REFUND_EXCEEDS_PAID', `the refund of ${amountFen} fen is more than the ${openFen} fen still paid on order ${orderId} (${order.total_fen} paid, ${order.refunded_fen} refunded)`);
      }

      const balances = tenders.map((t) => ({ method: t.method, amountFen: t.amount_fen, refundedFen: t.refunded_fen }));
      const shares = splitRefund(balances, amountFen);
      const spendFen = spendOf(balances, shares);
      const tenderShares = tenders.map((t, i) => ({ tenderNo: t.tender_no, method: t.method, amountFen: shares[i]! })).filter((s) => s.amountFen > 0);
      const refundedTotal = order.refunded_fen + amountFen;
      const status = refundedTotal === order.total_fen ? 'refunded' : 'partially_refunded';
      const refundRow: RefundRow = { id: request.refundId, request_hash: hash, amount_fen: amountFen, spend_fen: spendFen, tenders: tenderShares, lines: lineRefunds, reason: request.reason ?? null, refunded_at: refundedAt };
      await store.insertRefund(merchantId, orderId, { ...refundRow, requestHash: hash });
      await store.addTenderRefunds(merchantId, orderId, tenderShares);
      if (lineRefunds) await store.addLineRefunds(merchantId, orderId, lineRefunds);
      await store.setRefunded(merchantId, orderId, refundedTotal, status);

      const spendRefundedBefore = refunds.reduce((a, r) => a + r.spend_fen, 0);
      await emitDomainEvent(this.publishIn, tx, merchantId, {
        id: `order.refunded:${orderId}:${request.refundId}`,
        type: 'order.refunded',
        data: {
          orderId,
          refundId: request.refundId,
          memberId: order.member_id,
          kind: 'goods',
          amountFen,
          spendFen,
          tenders: tenderShares.map((s) => ({ method: s.method, amountFen: s.amountFen })),
          totalFen: order.total_fen,
          orderSpendFen: order.spend_fen,
          refundedTotalFen: refundedTotal,
          refundedSpendFen: spendRefundedBefore + spendFen,
          status,
          refundedAt: refundedAt.toISOString(),
        },
        occurredAt: refundedAt,
      });
      return { result: 'applied', code: 'REFUNDED', refund: toRefund(refundRow), order: await this.read(tx, merchantId, orderId, calendar) };
    });
  }
}
