import { Type, type Static } from '@sinclair/typebox';
import { Fen, MemberId, Timestamp } from '../catalogue/shared.js';
import { OrderId, TenderMethod } from '../events/orders.js';
import { defineHostNamespace } from './method.js';

const RefundId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$', description: "The merchant's own refund ID" });

const TenderShare = Type.Object({ tenderNo: Type.Integer(), method: TenderMethod, amountFen: Fen() }, { additionalProperties: false });

/** A refund as stored. */
export const Refund = Type.Object(
  {
    id: RefundId,
    amountFen: Fen(),
    spendFen: Fen({ description: 'The cash and card part' }),
    tenders: Type.Array(TenderShare),
    lines: Type.Union([Type.Array(Type.Object({ lineNo: Type.Integer(), quantity: Type.Integer(), amountFen: Fen() }, { additionalProperties: false })), Type.Null()]),
    reason: Type.Union([Type.String(), Type.Null()]),
    refundedAt: Timestamp(),
  },
  { additionalProperties: false },
);
export type Refund = Static<typeof Refund>;

/** An order as the API and `ctx.orders.get` return it. */
export const Order = Type.Object(
  {
    id: OrderId,
    kind: Type.Union([Type.Literal('goods'), Type.Literal('service')]),
    channel: Type.Union([Type.Literal('online'), Type.Literal('store')]),
    storeId: Type.Union([Type.String(), Type.Null()]),
    memberId: Type.Union([MemberId, Type.Null()]),
    guideId: Type.Union([Type.String(), Type.Null()]),
    status: Type.Union([Type.Literal('paid'), Type.Literal('partially_refunded'), Type.Literal('refunded'), Type.Literal('cancelled')]),
    totalFen: Fen(),
    spendFen: Fen({ description: 'Cash and card tenders: what counts as spend' }),
    refundedFen: Fen(),
    paidAt: Timestamp(),
    paidOn: Type.String({ description: 'paidAt’s date in the merchant’s time zone' }),
    lines: Type.Array(
      Type.Object(
        {
          lineNo: Type.Integer(),
          sku: Type.String(),
          title: Type.String(),
          category: Type.String(),
          quantity: Type.Integer(),
          unitPriceFen: Fen(),
          discountFen: Fen(),
          netFen: Fen(),
          refundedQuantity: Type.Integer(),
          refundedFen: Fen(),
        },
        { additionalProperties: false },
      ),
    ),
    tenders: Type.Array(
      Type.Object(
        { tenderNo: Type.Integer(), method: TenderMethod, amountFen: Fen(), refundedFen: Fen(), holdId: Type.Union([Type.String(), Type.Null()]) },
        { additionalProperties: false },
      ),
    ),
    refunds: Type.Array(Refund),
  },
  { additionalProperties: false },
);
export type Order = Static<typeof Order>;

/** `ctx.orders`: the install's merchant's orders (`orders:read`). Another merchant's order is TK_NOT_FOUND. */
export const ORDERS_HOST_API = defineHostNamespace({
  summary: 'The merchant’s orders with their lines, tenders and refunds.',
  methods: {
    get: {
      summary: 'An order of the install’s merchant by its order ID.',
      permission: 'orders:read',
      params: [{ name: 'orderId', schema: OrderId }],
      result: Order,
    },
  },
});
