import type { HostApiBinding } from '../../platform/modules/host-module.js';
import type { StoredValue } from './stored-value.js';

/**
 * `ctx.storedValue`: reads only (spending is the host checkout's). A read takes no lock, yet it is bound
 * `own` like every domain namespace, so it never reads inside a delivery batch's snapshot.
 */
export function storedValueHostApi(storedValue: StoredValue): HostApiBinding<'storedValue'> {
  return {
    transaction: 'own',
    handlers: {
      balance: (call, memberId) => storedValue.balance(call.merchantId, memberId),
    },
  };
}
