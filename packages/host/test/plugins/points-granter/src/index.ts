import { definePlugin } from '@tongkit/sdk';

// A points plugin for the ledger's host tests: each paid order grants 1 point per 10 yuan of spend and
// redeems 5 of them through a hold, all keyed by the event id, so a redelivered event changes nothing
// twice. It keeps what the ledger answered in KV for the test to read.
export default definePlugin({
  name: 'test-points-granter',
  version: '1.0.0',
  apiVersion: '2026-11',
  description: 'Grants and redeems points per paid order (test plugin)',
  permissions: ['points:write', 'member:read', 'storage:kv'],
  events: {
    'order.paid': async (event, ctx) => {
      const memberId = event.data['memberId'];
      if (typeof memberId !== 'string') return;
      const points = Math.floor(Number(event.data['spendFen']) / 1000);
      const granted = await ctx.points.grant({ memberId, points, reason: 'paid order', idempotencyKey: `${event.id}:grant` });
      const hold = await ctx.points.freeze({ memberId, points: 5, idempotencyKey: `${event.id}:freeze` });
      const confirmed = hold.holdId ? await ctx.points.confirm({ holdId: hold.holdId, idempotencyKey: `${event.id}:confirm` }) : null;
      const balance = await ctx.points.balance(memberId);
      await ctx.kv.set(`answers:${event.id}`, { granted: granted.status, hold: hold.status, confirmed: confirmed?.status ?? null, balance: balance.points.balance }, { idempotencyKey: `${event.id}:kv` });
    },
  },
});
