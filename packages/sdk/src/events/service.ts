import { Type } from '@sinclair/typebox';
import { Fen, MemberId, Timestamp } from '../catalogue/shared.js';
import { OrderId } from './orders.js';

/** The states of a payment stage: `pending → payable → paid → scheduled → completed`, plus `cancelled` and `refunded`. */
export const STAGE_STATES = ['pending', 'payable', 'paid', 'scheduled', 'completed', 'cancelled', 'refunded'] as const;
/** A stage state. */
export const StageState = Type.Union(STAGE_STATES.map((state) => Type.Literal(state)));

const StageFacts = {
  orderId: OrderId,
  stageNo: Type.Integer({ minimum: 1, maximum: 10 }),
  kind: Type.String(),
  memberId: Type.Union([MemberId, Type.Null()]),
  amountFen: Fen({ description: 'The stage’s amount' }),
};

/** `service.stage.changed`: every transition of a stage, with who made it, when and why. */
export const ServiceStageChangedData = Type.Object(
  { ...StageFacts, from: StageState, to: StageState, actor: Type.String(), reason: Type.String(), at: Timestamp() },
  { additionalProperties: false },
);

/** `service.stage.paid`: the money fact of a stage (points and tier spend count it once). */
export const ServiceStagePaidData = Type.Object({ ...StageFacts, providerPaymentId: Type.String(), paidAt: Timestamp() }, { additionalProperties: false });

/** `service.stage.refunded`: a paid stage's money went back (its points and spend are reversed). */
export const ServiceStageRefundedData = Type.Object({ ...StageFacts, refundedAt: Timestamp(), reason: Type.String() }, { additionalProperties: false });

/** `service.stage.completed`: the stage's work is done. */
export const ServiceStageCompletedData = Type.Object({ ...StageFacts, completedAt: Timestamp() }, { additionalProperties: false });

const AppointmentFacts = {
  appointmentId: Type.String(),
  orderId: OrderId,
  stageNo: Type.Integer({ minimum: 1, maximum: 10 }),
  storeId: Type.String(),
  day: Type.String({ description: 'The visit’s date in the merchant’s time zone (YYYY-MM-DD)' }),
};

/** `appointment.booked`: a visit for a paid stage was booked (or rescheduled) at a store. */
export const AppointmentBookedData = Type.Object({ ...AppointmentFacts, rescheduled: Type.Boolean() }, { additionalProperties: false });

/** `appointment.completed`: the visit was done (its stage completes with it). */
export const AppointmentCompletedData = Type.Object(
  { ...AppointmentFacts, notes: Type.Union([Type.String(), Type.Null()]), photoIds: Type.Array(Type.String()) },
  { additionalProperties: false },
);

/** `voucher.redeemed`: one use of an e-voucher was redeemed at a store. */
export const VoucherRedeemedData = Type.Object(
  {
    serial: Type.String(),
    templateId: Type.String(),
    redemptionId: Type.String(),
    storeId: Type.String(),
    memberId: Type.Union([MemberId, Type.Null()]),
    orderId: Type.Union([OrderId, Type.Null()]),
    stageNo: Type.Union([Type.Integer(), Type.Null()]),
    redeemedAt: Timestamp(),
  },
  { additionalProperties: false },
);
