import { definePlugin, formatFen, Type } from '@tongkit/sdk';

// The well-behaved tenant of the red-team suite: loaded into the same runtime as an attacker (another
// install), it must keep answering correctly right after each attack. Tiers by 12-month spend; its
// order.paid handler counts paid orders in its KV storage.
export default definePlugin({
  name: 'redteam-tenant',
  version: '1.0.0',
  apiVersion: '2026-11',
  permissions: ['member:read', 'storage:kv'],
  settings: Type.Object({
    silverAtFen: Type.Integer({ minimum: 0, default: 100_000 }),
    goldAtFen: Type.Integer({ minimum: 0, default: 500_000 }),
  }),
  extensions: {
    'member.tier.compute': (input, { settings }) => {
      const spendFen = input.member.spend12mFen.online + input.member.spend12mFen.store;
      const tierId = spendFen >= settings.goldAtFen ? 'gold' : spendFen >= settings.silverAtFen ? 'silver' : 'regular';
      return { tierId, reason: `12-month spend ${formatFen(spendFen)}` };
    },
  },
  events: {
    'order.paid': async (event, ctx) => {
      const orders = await ctx.kv.increment('orders', 1, { idempotencyKey: event.id });
      ctx.log.info(JSON.stringify({ orders, merchantId: ctx.merchantId }));
    },
  },
});
