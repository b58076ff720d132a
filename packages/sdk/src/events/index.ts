import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { MemberBoundData, MemberRedactData, MemberRegisteredData, MemberUnboundData } from './members.js';
import { CommissionAccruedData, CommissionReversedData, GuideRelationChangedData, OrderAttributedData } from './guides.js';
import { OrderAllocatedData } from './fulfilment.js';
import { OrderPaidData, OrderRefundedData } from './orders.js';
import { MemberTierChangedData } from './tiers.js';
import { StoredValueChangedData } from './stored-value.js';
import { ScheduleFiredData } from './schedules.js';
import { InstallBackfillData, InstallCreatedData } from './installs.js';
import { AppointmentBookedData, AppointmentCompletedData, ServiceStageChangedData, ServiceStageCompletedData, ServiceStagePaidData, ServiceStageRefundedData, VoucherRedeemedData } from './service.js';

export * from './members.js';
export * from './orders.js';
export * from './guides.js';
export * from './fulfilment.js';
export * from './service.js';
export * from './tiers.js';
export * from './stored-value.js';
export * from './schedules.js';
export * from './installs.js';

/** Data of an event whose primitive has not typed its payload yet. */
const UntypedData = Type.Record(Type.String(), Type.Unknown(), { description: 'Not typed yet: arrives with its primitive' });

/**
 * The event catalogue with each event's payload schema (asynchronous, at-least-once). The host validates
 * what it emits against these; a handler gets `event.data` typed from them; `tongkit schema` prints them.
 */
export const EVENT_PAYLOADS = {
  'member.registered': MemberRegisteredData,
  'member.bound': MemberBoundData,
  'member.unbound': MemberUnboundData,
  'member.tier.changed': MemberTierChangedData,
  'points.changed': UntypedData,
  'order.paid': OrderPaidData,
  'order.refunded': OrderRefundedData,
  'order.allocated': OrderAllocatedData,
  'inventory.changed': UntypedData,
  'code.scanned': UntypedData,
  'service.stage.changed': ServiceStageChangedData,
  'service.stage.paid': ServiceStagePaidData,
  'service.stage.refunded': ServiceStageRefundedData,
  'service.stage.completed': ServiceStageCompletedData,
  'appointment.booked': AppointmentBookedData,
  'appointment.completed': AppointmentCompletedData,
  'voucher.redeemed': VoucherRedeemedData,
  'stored-value.changed': StoredValueChangedData,
  'member.redact': MemberRedactData,
  'merchant.redact': UntypedData,
  'install.created': InstallCreatedData,
  'install.backfill': InstallBackfillData,
  'guide.relation.changed': GuideRelationChangedData,
  'order.attributed': OrderAttributedData,
  'commission.accrued': CommissionAccruedData,
  'commission.reversed': CommissionReversedData,
  'schedule.fired': ScheduleFiredData,
} as const satisfies Record<string, TSchema>;

/** The name of a catalogued event, e.g. `order.paid`. */
export type EventName = keyof typeof EVENT_PAYLOADS;

/** All event names, in catalogue order. */
export const EVENT_NAMES = Object.keys(EVENT_PAYLOADS) as EventName[];

/** The payload (`event.data`) of event `E`. */
export type EventData<E extends EventName> = Static<(typeof EVENT_PAYLOADS)[E]>;

/** An event as a handler receives it. */
export interface TongkitEvent<E extends EventName = EventName> {
  /** Unique per event; use it as the idempotency key of what the handler does. */
  id: string;
  type: E;
  /** When the fact happened (`paidAt`, `refundedAt`, …), not when it was processed. */
  occurredAt: string;
  /**
   * The payload, typed from {@link EVENT_PAYLOADS}. Open to fields a later API version adds (and to the
   * free-form data a merchant publishes through `POST /v1/events`), which read as `unknown`.
   */
  data: EventData<E> & Record<string, unknown>;
}
