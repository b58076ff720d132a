import { Type } from '@sinclair/typebox';
import { EVENT_HANDLER_BUDGET, EVENT_NAMES, EXTENSION_POINT_IDS, TkError, type EventName } from '@tongkit/sdk';
import { merchantScope } from '../../auth/principal.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { HostApp } from '../app.js';
import type { HostRoutes } from '../host-routes.js';
import { MerchantQuery } from '../merchant-query.js';
import { eventDataError } from '../../dispatch/event-data.js';
import { DeadLetterListSchema, EventNameSchema, PublishedEventSchema, ReplayedDeliverySchema } from '../../dispatch/schemas.js';
import { ExtensionDecisionSchema } from '../../extensions/schemas.js';
import { LogPageSchema } from '../../../logs.js';


/** Extension invocations, domain events, dead letters and logs. */
export const eventRoutes: HostRoutes = async (instance, { services }) => {
  const app: HostApp = instance.withTypeProvider<TypeBoxTypeProvider>();
  const { extensions, dispatcher, logs } = services;
  app.post(
    '/v1/extensions/:point/invoke',
    {
      config: { auth: ['merchant'] },
      bodyLimit: 160 * 1024,
      schema: {
        summary: 'Run an extension point for the merchant (fallback applied and logged on failure)',
        tags: ['extensions'],
        params: Type.Object({ point: Type.Union(EXTENSION_POINT_IDS.map((p) => Type.Literal(p))) }),
        querystring: MerchantQuery,
        body: Type.Object({ input: Type.Unknown(), storeId: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false }),
        response: { 200: ExtensionDecisionSchema },
      },
    },
    async (request) =>
      extensions.invoke(merchantScope(request.principal, request.query.merchantId), request.params.point, request.body.input, { storeId: request.body.storeId }),
  );

  app.post(
    '/v1/events',
    {
      config: { auth: ['merchant'] },
      schema: {
        summary: 'Publish a domain event to the merchant’s installs (idempotent by id)',
        description: 'The data of an event the SDK catalogue types (order.paid, member.bound, …) must have its payload schema’s fields (`tongkit schema <event>`), as what the host emits does: handlers are typed to receive them. Fields of the publisher’s own may come beside them (handlers read those as unknown).',
        tags: ['events'],
        querystring: MerchantQuery,
        body: Type.Object(
          {
            id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
            type: EventNameSchema,
            data: Type.Record(Type.String(), Type.Unknown()),
          },
          { additionalProperties: false },
        ),
        response: { 202: PublishedEventSchema },
      },
    },
    async (request, reply) => {
      const merchantId = merchantScope(request.principal, request.query.merchantId);
      refuseUndeliverable(request.body);
      refuseUntyped(request.body);
      const event = await dispatcher.publish(merchantId, request.body);
      return reply.status(202).send(event);
    },
  );

  app.get(
    '/v1/deliveries/dead',
    { config: { auth: ['merchant'] }, schema: { summary: 'Dead-lettered deliveries', tags: ['events'], querystring: MerchantQuery, response: { 200: DeadLetterListSchema } } },
    async (request) => ({ items: await dispatcher.deadLetters(merchantScope(request.principal, request.query.merchantId)) }),
  );

  app.post(
    '/v1/deliveries/:eventId/:installId/replay',
    {
      config: { auth: ['merchant'] },
      schema: {
        summary: 'Deliver a dead-lettered event again',
        tags: ['events'],
        params: Type.Object({ eventId: Type.String({ maxLength: 128 }), installId: Type.String({ maxLength: 64 }) }),
        querystring: MerchantQuery,
        response: { 200: ReplayedDeliverySchema },
      },
    },
    async (request) => dispatcher.replay(merchantScope(request.principal, request.query.merchantId), request.params.eventId, request.params.installId),
  );

  app.get(
    '/v1/logs',
    {
      config: { auth: ['merchant', 'developer'] },
      schema: {
        summary: 'Invocations, fallbacks, failures and plugin logs, newest first (oldest first after a cursor)',
        tags: ['logs'],
        querystring: Type.Object({
          merchantId: Type.Optional(Type.String({ maxLength: 64 })),
          plugin: Type.Optional(Type.String({ maxLength: 64 })),
          after: Type.Optional(Type.String({ maxLength: 64, description: 'An entry’s cursor: the entries after it, oldest first (for --follow)' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        }),
        response: { 200: LogPageSchema },
      },
    },
    async (request) => logs(request.principal, request.query),
  );
};

/**
 * Refuses data that does not match the event's payload schema in the SDK catalogue: a handler of
 * `order.paid` is typed to receive an `OrderPaidData`, whoever published the event (TK_VALIDATION at the
 * field's JSON path, e.g. `/data/tenders/0/amountFen`). Fields of the publisher's own beside the typed
 * ones pass: the handler's type reads them as `unknown`.
 */
function refuseUntyped(event: { type: EventName; data: Record<string, unknown> }): void {
  const invalid = eventDataError(event.type, event.data, { open: true });
  if (!invalid) return;
  throw new TkError('TK_VALIDATION', `the data of a ${event.type} event does not match its payload schema: ${invalid.message}`, {
    path: `/data${invalid.path}`,
    hint: `See its schema with \`tongkit schema ${event.type}\`.`,
  });
}

/** An event id as the dispatcher makes one when the publisher gives none (`evt_` and 32 hex digits). */
const GENERATED_ID = `evt_${'0'.repeat(32)}`;

/**
 * Refuses an event its handlers could never receive: each handler gets the event (id, type, time and
 * data) as JSON of at most the event handler input limit, so a bigger one would only be retried and
 * dead-lettered for every install. Measured on the same envelope the handlers are given.
 */
function refuseUndeliverable(event: { id?: string | undefined; type: string; data: Record<string, unknown> }): void {
  const envelope = { id: event.id ?? GENERATED_ID, type: event.type, occurredAt: new Date().toISOString(), data: event.data };
  const bytes = Buffer.byteLength(JSON.stringify(envelope));
  const limit = EVENT_HANDLER_BUDGET.inputBytes;
  if (bytes > limit) {
    throw new TkError('TK_VALIDATION', `the ${event.type} event is ${bytes} bytes, over the ${limit}-byte limit of an event handler's input`, {
      path: '/data',
      hint: 'Send less in data (ids rather than whole records): event handlers can look up the rest.',
      details: { bytes, limit },
    });
  }
}
