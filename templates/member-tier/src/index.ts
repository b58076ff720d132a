import { definePlugin, formatFen, Type } from '@tongkit/sdk';

/**
 * Member tiers by 12-month spend: regular → silver → gold.
 * Edit the thresholds' defaults below; merchants can change them per install (and per store) in the
 * settings form the platform generates from this schema.
 */
export default definePlugin({
  name: 'my-member-tiers',
  version: '0.1.0',
  apiVersion: '2026-11',
  description: 'Member tiers by 12-month spend across online and store channels',
  permissions: ['member:read'],
  settings: Type.Object({
    silverAtFen: Type.Integer({ minimum: 0, default: 100_000, title: 'Silver from (fen, 12-month spend)' }),
    goldAtFen: Type.Integer({ minimum: 0, default: 500_000, title: 'Gold from (fen, 12-month spend)' }),
  }),
  extensions: {
    'member.tier.compute': (input, { settings }) => {
      // The host assembles the facts from its own orders: cash and card spend net of refunds over the
      // last 12 months in the merchant's time zone (`total` = online + store; older inputs lack it).
      const { online, store, total = online + store } = input.member.spend12mFen;
      const spendFen = total;
      const tierId = spendFen >= settings.goldAtFen ? 'gold' : spendFen >= settings.silverAtFen ? 'silver' : 'regular';
      return { tierId, reason: `12-month spend ${formatFen(spendFen)}` };
    },
  },
});
