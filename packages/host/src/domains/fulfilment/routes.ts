import { Type } from '@sinclair/typebox';
import { merchantScope } from '../../platform/auth/principal.js';
import type { HostApp } from '../../platform/http/app.js';
import type { StoreFulfilment } from './store-fulfilment.js';
import { StoreFulfilmentSettings } from './store-settings.js';
import { MerchantQuery } from '../../platform/http/merchant-query.js';

const StoreParams = Type.Object({ storeId: Type.String({ minLength: 1, maxLength: 64 }) });
export const StoreFulfilmentView = Type.Object({
  storeId: Type.String(),
  settings: StoreFulfilmentSettings,
  timeZone: Type.String({ description: 'the merchant’s IANA time zone: working hours and closed days are read in it' }),
  openNow: Type.Boolean(),
  updatedAt: Type.String({ format: 'date-time' }),
});
const merchantRoute = { config: { auth: ['merchant'] as ['merchant'] } };

/** Stores as fulfilment points: their settings, for the merchant (and admins naming the merchant). */
export function registerFulfilmentRoutes(app: HostApp, fulfilment: StoreFulfilment): void {
  app.put(
    '/v1/stores/:storeId/fulfilment',
    {
      ...merchantRoute,
      schema: {
        summary: 'Set a store’s fulfilment settings (capabilities, working hours, capacity, priority, location, delivery radius, minimum order)',
        tags: ['fulfilment'],
        params: StoreParams,
        querystring: MerchantQuery,
        body: StoreFulfilmentSettings,
        response: { 200: StoreFulfilmentView },
      },
    },
    async (request) => fulfilment.set(merchantScope(request.principal, request.query.merchantId), request.params.storeId, request.body),
  );
  app.get(
    '/v1/stores/:storeId/fulfilment',
    {
      ...merchantRoute,
      schema: {
        summary: 'A store’s fulfilment settings and whether it is open now',
        tags: ['fulfilment'],
        params: StoreParams,
        querystring: MerchantQuery,
        response: { 200: StoreFulfilmentView },
      },
    },
    async (request) => fulfilment.get(merchantScope(request.principal, request.query.merchantId), request.params.storeId),
  );
}
