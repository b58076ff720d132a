import { Type, type Static } from '@sinclair/typebox';
import { EVENT_NAMES } from '@tongkit/sdk';

/** A domain event's name, as a schema. */
export const EventNameSchema = Type.Union(EVENT_NAMES.map((e) => Type.Literal(e)));

/** A published event as `POST /v1/events` answers it. */
export const PublishedEventSchema = Type.Object({
  id: Type.String(),
  type: EventNameSchema,
  merchantId: Type.String(),
  deliveries: Type.Integer({ description: 'Deliveries queued, one per install that subscribes' }),
  duplicate: Type.Boolean({ description: 'True when an event with this id existed already (publishing is idempotent by id)' }),
});

/** A delivery that exhausted its attempts. */
export const DeadLetterSchema = Type.Object({
  eventId: Type.String(),
  installId: Type.String(),
  type: Type.String(),
  attempts: Type.Integer(),
  lastError: Type.Unknown({ description: 'The last attempt’s error (a TK_* error body)' }),
  createdAt: Type.String({ format: 'date-time' }),
});

/** `GET /v1/deliveries/dead`. */
export const DeadLetterListSchema = Type.Object({ items: Type.Array(DeadLetterSchema) });

/** A replayed delivery and where it is now. */
export const ReplayedDeliverySchema = Type.Object({ eventId: Type.String(), installId: Type.String(), status: Type.String() });

/** A published event as the API returns it. */
export type PublishedEvent = Static<typeof PublishedEventSchema>;
/** A delivery that exhausted its attempts. */
export type DeadLetter = Static<typeof DeadLetterSchema>;
/** A replayed delivery and where it is now. */
export type ReplayedDelivery = Static<typeof ReplayedDeliverySchema>;
