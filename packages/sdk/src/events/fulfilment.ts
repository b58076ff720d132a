import { Type, type Static } from '@sinclair/typebox';
import { Timestamp } from '../catalogue/shared.js';
import { OrderId } from './orders.js';

const AllocatedStore = Type.Object(
  {
    allocationId: Type.String({ pattern: '^alc_[A-Za-z0-9]{8,40}$', description: 'also the id of its inventory reservation' }),
    storeId: Type.String({ minLength: 1, maxLength: 64 }),
    kind: Type.Union([Type.Literal('store'), Type.Literal('warehouse')]),
    lineNos: Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1, description: 'the order lines it fulfils' }),
    lines: Type.Array(Type.Object({ sku: Type.String({ maxLength: 64 }), quantity: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }), { minItems: 1 }),
    dueAt: Type.Union([Timestamp(), Type.Null()], { description: 'the store accepts by then or the order is reallocated; null for the warehouse' }),
  },
  { additionalProperties: false },
);

/**
 * `order.allocated` (商品通): a routing decision was applied — the stores (or the warehouse) now hold the
 * goods for the order's lines and wait for acceptance. Emitted once per decision: the first one, and each
 * reallocation after a refusal, a missed SLA or a short reservation.
 */
export const OrderAllocatedData = Type.Object(
  {
    orderId: OrderId,
    fulfilment: Type.Union([Type.Literal('deliver'), Type.Literal('pickup')]),
    attempt: Type.Integer({ minimum: 1, description: 'the routing decision number for this order, from 1' }),
    source: Type.Union([Type.Literal('plugin'), Type.Literal('fallback'), Type.Literal('platform'), Type.Literal('warehouse')], {
      description: 'who decided: the order.route install, the platform default after it failed, the default without an install, or the warehouse step after the stores failed',
    }),
    allocations: Type.Array(AllocatedStore, { minItems: 1 }),
  },
  { additionalProperties: false },
);
export type OrderAllocatedData = Static<typeof OrderAllocatedData>;
