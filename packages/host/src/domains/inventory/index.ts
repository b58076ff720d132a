import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { HostModuleFactory, HostPlatform } from '../../platform/modules/host-module.js';
import { inventoryHostApi } from './host-api.js';
import { Inventory } from './inventory.js';
import { registerInventoryRoutes } from './routes.js';

const services = new WeakMap<HostPlatform, Inventory>();

/** The inventory service of a platform, built once and shared (order routing reserves through it). */
export function inventoryOf(platform: HostPlatform): Inventory {
  let inventory = services.get(platform);
  if (!inventory) {
    inventory = new Inventory(platform.db, platform.publishIn);
    services.set(platform, inventory);
  }
  return inventory;
}

/**
 * Inventory as a host module: tables `inventory_stock`, `inventory_bills`, `inventory_reservations`,
 * `inventory_movements` (migration 051), the bill and stock routes, `ctx.inventory`, and `inventory.changed`.
 */
export const inventoryModule: HostModuleFactory = (platform) => {
  const inventory = inventoryOf(platform);
  return {
    name: 'inventory',
    migrations: ['051_inventory.sql'],
    routes: async (app) => registerInventoryRoutes(app.withTypeProvider<TypeBoxTypeProvider>(), inventory),
    hostApis: { inventory: inventoryHostApi(inventory) },
    emits: ['inventory.changed'],
  };
};
