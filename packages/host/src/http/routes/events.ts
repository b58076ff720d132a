import { Type } from '@sinclair/typebox';
import { EVENT_NAMES, EXTENSION_POINT_IDS } from '@tongkit/sdk';
import { merchantScope } from '../../auth/principal.js';
import type { HostServices } from '../../host-services.js';
import type { HostApp } from '../server.js';

const MerchantQuery = Type.Object({ merchantId: Type.Optional(Type.String({ maxLength: 64 })) });

/** Extension invocations, domain events, dead letters and logs. */
export function registerEventRoutes(app: HostApp, { extensions, dispatcher, logs }: HostServices): void {
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
        tags: ['events'],
        querystring: MerchantQuery,
        body: Type.Object(
          {
            id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
            type: Type.Union(EVENT_NAMES.map((e) => Type.Literal(e))),
            data: Type.Record(Type.String(), Type.Unknown()),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const merchantId = merchantScope(request.principal, request.query.merchantId);
      const event = await dispatcher.publish(merchantId, request.body);
      return reply.status(202).send(event);
    },
  );

  app.get(
    '/v1/deliveries/dead',
    { config: { auth: ['merchant'] }, schema: { summary: 'Dead-lettered deliveries', tags: ['events'], querystring: MerchantQuery } },
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
      },
    },
    async (request) => dispatcher.replay(merchantScope(request.principal, request.query.merchantId), request.params.eventId, request.params.installId),
  );

  app.get(
    '/v1/logs',
    {
      config: { auth: ['merchant', 'developer'] },
      schema: {
        summary: 'Invocations, fallbacks, failures and plugin logs, newest first',
        tags: ['logs'],
        querystring: Type.Object({
          merchantId: Type.Optional(Type.String({ maxLength: 64 })),
          plugin: Type.Optional(Type.String({ maxLength: 64 })),
          after: Type.Optional(Type.String({ maxLength: 64, description: 'Cursor: only entries newer than this one (for --follow)' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        }),
      },
    },
    async (request) => logs(request.principal, request.query),
  );
}
