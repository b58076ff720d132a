import { definePlugin, Type } from '@tongkit/sdk';

// member.points.earn for bench/ledger (a copy of the host's test plugin earn-per-yuan): a rate per yuan of money tenders from settings,
// doubled for one category, growth value 1 per yuan; points expire a year after payment.
export default definePlugin({
  name: 'bench-earn-per-yuan',
  version: '1.0.0',
  apiVersion: '2026-11',
  description: 'Points per yuan with a category multiplier (bench plugin)',
  permissions: ['member:read', 'orders:read'],
  settings: Type.Object({
    pointsPerYuan: Type.Integer({ minimum: 0, default: 2 }),
    doubleCategory: Type.String({ default: 'furniture' }),
  }),
  extensions: {
    'member.points.earn': (input, { settings }) => {
      const yuan = Math.floor(input.order.spendFen / 100);
      const doubled = input.order.lines.some((line) => line.category === settings.doubleCategory);
      const points = yuan * settings.pointsPerYuan * (doubled ? 2 : 1);
      const expiresAt = new Date(Date.parse(input.now) + 365 * 86_400_000).toISOString();
      return { points, growth: yuan, expiresAt, reason: `${settings.pointsPerYuan}/yuan${doubled ? ' ×2' : ''}` };
    },
  },
});
