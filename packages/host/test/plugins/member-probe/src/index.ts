import { definePlugin, Type } from '@tongkit/sdk';

// A test plugin for ctx.members and ctx.orders: on order.paid it reads the order and its member (and,
// with `readPii`, the member's personal data), and probes the IDs its settings name, keeping what each
// call answered (or the error code it threw) in KV under the event's order ID.
export default definePlugin({
  name: 'test-member-probe',
  version: '1.0.0',
  apiVersion: '2026-11',
  description: 'Reads members and orders through ctx (test plugin)',
  // No member:pii: its ctx.members.pii (with `readPii`) must be refused.
  permissions: ['member:read', 'orders:read', 'storage:kv'],
  settings: Type.Object({
    readPii: Type.Boolean({ default: false }),
    probeOrderId: Type.String({ default: '' }),
    probeMemberId: Type.String({ default: '' }),
    /** JSON of arguments to pass to ctx.members.get and ctx.orders.get as they are (attacks). */
    probeRawArgs: Type.String({ default: '' }),
  }),
  events: {
    'order.paid': async (event, ctx) => {
      const outcome = async (call: () => Promise<unknown>) => {
        try {
          return { ok: await call() };
        } catch (error) {
          return { error: (error as { code?: string }).code ?? String(error) };
        }
      };
      const memberId = event.data.memberId;
      const seen: Record<string, unknown> = {
        order: await outcome(() => ctx.orders.get(event.data.orderId)),
        member: memberId ? await outcome(() => ctx.members.get(memberId)) : null,
      };
      if (ctx.settings.readPii && memberId) seen['pii'] = await outcome(() => ctx.members.pii(memberId));
      if (ctx.settings.probeOrderId) seen['probeOrder'] = await outcome(() => ctx.orders.get(ctx.settings.probeOrderId));
      if (ctx.settings.probeMemberId) seen['probeMember'] = await outcome(() => ctx.members.get(ctx.settings.probeMemberId));
      if (ctx.settings.probeRawArgs) {
        const args = JSON.parse(ctx.settings.probeRawArgs) as unknown[];
        seen['rawMember'] = await outcome(() => (ctx.members.get as (...a: unknown[]) => Promise<unknown>)(...args));
        seen['rawOrder'] = await outcome(() => (ctx.orders.get as (...a: unknown[]) => Promise<unknown>)(...args));
      }
      ctx.log.info('order.paid seen', { orderId: event.data.orderId, spendFen: event.data.spendFen });
      await ctx.kv.set(`seen:${event.data.orderId}`, JSON.parse(JSON.stringify(seen)), { idempotencyKey: event.id });
    },
  },
});
