import { Type, type Static } from '@sinclair/typebox';
import { CrmMemberId, Fen, Order, OrderId, Refund, TenderMethod, Timestamp } from '@tongkit/sdk';

export { Order, Refund };

const Text = (maxLength: number, options: { description?: string } = {}) => Type.String({ minLength: 1, maxLength, ...options });
const RefundId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$', description: "The merchant's own refund ID" });

/** Most lines an order may have: its `order.paid` event (with the lines) must fit an event handler's input. */
export const MAX_ORDER_LINES = 200;

/** A line of an order as the merchant sends it. */
export const OrderLineInput = Type.Object(
  {
    sku: Text(64),
    title: Text(200),
    category: Text(64),
    quantity: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    unitPriceFen: Fen(),
    discountFen: Type.Optional(Fen({ description: 'Discount on the whole line (default 0)' })),
  },
  { additionalProperties: false },
);

/** A tender: how part of the order was paid. */
export const PaymentInput = Type.Object(
  {
    method: TenderMethod,
    amountFen: Type.Integer({ minimum: 1 }),
    holdId: Type.Optional(Text(64, { description: 'The points/stored-value/voucher hold this tender confirms' })),
  },
  { additionalProperties: false },
);

/** Who bought: a platform member ID, the brand CRM's ID of a bound member, or nobody (a guest). */
export const MemberRef = Type.Union([
  Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
  Type.Object({ crmMemberId: CrmMemberId }, { additionalProperties: false }),
]);

/** `POST /v1/orders`: idempotent by the merchant's own order ID. */
export const CreateOrderRequest = Type.Object(
  {
    id: OrderId,
    kind: Type.Union([Type.Literal('goods'), Type.Literal('service')]),
    channel: Type.Union([Type.Literal('online'), Type.Literal('store')]),
    storeId: Type.Optional(Text(64, { description: 'Required for channel store' })),
    member: Type.Optional(MemberRef),
    lines: Type.Array(OrderLineInput, { maxItems: MAX_ORDER_LINES }),
    payments: Type.Array(PaymentInput, { maxItems: 20 }),
    paidAt: Timestamp(),
    guideId: Type.Optional(Text(64)),
    status: Type.Optional(Type.Union([Type.Literal('paid'), Type.Literal('cancelled')], { description: 'Default paid; a cancelled order emits nothing' })),
  },
  { additionalProperties: false },
);
export type CreateOrderRequest = Static<typeof CreateOrderRequest>;

/** `POST /v1/orders/:id/refunds`: the whole order (neither amountFen nor lines), some lines, or an amount. */
export const RefundRequest = Type.Object(
  {
    refundId: RefundId,
    refundedAt: Timestamp(),
    amountFen: Type.Optional(Type.Integer({ minimum: 1 })),
    lines: Type.Optional(Type.Array(Type.Object({ lineNo: Type.Integer({ minimum: 0 }), quantity: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }), { minItems: 1, maxItems: MAX_ORDER_LINES })),
    reason: Type.Optional(Text(200)),
  },
  { additionalProperties: false },
);
export type RefundRequest = Static<typeof RefundRequest>;



const Outcome = Type.Union([Type.Literal('applied'), Type.Literal('duplicate'), Type.Literal('rejected')]);

/** What creating an order answers: `applied` (new) or `duplicate` (the stored order, same request). */
export const CreateOrderResult = Type.Object({ result: Outcome, order: Order }, { additionalProperties: false });
export type CreateOrderResult = Static<typeof CreateOrderResult>;

/**
 * The stable codes of a refund: `REFUNDED` (applied), `ALREADY_REFUNDED` (duplicate: this refund ID
 * with this request), and the refusals `REFUND_EXCEEDS_PAID`, `NOTHING_TO_REFUND`, `ORDER_CANCELLED`,
 * `SERVICE_ORDER_REFUNDS_BY_STAGE`.
 */
export const REFUND_CODES = ['REFUNDED', 'ALREADY_REFUNDED', 'REFUND_EXCEEDS_PAID', 'NOTHING_TO_REFUND', 'ORDER_CANCELLED', 'SERVICE_ORDER_REFUNDS_BY_STAGE'] as const;
export type RefundCode = (typeof REFUND_CODES)[number];

export const RefundResult = Type.Object(
  {
    result: Outcome,
    code: Type.Union(REFUND_CODES.map((c) => Type.Literal(c))),
    message: Type.Optional(Type.String()),
    refund: Type.Union([Refund, Type.Null()]),
    order: Order,
  },
  { additionalProperties: false },
);
export type RefundResult = Static<typeof RefundResult>;

/** A page of a member's orders, newest first. */
export const OrderPage = Type.Object(
  { items: Type.Array(Order), nextCursor: Type.Union([Type.String(), Type.Null()]) },
  { additionalProperties: false },
);
export type OrderPage = Static<typeof OrderPage>;
