import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { HostModuleFactory, HostPlatform } from '../../platform/modules/host-module.js';
import { registerFulfilmentRoutes } from './routes.js';
import { StoreFulfilment } from './store-fulfilment.js';

const services = new WeakMap<HostPlatform, StoreFulfilment>();

/** The store fulfilment service of a platform, built once and shared with the modules that route orders. */
export function storeFulfilmentOf(platform: HostPlatform): StoreFulfilment {
  let service = services.get(platform);
  if (!service) {
    service = new StoreFulfilment(platform.db);
    services.set(platform, service);
  }
  return service;
}

/**
 * Stores as fulfilment points (商品通) as a host module: table `store_fulfilment` (migration 050) and the
 * `/v1/stores/:storeId/fulfilment` routes.
 */
export const fulfilmentModule: HostModuleFactory = (platform) => {
  const fulfilment = storeFulfilmentOf(platform);
  return {
    name: 'fulfilment',
    migrations: ['050_store_fulfilment.sql'],
    routes: async (app) => registerFulfilmentRoutes(app.withTypeProvider<TypeBoxTypeProvider>(), fulfilment),
  };
};
