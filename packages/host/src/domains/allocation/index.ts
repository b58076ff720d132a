import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { HostModule, HostModuleFactory, HostPlatform } from '../../platform/modules/host-module.js';
import { storeFulfilmentOf } from '../fulfilment/index.js';
import { inventoryOf } from '../inventory/index.js';
import { ordersOf } from '../orders/index.js';
import { pickupCodesOf } from '../pickup/index.js';
import { AllocationSaga } from './allocations.js';
import { OrderRouter } from './router.js';
import { registerAllocationRoutes } from './routes.js';

/** How often a host process sweeps the saga (missed SLAs, short allocations, stalled orders). */
export const SWEEP_INTERVAL_MS = 30_000;

const sagas = new WeakMap<HostPlatform, AllocationSaga>();
const byModule = new WeakMap<HostModule, AllocationSaga>();

/** The allocation saga of a platform, built once and shared by its routes and sweep. */
export function allocationSagaOf(platform: HostPlatform): AllocationSaga {
  let saga = sagas.get(platform);
  if (!saga) {
    saga = new AllocationSaga(platform.db, {
      orders: ordersOf(platform),
      inventory: inventoryOf(platform),
      fulfilment: storeFulfilmentOf(platform),
      router: new OrderRouter(platform.invokePoint),
      pickupCodes: pickupCodesOf(platform),
      publishIn: platform.publishIn,
    });
    sagas.set(platform, saga);
  }
  return saga;
}

/** The saga of the allocation module among `modules` (for tests, benchmarks and the host's own tools). */
export function allocationSagaIn(modules: readonly HostModule[]): AllocationSaga {
  for (const module of modules) {
    const saga = byModule.get(module);
    if (saga) return saga;
  }
  throw new Error('the allocation module is not in the host module list');
}

/**
 * The allocation saga (商品通) as a host module: tables of migration 054, the order's allocation and the
 * store queue routes, `order.allocated`, and the sweep — a plain interval timer started when the HTTP
 * API is ready and stopped when it closes (the sweep is idempotent, so several processes may run it).
 */
export const allocationModule: HostModuleFactory = (platform) => {
  const saga = allocationSagaOf(platform);
  const module: HostModule = {
    name: 'allocation',
    migrations: ['054_allocations.sql'],
    routes: async (plain) => {
      registerAllocationRoutes(plain.withTypeProvider<TypeBoxTypeProvider>(), saga);
      let timer: NodeJS.Timeout | undefined;
      let running: Promise<unknown> = Promise.resolve();
      plain.addHook('onReady', async () => {
        timer = setInterval(() => {
          running = running.then(() => saga.sweep()).catch((error: unknown) => process.emitWarning(`tongkit: allocation sweep failed: ${(error as Error).message}`));
        }, SWEEP_INTERVAL_MS);
        timer.unref();
      });
      plain.addHook('onClose', async () => {
        clearInterval(timer);
        await running;
      });
    },
    emits: ['order.allocated'],
  };
  byModule.set(module, saga);
  return module;
};
