import { definePlugin, formatFen, Type } from '@tongkit/sdk';

// A well-behaved plugin: member tiers by 12-month spend, thresholds from the merchant's settings.
export default definePlugin({
  name: 'test-tiers',
  version: '1.0.0',
  apiVersion: '2026-11',
  permissions: ['member:read'],
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
});
