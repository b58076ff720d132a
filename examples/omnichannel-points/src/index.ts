import { Type } from '@sinclair/typebox';
import { definePlugin } from '@tongkit/sdk';

const Bps = (description: string, fallback: number) => Type.Integer({ minimum: 0, maximum: 100_000, default: fallback, description });

/**
 * omnichannel-points (会员通): what a paid order earns, online and in store, from the merchant's settings.
 *
 * - Only money earns: the order's `spendFen` (cash and card tenders) is shared over its lines in
 *   proportion to their net amounts, so a line paid partly in points or a voucher earns for its money
 *   part only.
 * - Each line's share is weighted by its category's multiplier (basis points, 10000 = ×1), then the
 *   channel's rate applies (basis points of a point per yuan: 10000 = 1 point per yuan).
 * - Integer arithmetic only, each step floored, so the host's cumulative refund reversal
 *   (docs/points-ledger.md) reverses exactly what was granted.
 * - Growth value (成长值) is 1 per yuan of money, whatever the channel or category.
 * - Each order's points expire `expiryDays` after it was paid (the lot's expiry; the host expires it).
 * - The members who existed when the merchant installed the plugin get `welcomePoints` once
 *   (`install.backfill`); members registered later get theirs on `member.registered`.
 */
export default definePlugin({
  name: 'omnichannel-points',
  version: '1.0.0',
  apiVersion: '2026-11',
  description: 'Points per yuan by channel, category multipliers, expiring lots, a welcome bonus',
  permissions: ['member:read', 'orders:read', 'points:write'],
  settings: Type.Object({
    onlineRateBps: Bps('Points per yuan online, in basis points (10000 = 1 point per yuan)', 10_000),
    storeRateBps: Bps('Points per yuan in store, in basis points', 10_000),
    categoryMultipliers: Type.Array(
      Type.Object({ category: Type.String({ minLength: 1, maxLength: 64 }), multiplierBps: Bps('Multiplier in basis points (20000 = double points, 0 = none)', 10_000) }, { additionalProperties: false }),
      { default: [], maxItems: 100, description: 'Per category, a multiplier; categories not listed earn ×1' },
    ),
    expiryDays: Type.Integer({ minimum: 1, maximum: 3_650, default: 365, description: 'Days after payment the points expire' }),
    welcomePoints: Type.Integer({ minimum: 0, maximum: 100_000, default: 0, description: 'Points for each member once (0: none)' }),
  }),
  extensions: {
    'member.points.earn': ({ order, now }, { settings }) => {
      const rate = order.channel === 'store' ? settings.storeRateBps : settings.onlineRateBps;
      const net = order.lines.reduce((sum, line) => sum + line.netFen, 0);
      // Weighted money in fen: each line's share of the money tenders, times its category's multiplier.
      let weightedFen = 0;
      for (const line of order.lines) {
        const shareFen = net === 0 ? 0 : Math.floor((line.netFen * order.spendFen) / net);
        const multiplier = settings.categoryMultipliers.find((m) => m.category === line.category)?.multiplierBps ?? 10_000;
        weightedFen += Math.floor((shareFen * multiplier) / 10_000);
      }
      const points = Math.floor((weightedFen * rate) / 1_000_000); // fen → yuan (100) × bps (10000)
      const growth = Math.floor(order.spendFen / 100);
      const expiresAt = new Date(Date.parse(now) + settings.expiryDays * 86_400_000).toISOString();
      return { points, growth, expiresAt, reason: `${order.channel}: ${rate / 10_000} points per yuan, category multipliers applied` };
    },
  },
  events: {
    'install.backfill': async (event, ctx) => {
      if (ctx.settings.welcomePoints === 0) return;
      for (const memberId of event.data.memberIds) {
        await ctx.points.grant({ memberId, points: ctx.settings.welcomePoints, reason: 'welcome bonus', idempotencyKey: `welcome:${memberId}` });
      }
    },
    'member.registered': async (event, ctx) => {
      if (ctx.settings.welcomePoints === 0) return;
      const { memberId } = event.data;
      await ctx.points.grant({ memberId, points: ctx.settings.welcomePoints, reason: 'welcome bonus', idempotencyKey: `welcome:${memberId}` });
    },
  },
});
