import { TkError } from '@tongkit/sdk';
import { runHostCall } from '../../platform/modules/idempotency.js';
import type { HostApiBinding, HostPlatform } from '../../platform/modules/host-module.js';
import type { Appointments } from './appointments.js';
import type { ServiceOrders } from './service-orders.js';
import type { Vouchers } from './vouchers.js';

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

/**
 * `ctx.appointments`, scoped to the install's merchant: another merchant's order or store is
 * TK_NOT_FOUND. `book` commits in its own transaction with its idempotency record (a rejected booking —
 * a full day — is a result too, so a retry sees the same answer).
 */
export function appointmentsHostApi(appointments: Appointments): HostApiBinding<'appointments'> {
  return {
    transaction: 'own',
    handlers: {
      book: async (call, orderId, stageNo, storeId, day, options) => {
        const slot = options?.slot ?? null;
        const key = options?.idempotencyKey ?? `${call.eventId}:appointments.book:${orderId}:${stageNo}`;
        const { result } = await runHostCall(call.db, { installId: call.installId, key, method: 'appointments.book', payload: { orderId, stageNo, storeId, day, slot } }, (tx) =>
          appointments.book(call.merchantId, orderId, stageNo, storeId, day, `plugin:${call.installId}`, slot, tx),
        );
        return result;
      },
    },
  };
}

/**
 * `ctx.vouchers`, scoped to the install's merchant: another merchant's voucher, template or member is
 * TK_NOT_FOUND. `issue` and `redeem` commit in their own transaction with their idempotency record; the
 * key is also the voucher's issue key and the redemption's request ID, so the service's own
 * idempotency holds even across installs.
 */
export function vouchersHostApi(vouchers: Vouchers, memberExists: HostPlatform['memberExists']): HostApiBinding<'vouchers'> {
  return {
    transaction: 'own',
    handlers: {
      get: (call, serial) => vouchers.get(call.merchantId, serial, call.db),
      issue: async (call, templateId, to, options) => {
        const key = options?.idempotencyKey ?? `${call.eventId}:vouchers.issue:${templateId}:${to.orderId ?? ''}:${to.stageNo ?? ''}`;
        const { result } = await runHostCall(call.db, { installId: call.installId, key, method: 'vouchers.issue', payload: { templateId, to } }, async (tx) => {
          if (to.memberId !== null && memberExists && !(await memberExists(tx, call.merchantId, to.memberId))) throw new TkError('TK_NOT_FOUND', `no member ${to.memberId.slice(0, 64)}`, { path: '/1/memberId' });
          return vouchers.issue(call.merchantId, templateId, { memberId: to.memberId, orderId: to.orderId, stageNo: to.stageNo }, `${call.installId}:${key}`, new Date(), tx);
        });
        return result;
      },
      redeem: async (call, serial, storeId, options) => {
        const key = options?.idempotencyKey ?? `${call.eventId}:vouchers.redeem:${serial}`;
        const { result } = await runHostCall(call.db, { installId: call.installId, key, method: 'vouchers.redeem', payload: { serial, storeId } }, (tx) =>
          vouchers.redeem(call.merchantId, serial, storeId, `${call.installId}:${key}`, new Date(), tx),
        );
        return result;
      },
    },
  };
}
