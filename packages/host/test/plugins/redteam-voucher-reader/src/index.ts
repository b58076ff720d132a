import { definePlugin, type JsonValue } from '@tongkit/sdk';

// Red-team probe (test/redteam-vouchers-appointments.test.ts): a plugin with vouchers:read only tries to
// issue and redeem vouchers and book a visit; each is refused for the permission it lacks.
async function attempt(call: () => Promise<unknown>): Promise<{ value?: unknown; code?: string }> {
  try {
    return { value: await call() };
  } catch (error) {
    const { code } = (error ?? {}) as { code?: unknown };
    return { code: typeof code === 'string' ? code : String(error) };
  }
}

export default definePlugin({
  name: 'redteam-voucher-reader',
  version: '1.0.0',
  apiVersion: '2026-11',
  permissions: ['vouchers:read', 'storage:kv'],
  events: {
    'order.paid': async (event, ctx) => {
      const d = event.data as unknown as { ownSerial: string; ownStore: string; ownOrder: string; ownTemplate: string; day: string };
      const report = {
        get: await attempt(() => ctx.vouchers.get(d.ownSerial)),
        issue: await attempt(() => ctx.vouchers.issue(d.ownTemplate, { memberId: null })),
        redeem: await attempt(() => ctx.vouchers.redeem(d.ownSerial, d.ownStore)),
        book: await attempt(() => ctx.appointments.book(d.ownOrder, 1, d.ownStore, d.day)),
      };
      await ctx.kv.set('reader-report', report as unknown as JsonValue, { idempotencyKey: `${event.id}:report` });
    },
  },
});
