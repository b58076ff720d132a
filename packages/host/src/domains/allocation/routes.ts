import { Type } from '@sinclair/typebox';
import { OrderId } from '@tongkit/sdk';
import type { ResolvedTenant } from '../../platform/auth/route-tenant.js';
import type { HostApp } from '../../platform/http/app.js';
import { MerchantQuery } from '../../platform/http/merchant-query.js';
import type { AllocationSaga } from './allocations.js';
import { AllocateRequest, AllocationId, AllocationSettings, AnswerResult, OrderAllocationView, Queue, QueueQuery, RefuseRequest, StartResult, StoreId } from './schemas.js';

const forMerchant = { auth: ['merchant'] as ['merchant'], tenant: { merchant: { query: 'merchantId' } } };
// A store token reaches only its own store's queue: another store's answers like a store that does not exist.
const forStore = { auth: ['merchant', 'store'] as Array<'merchant' | 'store'>, tenant: { merchant: { query: 'merchantId' }, store: { param: 'storeId' } } };
const tenantOf = (request: { tenant?: ResolvedTenant | undefined }): ResolvedTenant => request.tenant!;
const OrderParams = Type.Object({ id: OrderId });
const AllocationParams = Type.Object({ storeId: StoreId, allocationId: AllocationId });

/** The allocation saga's routes: the merchant starts and watches an order's allocation; a store works its queue. */
export function registerAllocationRoutes(app: HostApp, saga: AllocationSaga): void {
  app.get(
    '/v1/allocation-settings',
    { config: forMerchant, schema: { summary: 'The allocation saga’s settings: the SLA to accept and the routing decisions per order', tags: ['fulfilment'], querystring: MerchantQuery, response: { 200: AllocationSettings } } },
    async (request) => saga.settings(tenantOf(request).merchantId),
  );
  app.put(
    '/v1/allocation-settings',
    {
      config: forMerchant,
      schema: { summary: 'Set the allocation saga’s settings (orders already routing keep theirs)', tags: ['fulfilment'], querystring: MerchantQuery, body: AllocationSettings, response: { 200: AllocationSettings } },
    },
    async (request) => saga.putSettings(tenantOf(request).merchantId, request.body),
  );
  app.post(
    '/v1/orders/:id/allocation',
    {
      config: forMerchant,
      schema: {
        summary: 'Route an online order to stores (order.route, or the nearest store that fills it, else the warehouse) and start the acceptance saga',
        tags: ['fulfilment'],
        params: OrderParams,
        querystring: MerchantQuery,
        body: AllocateRequest,
        response: { 200: StartResult, 201: StartResult },
      },
    },
    async (request, reply) => {
      const started = await saga.start(tenantOf(request).merchantId, request.params.id, request.body);
      return reply.status(started.result === 'applied' ? 201 : 200).send(started);
    },
  );
  app.get(
    '/v1/orders/:id/allocation',
    {
      config: forMerchant,
      schema: { summary: 'An order’s allocation: its state, its stores’ answers, and the pickup code once accepted', tags: ['fulfilment'], params: OrderParams, querystring: MerchantQuery, response: { 200: OrderAllocationView } },
    },
    async (request) => saga.view(tenantOf(request).merchantId, request.params.id),
  );
  app.get(
    '/v1/stores/:storeId/allocations',
    {
      config: { auth: forStore.auth, tenant: forStore.tenant },
      schema: {
        summary: 'A store’s allocation queue, newest first, with the SLA countdown (a store token sees only its own store)',
        tags: ['fulfilment'],
        params: Type.Object({ storeId: StoreId }),
        querystring: QueueQuery,
        response: { 200: Queue },
      },
    },
    async (request) => {
      const tenant = tenantOf(request);
      await saga.requireStore(tenant.merchantId, request.params.storeId);
      return { items: await saga.queue(tenant.merchantId, request.params.storeId, request.query.status, request.query.limit) };
    },
  );
  app.post(
    '/v1/stores/:storeId/allocations/:allocationId/accept',
    {
      config: { auth: forStore.auth, tenant: forStore.tenant },
      schema: { summary: 'The store accepts an allocation (after its SLA or a reallocation: rejected, superseded)', tags: ['fulfilment'], params: AllocationParams, querystring: MerchantQuery, response: { 200: AnswerResult } },
    },
    async (request) => saga.accept(tenantOf(request).merchantId, request.params.storeId, request.params.allocationId),
  );
  app.post(
    '/v1/stores/:storeId/allocations/:allocationId/refuse',
    {
      config: { auth: forStore.auth, tenant: forStore.tenant },
      schema: {
        summary: 'The store refuses an allocation with a reason: the order is reallocated, never to this store again',
        tags: ['fulfilment'],
        params: AllocationParams,
        querystring: MerchantQuery,
        body: RefuseRequest,
        response: { 200: AnswerResult },
      },
    },
    async (request) => saga.refuse(tenantOf(request).merchantId, request.params.storeId, request.params.allocationId, request.body),
  );
}
