import type { HostApiBinding, OwnHostCall } from '../../platform/modules/host-module.js';
import { runHostCall } from '../../platform/modules/idempotency.js';
import type { Inventory } from './inventory.js';
import type { BillResult, InventoryBill } from './schemas.js';

/**
 * A plugin's bill number: its install and idempotency key, so it can never collide with the merchant's
 * own numbers or another install's.
 */
const pluginBillNo = (call: OwnHostCall, key: string) => `plugin:${call.installId}:${key}`;

async function billOnce(inventory: Inventory, call: OwnHostCall, method: string, key: string, payload: unknown, bill: InventoryBill): Promise<BillResult> {
  const { status, result } = await runHostCall(call.db, { installId: call.installId, key, method, payload }, (tx) => inventory.applyBillIn(tx, call.merchantId, bill, '/0'));
  if (status === 'applied') return result;
  return { ...result, status: 'duplicate', firstStatus: result.status === 'rejected' || result.firstStatus === 'rejected' ? 'rejected' : 'applied' };
}

/**
 * `ctx.inventory`, each call in its own short transaction with its idempotency record (runHostCall): an
 * event handler never holds a SKU's row lock while a till waits. Without an idempotency key, the key is
 * the event and the reservation, so a redelivered event holds nothing twice.
 */
export function inventoryHostApi(inventory: Inventory): HostApiBinding<'inventory'> {
  return {
    transaction: 'own',
    handlers: {
      get: (call, query) => inventory.stock(call.merchantId, query.storeId, query.skus, '/0/storeId'),
      reserve: (call, reservation, options) => {
        const key = options?.idempotencyKey ?? `${call.eventId}:inventory.reserve:${reservation.reservationId}`;
        return billOnce(inventory, call, 'inventory.reserve', key, reservation, { billNo: pluginBillNo(call, key), kind: 'reservation', ...reservation });
      },
      release: (call, reservation, options) => {
        const key = options?.idempotencyKey ?? `${call.eventId}:inventory.release:${reservation.reservationId}`;
        return billOnce(inventory, call, 'inventory.release', key, reservation, { billNo: pluginBillNo(call, key), kind: 'release', reservationId: reservation.reservationId });
      },
    },
  };
}
