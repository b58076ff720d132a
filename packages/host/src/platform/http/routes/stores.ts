import { merchantScope } from '../../auth/principal.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { HostApp } from '../app.js';
import type { HostRoutes } from '../host-routes.js';
import { MerchantStoreListSchema, MerchantStoreRequestSchema, MerchantStoreSchema } from '../../tenancy/schemas.js';
import { MerchantQuery } from '../merchant-query.js';

/**
 * A merchant's own stores: the list (the workbench picks one for a per-store override; `tongkit stores
 * list`) and adding or renaming one (`tongkit stores add`), so a merchant needs no admin to name the
 * store its settings, stock and appointments are for.
 */
export const storeRoutes: HostRoutes = async (instance, { services }) => {
  const app: HostApp = instance.withTypeProvider<TypeBoxTypeProvider>();
  const { tenancy } = services;
  const merchant = { config: { auth: ['merchant'] as ['merchant'] } };

  app.get(
    '/v1/stores',
    { ...merchant, schema: { summary: 'The merchant’s stores', tags: ['principals'], querystring: MerchantQuery, response: { 200: MerchantStoreListSchema } } },
    async (request) => ({ items: await tenancy.stores(merchantScope(request.principal, request.query.merchantId)) }),
  );

  // Store ids are unique across the host (the stores table's key): an id another merchant holds is
  // refused with TK_CONFLICT, never taken over or renamed (Tenancy.upsertStore).
  app.post(
    '/v1/stores',
    {
      ...merchant,
      schema: {
        summary: 'Create a store of the merchant, or rename one of its stores and change its channel',
        tags: ['principals'],
        querystring: MerchantQuery,
        body: MerchantStoreRequestSchema,
        response: { 200: MerchantStoreSchema },
      },
    },
    async (request) => {
      const { id, name, channel } = await tenancy.upsertStore({ ...request.body, merchantId: merchantScope(request.principal, request.query.merchantId) });
      return { id, name, channel };
    },
  );
};
