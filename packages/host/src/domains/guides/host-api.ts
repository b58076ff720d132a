import type { HostApiBinding } from '../../platform/modules/host-module.js';
import type { GuideServices } from './services.js';

/**
 * `ctx.guides`, scoped to the install's merchant (another merchant's guide is TK_NOT_FOUND, its member
 * has no relation here). Reads only, one query each, outside the delivery batch.
 */
export function guidesHostApi({ guides, relations }: GuideServices): HostApiBinding<'guides'> {
  return {
    transaction: 'own',
    handlers: {
      get: (call, guideId) => guides.get(call.merchantId, guideId, call.db),
      relationOf: (call, memberId) => relations.relationOf(call.merchantId, memberId, call.db),
    },
  };
}
