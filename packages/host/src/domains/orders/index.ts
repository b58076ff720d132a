import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { HostModuleFactory, HostPlatform } from '../../platform/modules/host-module.js';
import { membersOf } from '../members/index.js';
import { Orders } from './orders.js';
import { ordersHostApi } from './host-api.js';
import { registerOrderRoutes } from './routes.js';

const services = new WeakMap<HostPlatform, Orders>();

/** The orders service of a platform, built once and shared (see {@link membersOf}). */
export function ordersOf(platform: HostPlatform): Orders {
  let orders = services.get(platform);
  if (!orders) {
    orders = new Orders(platform.db, membersOf(platform), platform.publishIn);
    services.set(platform, orders);
  }
  return orders;
}

/**
 * Orders in as a host module: tables `orders`, `order_lines`, `order_tenders`, `order_refunds`
 * (migration 012), the `/v1/orders` routes, and `order.paid` / `order.refunded`.
 */
export const ordersModule: HostModuleFactory = (platform) => {
  const orders = ordersOf(platform);
  return {
    name: 'orders',
    migrations: ['012_orders.sql'],
    routes: async (app) => registerOrderRoutes(app.withTypeProvider<TypeBoxTypeProvider>(), { orders }),
    hostApis: { orders: ordersHostApi(orders) },
    emits: ['order.paid', 'order.refunded'],
  };
};
