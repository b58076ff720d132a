import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { merchantScope } from '../../platform/auth/principal.js';
import type { HostModuleFactory, HostPlatform } from '../../platform/modules/host-module.js';
import { unlessNotFound } from '../../platform/modules/unless-not-found.js';
import { ordersOf } from '../orders/index.js';
import { ConsumeResult, IssuePickupCodeRequest, PickupCode, PickupCodes } from './pickup-codes.js';
import { MerchantQuery } from '../../platform/http/merchant-query.js';

const merchantOnly = { auth: ['merchant'] as ['merchant'] };

const services = new WeakMap<HostPlatform, PickupCodes>();

/** The pickup-code service of a platform, built once and shared (the allocation saga issues a code when a store accepts a pickup). */
export function pickupCodesOf(platform: HostPlatform): PickupCodes {
  let codes = services.get(platform);
  if (!codes) {
    const orders = ordersOf(platform);
    codes = new PickupCodes(platform.db, undefined, async (tx, merchantId, orderId) => (await unlessNotFound(orders.get(merchantId, orderId, tx))) !== undefined);
    services.set(platform, codes);
  }
  return codes;
}

/**
 * Pickup codes as a host module: tables `pickup_codes`, `pickup_code_failures` (migration 053); issue a
 * code for an order allocated to a store, and the store consumes it once.
 */
export const pickupModule: HostModuleFactory = (platform) => {
  const codes = pickupCodesOf(platform);
  return {
    name: 'pickup',
    migrations: ['053_pickup_codes.sql'],
    routes: async (plain) => {
      const app = plain.withTypeProvider<TypeBoxTypeProvider>();
      app.post(
        '/v1/pickup-codes',
        {
          config: merchantOnly,
          schema: { summary: 'Issue the pickup code of an order at its store (the same order again: the same code)', tags: ['fulfilment'], querystring: MerchantQuery, body: IssuePickupCodeRequest, response: { 200: PickupCode, 201: PickupCode } },
        },
        async (request, reply) => {
          const issued = await codes.issue(merchantScope(request.principal, request.query.merchantId), request.body);
          return reply.status(issued.status === 'applied' ? 201 : 200).send(issued);
        },
      );
      app.post(
        '/v1/stores/:storeId/pickups',
        {
          config: merchantOnly,
          schema: {
            summary: 'Consume a pickup code the customer shows (once); wrong codes are rate-limited per store',
            tags: ['fulfilment'],
            params: Type.Object({ storeId: Type.String({ minLength: 1, maxLength: 64 }) }),
            querystring: MerchantQuery,
            body: Type.Object({ code: Type.String({ pattern: '^[0-9]{6,12}$' }) }, { additionalProperties: false }),
            response: { 200: ConsumeResult },
          },
        },
        async (request) => codes.consume(merchantScope(request.principal, request.query.merchantId), request.params.storeId, request.body.code),
      );
    },
  };
};
