import type { HostModule, HostModuleFactory, HostPlatform } from '../../platform/modules/host-module.js';
import { ordersOf } from '../orders/index.js';
import { PointsLedger } from '../points/ledger.js';
import { MemberTiers } from './member-tiers.js';
import { tierRoutes } from './routes.js';
import { TierWork, sweepDueTiers } from './tier-work.js';

export { MemberTiers, type TierComputation, type TierFacts } from './member-tiers.js';
export { TierWork, sweepDueTiers } from './tier-work.js';
export { applyLadder, entryTier, type LadderRules, type StoredTier, type TierOutcome } from './tier-rules.js';
export type { MemberTierView, TierChange, TierHistoryPage, TierLadder, TierLadderRequest } from './schemas.js';

const services = new WeakMap<HostPlatform, { tiers: MemberTiers; work: TierWork }>();

/**
 * The tiers service and its work queue of a platform, built once: the tiers module's routes, the
 * members routes (a member's tier) and the host's publish hook (queueing members) share them.
 */
export function tiersOf(platform: HostPlatform): { tiers: MemberTiers; work: TierWork } {
  let built = services.get(platform);
  if (!built) {
    const orders = ordersOf(platform);
    // The ledger's service, for reads only (balances); its writes are the points module's.
    const ledger = new PointsLedger(platform.db, platform);
    const tiers = new MemberTiers(platform.db, platform, {
      spendSummary: (merchantId, memberId, window) => orders.spendSummary(merchantId, memberId, window),
      timeZoneOf: (merchantId) => orders.timeZoneOf(merchantId),
      balances: async (merchantId, memberId) => {
        const view = await ledger.memberPoints(merchantId, memberId);
        return { points: view.points.balance, growth: view.growth.balance };
      },
    });
    built = { tiers, work: new TierWork(platform.db, tiers) };
    services.set(platform, built);
  }
  return built;
}

/**
 * Tiers applied by the host as a module: migration 022 (ladder, member tiers, history, work queue),
 * `PUT/GET /v1/tiers`, `GET /v1/members/:id/tier-history`, `member.tier.changed`, and the review
 * schedule (tier expiry and downgrades whose protection ended, every five minutes, like the points
 * expiry sweep).
 */
export const tiersModule: HostModuleFactory = (platform) => {
  const { tiers, work } = tiersOf(platform);
  const module: HostModule = {
    name: 'tiers',
    migrations: ['022_member_tiers.sql'],
    routes: tierRoutes(tiers),
    emits: ['member.tier.changed'],
    schedules: [
      {
        name: 'tier-review',
        cron: '*/5 * * * *',
        async run(_platform, firedAt) {
          while ((await sweepDueTiers(platform.db, { now: firedAt, limit: 500 })).members === 500);
          await work.drain();
        },
      },
    ],
  };
  return module;
};
