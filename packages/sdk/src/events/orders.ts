import { Type, type Static } from '@sinclair/typebox';
import { Fen, MemberId, Timestamp } from '../catalogue/shared.js';

/** The ways an order can be paid (tenders). Only `cash` and `card` are money that counts as spend. */
export const TenderMethod = Type.Union(
  [Type.Literal('cash'), Type.Literal('card'), Type.Literal('points'), Type.Literal('storedValue'), Type.Literal('voucher')],
  { description: 'cash | card | points | storedValue | voucher' },
);
/** One of {@link TenderMethod}. */
export type TenderMethod = Static<typeof TenderMethod>;

/**
 * The tenders that count as a member's spend (points earning, tier spend, commission): money paid now.
 * Points and vouchers are not money; stored value earned its points when it was spent at top-up time
 * is not counted again (see docs/orders.md).
 */
export const SPEND_TENDERS: readonly TenderMethod[] = ['cash', 'card'];

/** A merchant's own order ID: idempotency key and URL part, per merchant. */
export const OrderId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$', description: "The merchant's own order ID" });

const TenderAmount = Type.Object(
  { method: TenderMethod, amountFen: Fen({ description: 'Amount of this tender, in fen' }) },
  { additionalProperties: false },
);

const PaidLine = Type.Object(
  {
    sku: Type.String({ maxLength: 64 }),
    category: Type.String({ maxLength: 64 }),
    quantity: Type.Integer({ minimum: 1 }),
    netFen: Fen({ description: 'quantity × unitPriceFen − discountFen' }),
  },
  { additionalProperties: false },
);

/** `order.paid`: a goods order was paid. Service orders emit none for their total (their stages count). */
export const OrderPaidData = Type.Object(
  {
    orderId: OrderId,
    memberId: Type.Union([MemberId, Type.Null()], { description: 'null for a guest order' }),
    kind: Type.Literal('goods'),
    channel: Type.Union([Type.Literal('online'), Type.Literal('store')]),
    storeId: Type.Union([Type.String(), Type.Null()]),
    guideId: Type.Union([Type.String(), Type.Null()]),
    totalFen: Fen({ description: 'What the order cost: the sum of its lines and of its tenders' }),
    spendFen: Fen({ description: 'The money tenders (cash + card): what counts as spend' }),
    tenders: Type.Array(TenderAmount),
    lines: Type.Array(PaidLine),
    paidAt: Timestamp({ description: 'When it was paid (also the event’s occurredAt)' }),
    paidOn: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'The date of paidAt in the merchant’s time zone' }),
  },
  { additionalProperties: false },
);
/** The data of an `order.paid` event. */
export type OrderPaidData = Static<typeof OrderPaidData>;

/** `order.refunded`: part or all of a paid order was refunded, split across its tenders. */
export const OrderRefundedData = Type.Object(
  {
    orderId: OrderId,
    refundId: Type.String({ maxLength: 64, description: "The merchant's own refund ID" }),
    memberId: Type.Union([MemberId, Type.Null()]),
    kind: Type.Literal('goods'),
    amountFen: Fen({ description: 'Refunded by this refund' }),
    spendFen: Fen({ description: 'The money tenders’ part of this refund (cash + card)' }),
    tenders: Type.Array(TenderAmount, { description: 'This refund per tender' }),
    totalFen: Fen({ description: 'What the order was paid' }),
    orderSpendFen: Fen({ description: 'The order’s money tenders (what counted as spend)' }),
    refundedTotalFen: Fen({ description: 'Refunded so far, this refund included' }),
    refundedSpendFen: Fen({ description: 'Money tenders refunded so far, this refund included' }),
    status: Type.Union([Type.Literal('partially_refunded'), Type.Literal('refunded')]),
    refundedAt: Timestamp({ description: 'When it was refunded (also the event’s occurredAt)' }),
  },
  { additionalProperties: false },
);
/** The data of an `order.refunded` event. */
export type OrderRefundedData = Static<typeof OrderRefundedData>;
