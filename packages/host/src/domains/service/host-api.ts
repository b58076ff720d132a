import { runHostCall } from '../../platform/modules/idempotency.js';
import type { HostApiBinding } from '../../platform/modules/host-module.js';
import type { ServiceOrders } from './service-orders.js';

/**
 * `ctx.service`, scoped to the install's merchant (another merchant's order is TK_NOT_FOUND). `advance`
 * commits in its own transaction with its idempotency record; it can only schedule or complete a stage —
 * the catalogue's schema refuses `paid` before the handler runs, and the machine refuses it again.
 */
export function serviceHostApi(serviceOrders: ServiceOrders): HostApiBinding<'service'> {
  return {
    transaction: 'own',
    handlers: {
      get: (call, orderId) => serviceOrders.get(call.merchantId, orderId, call.db),
      advance: async (call, orderId, stageNo, to, reason, options) => {
        const key = options?.idempotencyKey ?? `${call.eventId}:service.advance:${orderId}:${stageNo}:${to}`;
        const { result } = await runHostCall(call.db, { installId: call.installId, key, method: 'service.advance', payload: { orderId, stageNo, to, reason } }, (tx) =>
          serviceOrders.advance(call.merchantId, orderId, stageNo, to, { cause: 'plugin', actor: `plugin:${call.installId}`, reason }, tx),
        );
        return result;
      },
    },
  };
}
