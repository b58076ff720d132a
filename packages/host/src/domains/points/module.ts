import type { HostModule, HostModuleFactory, HostPlatform } from '../../platform/modules/host-module.js';
import { pointsHostApi } from './host-api.js';
import { PointsLedger } from './ledger.js';
import { pointsRoutes } from './routes.js';

const ledgers = new WeakMap<HostModule, PointsLedger>();
const byPlatform = new WeakMap<HostPlatform, PointsLedger>();

/**
 * The points & growth ledger as a host module: migration 020, the operator routes under
 * `/v1/members/:id/{points,ledger}`, `ctx.points`, the `points.changed` events and the expiry schedule
 * (due lots expired and expired holds released, every five minutes; mutations do it for their own
 * member first, so the schedule only catches up members nobody touches).
 */
export const pointsModule: HostModuleFactory = (platform) => {
  const ledger = new PointsLedger(platform.db, platform, platform.memberExists ? { members: platform.memberExists } : {});
  const module: HostModule = {
    name: 'points',
    migrations: ['020_points_ledger.sql'],
    routes: pointsRoutes(ledger, platform.memberExists),
    hostApis: { points: pointsHostApi(ledger) },
    emits: ['points.changed'],
    schedules: [
      {
        name: 'points-expiry',
        cron: '*/5 * * * *',
        async run() {
          while ((await ledger.sweepDue({ limit: 500 })).members === 500);
        },
      },
    ],
  };
  ledgers.set(module, ledger);
  byPlatform.set(platform, ledger);
  return module;
};

/** The ledger service of the points module among `modules` (for the host's own services: order earning, tiers). */
export function pointsLedgerOf(modules: readonly HostModule[]): PointsLedger {
  for (const module of modules) {
    const ledger = ledgers.get(module);
    if (ledger) return ledger;
  }
  throw new Error('the points module is not in the host module list');
}

/** The ledger the points module built on `platform` (for other modules' services: checkout's point holds). */
export function pointsLedgerOn(platform: HostPlatform): PointsLedger {
  const ledger = byPlatform.get(platform);
  if (!ledger) throw new Error('the points module is not built on this platform (it must come before the modules that use it)');
  return ledger;
}
