import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { HostApp } from '../app.js';
import type { HostRoutes } from '../host-routes.js';
import { DeveloperSchema, IssuedTokenSchema, MerchantSchema, MerchantTierSchema, StoreSchema } from '../../tenancy/schemas.js';

/** The runtime's counters pass through whole: @tongkit/runtime owns their shape (RuntimeStats, WorkerPoolStats). */
const Counters = (description: string) => Type.Object({}, { additionalProperties: true, description });
const SandboxView = Type.Object({
  isolation: Type.Union([Type.Literal('workers'), Type.Literal('in-process')]),
  runtime: Counters('Isolates and caches (RuntimeStats)'),
  workers: Type.Union([Counters('Worker processes (WorkerPoolStats)'), Type.Null()]),
});

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', description: 'lowercase id' });
const admin = { config: { auth: ['admin'] as ['admin'] } };

/** Tenancy administration: merchant tiers, merchants, stores, developers, tokens. */
export const adminRoutes: HostRoutes = async (instance, { services }) => {
  const app: HostApp = instance.withTypeProvider<TypeBoxTypeProvider>();
  const { tenancy, runtime } = services;
  app.get(
    '/v1/admin/sandbox',
    { ...admin, schema: { summary: 'The sandbox: isolates and caches, and its worker processes (restarts, hangs, quotas, quarantine)', tags: ['admin'], response: { 200: SandboxView } } },
    async () => ({ isolation: runtime.poolStats ? ('workers' as const) : ('in-process' as const), runtime: runtime.stats(), workers: runtime.poolStats?.() ?? null }),
  );
  app.post(
    '/v1/admin/merchant-tiers',
    {
      ...admin,
      schema: {
        summary: 'Create or update a merchant tier (商家分层)',
        tags: ['admin'],
        body: Type.Object({
          id: Id,
          name: Type.String({ minLength: 1, maxLength: 64 }),
          allowedPlugins: Type.Optional(Type.Union([Type.Array(Type.String({ maxLength: 64 })), Type.Null()])),
          allowedPoints: Type.Optional(Type.Union([Type.Array(Type.String({ maxLength: 64 })), Type.Null()])),
        }, { additionalProperties: false }),
        response: { 200: MerchantTierSchema },
      },
    },
    async (request) => tenancy.upsertTier(request.body),
  );
  app.post(
    '/v1/admin/merchants',
    {
      ...admin,
      schema: {
        summary: 'Create or update a merchant',
        tags: ['admin'],
        body: Type.Object(
          {
            id: Id,
            name: Type.String({ minLength: 1, maxLength: 64 }),
            tierId: Id,
            development: Type.Optional(Type.Boolean()),
            timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone of the merchant’s calendar rules (default Asia/Shanghai)' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: MerchantSchema },
      },
    },
    async (request) => tenancy.upsertMerchant(request.body),
  );
  app.post(
    '/v1/admin/stores',
    {
      ...admin,
      schema: {
        summary: 'Create or update a store of a merchant',
        tags: ['admin'],
        body: Type.Object({
          id: Id,
          merchantId: Id,
          name: Type.String({ minLength: 1, maxLength: 64 }),
          channel: Type.Union([Type.Literal('store'), Type.Literal('online'), Type.Literal('warehouse')]),
        }, { additionalProperties: false }),
        response: { 200: StoreSchema },
      },
    },
    async (request) => tenancy.upsertStore(request.body),
  );
  app.post(
    '/v1/admin/developers',
    { ...admin, schema: { summary: 'Create or update a developer', tags: ['admin'], body: Type.Object({ id: Id, name: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }), response: { 200: DeveloperSchema } } },
    async (request) => tenancy.upsertDeveloper(request.body),
  );
  app.post(
    '/v1/admin/tokens',
    {
      ...admin,
      schema: {
        summary: 'Issue a bearer token (shown once)',
        tags: ['admin'],
        body: Type.Object({
          role: Type.Union([Type.Literal('developer'), Type.Literal('reviewer'), Type.Literal('merchant'), Type.Literal('admin')]),
          subjectId: Type.String({ minLength: 1, maxLength: 64 }),
        }, { additionalProperties: false }),
        response: { 201: IssuedTokenSchema },
      },
    },
    async (request, reply) => reply.status(201).send(await tenancy.issueToken(request.body.role, request.body.subjectId)),
  );
};
