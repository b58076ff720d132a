import { definePlugin } from '@tongkit/sdk';

// A test plugin granted member:pii: on order.paid it reads the member's personal data into KV.
export default definePlugin({
  name: 'test-member-pii-probe',
  version: '1.0.0',
  apiVersion: '2026-11',
  description: 'Reads members’ personal data through ctx (test plugin)',
  permissions: ['member:read', 'member:pii', 'storage:kv'],
  events: {
    'order.paid': async (event, ctx) => {
      if (!event.data.memberId) return;
      const pii = await ctx.members.pii(event.data.memberId);
      // Stored with the member: the host purges it when the member is erased.
      await ctx.kv.set(`pii:${event.data.orderId}`, { phone: pii.phone, name: pii.name }, { idempotencyKey: event.id, memberId: event.data.memberId });
    },
    'member.redact': async (event, ctx) => {
      await ctx.kv.set(`redacted:${event.data.memberId}`, event.data.requestedAt, { idempotencyKey: event.id });
    },
  },
});
