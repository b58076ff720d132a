import { Type } from '@sinclair/typebox';
import { PrincipalTokens } from '../../auth/principal-tokens.js';
import type { ResolvedTenant } from '../../auth/route-tenant.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { HostApp } from '../app.js';
import type { HostRoutes } from '../host-routes.js';

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', description: 'lowercase id' });
const TokenId = Type.String({ pattern: '^tok_[A-Za-z0-9_-]{8,64}$' });
/** What the merchant calls one of its systems, to tell its integration tokens apart (`pos-main`, `erp`). */
const IntegrationName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9 _.:-]*$' });
/** Merchant routes act for the merchant of the token (an admin names it in `?merchantId=`). */
const MerchantQuery = Type.Object({ merchantId: Type.Optional(Id) }, { additionalProperties: false });
const forMerchant = { auth: ['merchant'] as ['merchant'], tenant: { merchant: { query: 'merchantId' } } };

const PrincipalTokenSchema = Type.Object({
  id: TokenId,
  role: Type.Union([Type.Literal('store'), Type.Literal('staff'), Type.Literal('integration')]),
  storeId: Type.Union([Id, Type.Null()]),
  staffId: Type.Union([Id, Type.Null()]),
  name: Type.Union([IntegrationName, Type.Null()], { description: 'The name of an integration token; null for store and staff tokens' }),
  createdAt: Type.String({ format: 'date-time' }),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
const StaffSchema = Type.Object({ id: Id, name: Type.String(), storeId: Type.Union([Id, Type.Null()]) });

/** The resolved tenant (the route layer set it: every route here declares `config.tenant`). */
const tenantOf = (request: { tenant: ResolvedTenant | undefined }): ResolvedTenant => request.tenant!;

/**
 * A merchant's own principals: staff members, and the store, staff and integration tokens it issues and
 * revokes; and
 * the first routes store and staff tokens reach (their store, themselves), each declaring how the
 * resource's tenant is resolved.
 */
export const principalRoutes: HostRoutes = async (instance, { services }) => {
  const app: HostApp = instance.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = services;
  const principals = new PrincipalTokens(db);

  app.post(
    '/v1/staff',
    {
      config: forMerchant,
      schema: {
        summary: 'Create or update a staff member of the merchant (a guide, a technician)',
        tags: ['principals'],
        querystring: MerchantQuery,
        body: Type.Object({ id: Id, name: Type.String({ minLength: 1, maxLength: 64 }), storeId: Type.Optional(Type.Union([Id, Type.Null()])) }, { additionalProperties: false }),
        response: { 200: StaffSchema },
      },
    },
    async (request) => principals.upsertStaff(tenantOf(request).merchantId, request.body),
  );
  app.get(
    '/v1/staff/:staffId',
    {
      config: { auth: ['merchant', 'staff'], tenant: { merchant: { query: 'merchantId' }, staff: { param: 'staffId' } } },
      schema: { summary: 'A staff member (a staff token sees only itself)', tags: ['principals'], params: Type.Object({ staffId: Id }), querystring: MerchantQuery, response: { 200: StaffSchema } },
    },
    async (request) => principals.staffMember(tenantOf(request).merchantId, request.params.staffId),
  );
  app.get(
    '/v1/stores/:storeId',
    {
      config: { auth: ['merchant', 'store', 'staff'], tenant: { merchant: { query: 'merchantId' }, store: { param: 'storeId' } } },
      schema: {
        summary: 'A store of the merchant (a store token sees only its own store, a staff token only the store it works at)',
        tags: ['principals'],
        params: Type.Object({ storeId: Id }),
        querystring: MerchantQuery,
        response: { 200: Type.Object({ id: Id, name: Type.String(), channel: Type.String() }) },
      },
    },
    async (request) => principals.store(tenantOf(request).merchantId, request.params.storeId),
  );
  app.post(
    '/v1/tokens',
    {
      config: forMerchant,
      schema: {
        summary: 'Issue a token for one of the merchant’s stores or staff members, or for one of its systems (shown once)',
        description: 'An `integration` token is for the merchant’s POS or ERP: it may record the merchant’s orders and refunds (POST /v1/orders, POST /v1/orders/{id}/refunds) and nothing else.',
        tags: ['principals'],
        querystring: MerchantQuery,
        body: Type.Union([
          Type.Object({ role: Type.Literal('store'), storeId: Id }, { additionalProperties: false }),
          Type.Object({ role: Type.Literal('staff'), staffId: Id }, { additionalProperties: false }),
          Type.Object({ role: Type.Literal('integration'), name: IntegrationName }, { additionalProperties: false }),
        ]),
        response: { 201: Type.Intersect([PrincipalTokenSchema, Type.Object({ token: Type.String() })]) },
      },
    },
    async (request, reply) => reply.status(201).send(await principals.issue(tenantOf(request).merchantId, request.body)),
  );
  app.get(
    '/v1/tokens',
    {
      config: forMerchant,
      schema: { summary: 'The merchant’s store, staff and integration tokens', tags: ['principals'], querystring: MerchantQuery, response: { 200: Type.Object({ items: Type.Array(PrincipalTokenSchema) }) } },
    },
    async (request) => ({ items: await principals.list(tenantOf(request).merchantId) }),
  );
  app.delete(
    '/v1/tokens/:tokenId',
    {
      config: forMerchant,
      schema: { summary: 'Revoke one of the merchant’s store, staff or integration tokens', tags: ['principals'], params: Type.Object({ tokenId: TokenId }), querystring: MerchantQuery, response: { 200: PrincipalTokenSchema } },
    },
    async (request) => principals.revoke(tenantOf(request).merchantId, request.params.tokenId),
  );
};
