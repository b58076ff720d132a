import { Type, type Static } from '@sinclair/typebox';
import { OrderId } from '../events/orders.js';
import { defineHostNamespace, MutationOptionsSchema } from './method.js';


/** A date in the merchant's time zone. */
export const ServiceDay = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD in the merchant’s time zone' });
/** A wall-clock time in the merchant's time zone (a slot's start, working hours). */
export const ServiceTime = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'HH:MM in the merchant’s time zone' });
/** A store id. */
export const StoreRef = Type.String({ minLength: 1, maxLength: 64 });

/** A visit for a stage that needs one: booked at a store on a day (and slot), then signed in, then completed. */
export const Appointment = Type.Object(
  {
    id: Type.String(),
    orderId: OrderId,
    stageNo: Type.Integer({ minimum: 1, maximum: 10 }),
    storeId: Type.String(),
    day: ServiceDay,
    slot: Type.Union([ServiceTime, Type.Null()], { description: 'The slot’s start at a store with slots; null for a day booking' }),
    status: Type.Union([Type.Literal('booked'), Type.Literal('signed_in'), Type.Literal('completed'), Type.Literal('cancelled')]),
    reschedules: Type.Integer({ minimum: 0 }),
    notes: Type.Union([Type.String(), Type.Null()]),
    photoIds: Type.Array(Type.String(), { description: 'References to photos (IDs, not bytes)' }),
  },
  { additionalProperties: false },
);
export type Appointment = Static<typeof Appointment>;

/** Why a booking or reschedule was refused (stable codes). */
export const BOOKING_REJECTIONS = ['store_day_full', 'slot_full', 'store_closed', 'outside_hours', 'reschedule_limit'] as const;

/** The outcome of a booking or reschedule: `rejected` with a code when the day or slot is full, closed, or the limit is reached. */
export const BookingResult = Type.Object(
  {
    result: Type.Union([Type.Literal('applied'), Type.Literal('duplicate'), Type.Literal('rejected')]),
    code: Type.Optional(Type.Union(BOOKING_REJECTIONS.map((code) => Type.Literal(code)))),
    message: Type.Optional(Type.String()),
    appointment: Type.Optional(Appointment),
  },
  { additionalProperties: false },
);
export type BookingResult = Static<typeof BookingResult>;

/** `ctx.appointments`: book the visit of a paid stage of the install's merchant's service order. */
export const APPOINTMENTS_HOST_API = defineHostNamespace({
  summary: 'Appointments (服务通 work cards): visits for service stages, against stores’ capacity.',
  methods: {
    book: {
      summary: 'Books the visit of a paid stage at a store on a day (in a slot when the store has slots). Never overbooks.',
      permission: 'service:write',
      mutates: true,
      params: [
        { name: 'orderId', schema: OrderId },
        { name: 'stageNo', schema: Type.Integer({ minimum: 1, maximum: 10 }) },
        { name: 'storeId', schema: StoreRef },
        { name: 'day', schema: ServiceDay },
        { name: 'options', schema: Type.Composite([MutationOptionsSchema, Type.Object({ slot: Type.Optional(ServiceTime) })]), optional: true },
      ],
      result: BookingResult,
    },
  },
});
