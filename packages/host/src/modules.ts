import { guidesModule } from './domains/guides/index.js';
import { allocationModule } from './domains/allocation/index.js';
import { fulfilmentModule } from './domains/fulfilment/index.js';
import { inventoryModule } from './domains/inventory/index.js';
import { kvModule } from './domains/kv/index.js';
import { membersModule } from './domains/members/index.js';
import { ordersModule } from './domains/orders/index.js';
import { pointsModule } from './domains/points/index.js';
import { serviceModule } from './domains/service/index.js';
import { pickupModule } from './domains/pickup/index.js';
import { productCodesModule } from './domains/product-codes/index.js';
import { tiersModule } from './domains/tiers/index.js';
import { storedValueModule } from './domains/stored-value/index.js';
import { checkoutModule } from './domains/checkout/index.js';
import type { HostModule, HostModuleFactory, HostPlatform } from './platform/modules/host-module.js';

/**
 * The host's modules, one per primitive under `src/domains/<primitive>/`: the one list a new primitive
 * is added to (see docs/architecture.md).
 */
export const HOST_MODULES: readonly HostModuleFactory[] = [kvModule, membersModule, ordersModule, pointsModule, serviceModule, fulfilmentModule, inventoryModule, productCodesModule, pickupModule, tiersModule, storedValueModule, checkoutModule, guidesModule, allocationModule];

/** Builds the modules on the platform's services. */
export function createHostModules(platform: HostPlatform, factories: readonly HostModuleFactory[] = HOST_MODULES): HostModule[] {
  return factories.map((factory) => factory(platform));
}
