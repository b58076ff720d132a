import { Type, type Static } from '@sinclair/typebox';
import { STAGE_DUE_RULES, STAGE_KINDS } from '../catalogue/service-plan.js';
import { BasisPoints, Fen, MemberId, Timestamp } from '../catalogue/shared.js';
import { OrderId } from '../events/orders.js';
import { StageState } from '../events/service.js';
import { defineHostNamespace, MutationOptionsSchema } from './method.js';

/** One stage of a service order as stored: its plan, its amount and where it is in the state machine. */
export const ServiceStage = Type.Object(
  {
    stageNo: Type.Integer({ minimum: 1, maximum: 10 }),
    kind: Type.Union(STAGE_KINDS.map((kind) => Type.Literal(kind))),
    label: Type.Union([Type.String(), Type.Null()]),
    ratioBps: BasisPoints(),
    amountFen: Fen(),
    paidFen: Fen(),
    refundedFen: Fen(),
    needsAppointment: Type.Boolean(),
    refundable: Type.Boolean(),
    due: Type.Union(STAGE_DUE_RULES.map((rule) => Type.Literal(rule))),
    state: StageState,
  },
  { additionalProperties: false },
);
export type ServiceStage = Static<typeof ServiceStage>;

/** A transition of a stage: who made it, when and why. */
export const StageTransition = Type.Object(
  { stageNo: Type.Integer(), from: StageState, to: StageState, actor: Type.String(), reason: Type.String(), at: Timestamp() },
  { additionalProperties: false },
);

/** A payment intent: a stage's exact amount asked of the provider. */
export const PaymentIntent = Type.Object(
  {
    id: Type.String(),
    stageNo: Type.Integer(),
    amountFen: Fen(),
    status: Type.Union([Type.Literal('open'), Type.Literal('paid'), Type.Literal('voided')]),
    createdAt: Timestamp(),
  },
  { additionalProperties: false },
);

/** A genuine provider callback: `applied` paid a stage; `unmatched` could not apply and was refunded. */
export const PaymentCallbackRecord = Type.Object(
  {
    providerPaymentId: Type.String(),
    intentId: Type.Union([Type.String(), Type.Null()]),
    amountFen: Fen(),
    outcome: Type.Union([Type.Literal('applied'), Type.Literal('unmatched')]),
    reason: Type.Union([Type.String(), Type.Null()]),
    refundStatus: Type.Union([Type.Literal('refunded'), Type.Literal('pending'), Type.Null()]),
    receivedAt: Timestamp(),
  },
  { additionalProperties: false },
);

/** A service order with its stages, payments and history (`GET /v1/service-orders/:id`, `ctx.service.get`). */
export const ServiceOrder = Type.Object(
  {
    id: OrderId,
    memberId: Type.Union([MemberId, Type.Null()]),
    totalFen: Fen(),
    paidFen: Fen({ description: 'Σ paid stage amounts' }),
    status: Type.Union([Type.Literal('open'), Type.Literal('completed'), Type.Literal('cancelled')]),
    planSource: Type.Union([Type.Literal('plugin'), Type.Literal('fallback'), Type.Literal('platform')]),
    stages: Type.Array(ServiceStage),
    intents: Type.Array(PaymentIntent),
    callbacks: Type.Array(PaymentCallbackRecord),
    history: Type.Array(StageTransition),
    createdAt: Timestamp(),
  },
  { additionalProperties: false },
);
export type ServiceOrder = Static<typeof ServiceOrder>;

/** Where `ctx.service.advance` (and the merchant's advance route) may move a stage: never to `paid`. */
export const AdvanceTarget = Type.Union([Type.Literal('scheduled'), Type.Literal('completed')], {
  description: 'scheduled | completed — only a verified payment moves a stage to paid',
});

/** The outcome of a mutation on a service order. */
export const ServiceMutationResult = Type.Object(
  {
    result: Type.Union([Type.Literal('applied'), Type.Literal('duplicate'), Type.Literal('rejected')]),
    code: Type.Optional(Type.String({ description: 'Why it was rejected (stable)' })),
    message: Type.Optional(Type.String()),
    order: ServiceOrder,
  },
  { additionalProperties: false },
);
export type ServiceMutationResult = Static<typeof ServiceMutationResult>;

/** `ctx.service`: the install's merchant's service orders. Another merchant's order is TK_NOT_FOUND. */
export const SERVICE_HOST_API = defineHostNamespace({
  summary: 'Service orders (服务通): payment stages, their states and history.',
  methods: {
    get: {
      summary: 'A service order of the install’s merchant with its stages, payments and history.',
      permission: 'service:read',
      params: [{ name: 'orderId', schema: OrderId }],
      result: ServiceOrder,
    },
    advance: {
      summary: 'Moves a stage to scheduled or completed (never to paid: only a verified payment does).',
      permission: 'service:write',
      mutates: true,
      params: [
        { name: 'orderId', schema: OrderId },
        { name: 'stageNo', schema: Type.Integer({ minimum: 1, maximum: 10 }) },
        { name: 'to', schema: AdvanceTarget },
        { name: 'reason', schema: Type.String({ minLength: 1, maxLength: 200 }) },
        { name: 'options', schema: MutationOptionsSchema, optional: true },
      ],
      result: ServiceMutationResult,
    },
  },
});
