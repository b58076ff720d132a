import { Type, type Static } from '@sinclair/typebox';
import { OrderId } from '@tongkit/sdk';

export const StoreId = Type.String({ minLength: 1, maxLength: 64 });
export const AllocationId = Type.String({ pattern: '^alc_[A-Za-z0-9]{8,40}$', description: 'an allocation (also its inventory reservation’s id)' });

/** The saga's settings for a merchant: how long a store has to accept, how many routing decisions before the warehouse. */
export const AllocationSettings = Type.Object(
  {
    slaMinutes: Type.Integer({ minimum: 1, maximum: 1440, default: 30, description: 'a store accepts within this many minutes, or the order is reallocated (a missed SLA counts as a refusal)' }),
    maxAttempts: Type.Integer({ minimum: 1, maximum: 20, default: 3, description: 'routing decisions per order (the first one included); then the warehouse takes what is left' }),
  },
  { additionalProperties: false },
);
export type AllocationSettings = Static<typeof AllocationSettings>;
export const DEFAULT_ALLOCATION_SETTINGS: AllocationSettings = { slaMinutes: 30, maxAttempts: 3 };

/**
 * `POST /v1/orders/:id/allocation`: route an online order to stores. A delivery gives the address's
 * location, which the host uses to compute distances and then forgets (only the distances are kept,
 * and plugins see only those); a pickup names the store the customer chose.
 */
export const AllocateRequest = Type.Object(
  {
    fulfilment: Type.Union([Type.Literal('deliver'), Type.Literal('pickup')]),
    pickupStoreId: Type.Optional(StoreId),
    delivery: Type.Optional(
      Type.Object(
        {
          lat: Type.Number({ minimum: -90, maximum: 90 }),
          lng: Type.Number({ minimum: -180, maximum: 180 }),
          districtCode: Type.Optional(Type.String({ pattern: '^[0-9]{6}$', description: '行政区划代码 of the address (plugins may see it)' })),
        },
        { additionalProperties: false, description: 'the delivery address’s location: used for distances, never kept, never given to a plugin' },
      ),
    ),
  },
  { additionalProperties: false },
);
export type AllocateRequest = Static<typeof AllocateRequest>;

const AllocationStatus = Type.Union([Type.Literal('allocated'), Type.Literal('accepted'), Type.Literal('refused'), Type.Literal('expired'), Type.Literal('short')], {
  description: 'allocated: waiting for the store; accepted; refused (with a reason); expired: the SLA passed; short: a till sale took its goods',
});
const Line = Type.Object({ sku: Type.String(), quantity: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });

/** One store's part of an order, as the store's queue and the merchant see it (no customer data). */
export const AllocationView = Type.Object(
  {
    id: AllocationId,
    orderId: Type.String(),
    storeId: Type.String(),
    attempt: Type.Integer({ minimum: 1 }),
    lineNos: Type.Array(Type.Integer({ minimum: 0 })),
    lines: Type.Array(Line),
    status: AllocationStatus,
    source: Type.Union([Type.Literal('plugin'), Type.Literal('fallback'), Type.Literal('platform'), Type.Literal('warehouse')]),
    reason: Type.Union([Type.String(), Type.Null()]),
    note: Type.Union([Type.String(), Type.Null()]),
    dueAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    secondsLeft: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'the SLA countdown of a waiting allocation' }),
    answeredAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type AllocationView = Static<typeof AllocationView>;

/** An order's saga as the merchant sees it. */
export const OrderAllocationView = Type.Object(
  {
    orderId: Type.String(),
    fulfilment: Type.Union([Type.Literal('deliver'), Type.Literal('pickup')]),
    status: Type.Union([Type.Literal('routing'), Type.Literal('allocated'), Type.Literal('accepted'), Type.Literal('warehouse'), Type.Literal('failed')], {
      description: 'routing: waiting for a decision; allocated: stores have yet to accept; accepted; warehouse: the warehouse took what the stores could not; failed (AllocateFail)',
    }),
    attempts: Type.Integer({ minimum: 0 }),
    maxAttempts: Type.Integer({ minimum: 1 }),
    slaMinutes: Type.Integer({ minimum: 1 }),
    refusedBy: Type.Array(Type.String()),
    fallbacks: Type.Integer({ minimum: 0, description: 'decisions where the platform default applied because the order.route install failed' }),
    failureReason: Type.Union([Type.String(), Type.Null()]),
    pickupCode: Type.Union([Type.Object({ code: Type.String(), expiresAt: Type.String({ format: 'date-time' }) }), Type.Null()], {
      description: 'for an accepted pickup order: the code the customer shows at the store',
    }),
    allocations: Type.Array(AllocationView),
  },
  { additionalProperties: false },
);
export type OrderAllocationView = Static<typeof OrderAllocationView>;

export const StartResult = Type.Intersect([Type.Object({ result: Type.Union([Type.Literal('applied'), Type.Literal('duplicate')]) }), OrderAllocationView]);
export type StartResult = Static<typeof StartResult>;

/** Why a store refuses. */
export const REFUSAL_REASONS = ['out_of_stock', 'no_capacity', 'closed', 'damaged', 'other'] as const;
export const RefuseRequest = Type.Object(
  {
    reason: Type.Union(REFUSAL_REASONS.map((r) => Type.Literal(r))),
    note: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type RefuseRequest = Static<typeof RefuseRequest>;

/**
 * A store's answer: `applied`, `duplicate` (the same answer again), or `rejected` — `superseded` when the
 * order went elsewhere meanwhile (the SLA passed, a sale took the goods), `already_accepted` for a refusal
 * after an accept.
 */
export const AnswerResult = Type.Object(
  {
    status: Type.Union([Type.Literal('applied'), Type.Literal('duplicate'), Type.Literal('rejected')]),
    reason: Type.Optional(Type.Union([Type.Literal('superseded'), Type.Literal('already_accepted')])),
    allocation: AllocationView,
  },
  { additionalProperties: false },
);
export type AnswerResult = Static<typeof AnswerResult>;

export const QueueQuery = Type.Object({
  merchantId: Type.Optional(Type.String({ maxLength: 64, description: 'For admins: the merchant to act for' })),
  status: Type.Optional(AllocationStatus),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
});
export const Queue = Type.Object({ items: Type.Array(AllocationView) }, { additionalProperties: false });
