import type { HostApiBinding } from '../../platform/modules/host-module.js';
import type { Orders } from './orders.js';

/** `ctx.orders`, scoped to the install's merchant (another merchant's order is TK_NOT_FOUND); reads only. */
export function ordersHostApi(orders: Orders): HostApiBinding<'orders'> {
  return {
    transaction: 'own',
    handlers: {
      get: (call, orderId) => orders.get(call.merchantId, orderId, call.db),
    },
  };
}
