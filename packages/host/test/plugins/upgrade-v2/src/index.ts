import { definePlugin, Type } from '@tongkit/sdk';

/** Version 2: the same decision, plus an order.paid handler that needs `storage:kv` (a new permission). */
export default definePlugin({
  name: 'test-upgrade-tiers',
  version: '2.0.0',
  apiVersion: '2026-11',
  permissions: ['member:read', 'storage:kv'],
  settings: Type.Object({ goldAtFen: Type.Integer({ minimum: 0, default: 500_000 }) }),
  extensions: {
    'member.tier.compute': (input, { settings }) => ({
      tierId: input.member.spend12mFen.online + input.member.spend12mFen.store >= settings.goldAtFen ? 'gold' : input.tiers[0]!.id,
      reason: 'decided by v2',
    }),
  },
  events: {
    'order.paid': async (event, ctx) => {
      await ctx.kv.increment('paid', 1, { idempotencyKey: event.id });
    },
  },
});
