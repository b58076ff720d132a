import type { HostModuleFactory, HostPlatform } from '../../platform/modules/host-module.js';
import { membersOf } from '../members/index.js';
import { serviceOf } from '../service/index.js';
import { storedValueHostApi } from './host-api.js';
import { storedValueRoutes } from './routes.js';
import { StoredValue } from './stored-value.js';

export { StoredValue, type SpendRequest, type StoredValueCaller } from './stored-value.js';
export { bonusFor, drawFromLot, refundOfTake, type LotState, type Take } from './lot-math.js';
export type { StoredValueResult, TopUp, TopUpRule } from './types.js';

const services = new WeakMap<HostPlatform, StoredValue>();

/** The stored-value service of a platform, built once (checkout spends through it). */
export function storedValueOf(platform: HostPlatform): StoredValue {
  let built = services.get(platform);
  if (!built) {
    built = new StoredValue(platform.db, platform.publishIn.bind(platform), platform.memberExists);
    services.set(platform, built);
  }
  return built;
}

/**
 * 会员宝 stored value as a host module: migration 090 (rules, accounts, top-ups, lots, spends and their
 * takes, append-only entries, idempotency), the `/v1/stored-value` and `/v1/members/:id/stored-value`
 * routes, `ctx.storedValue` and `stored-value.changed`. A member holding prepaid money cannot be deleted
 * (a deletion guard on the members service).
 */
export const storedValueModule: HostModuleFactory = (platform) => {
  const storedValue = storedValueOf(platform);
  membersOf(platform).addDeletionGuard(async (tx, merchantId, memberId) => {
    const fen = await storedValue.outstandingFen(tx, merchantId, memberId);
    return fen > 0 ? { code: 'PREPAID_BALANCE_OUTSTANDING', message: `the member holds ${fen} fen of stored value: refund its top-ups first` } : undefined;
  });
  return {
    name: 'stored-value',
    migrations: ['090_stored_value.sql'],
    routes: storedValueRoutes(storedValue, serviceOf(platform).payments, platform.memberExists),
    hostApis: { storedValue: storedValueHostApi(storedValue) },
    emits: ['stored-value.changed'],
  };
};
