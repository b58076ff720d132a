import type { HostApiBinding } from '../../platform/modules/host-module.js';
import type { Members } from './members.js';

/**
 * `ctx.members`, scoped to the install's merchant (another merchant's member is TK_NOT_FOUND). Reads
 * only, so no idempotency record: each answers with one query on the pool, outside the delivery
 * batch, like every domain namespace. The runtime refuses `pii` unless `member:pii` was granted.
 */
export function membersHostApi(members: Members): HostApiBinding<'members'> {
  return {
    transaction: 'own',
    handlers: {
      get: (call, memberId) => members.get(call.merchantId, memberId, call.db),
      pii: (call, memberId) => members.pii(call.merchantId, memberId, call.db),
    },
  };
}
