import { definePlugin, Type } from '@tongkit/sdk';

/** test-benefits-tier: a tier discount in basis points on every line, and a coupon in fen over the cart. */
export default definePlugin({
  name: 'test-benefits-tier',
  version: '1.0.0',
  apiVersion: '2026-11',
  permissions: ['member:read'],
  settings: Type.Object({ discountBp: Type.Integer({ minimum: 0, maximum: 10_000, default: 1_000 }), couponFen: Type.Integer({ minimum: 0, default: 0 }) }),
  extensions: {
    'member.benefits.resolve': (input, { settings }) => ({
      benefits: [
        { class: 'tier_discount', kind: 'discount_bp', ratioBp: settings.discountBp, lineIds: [], label: `tier ${input.member.tierId ?? 'none'}` },
        ...(settings.couponFen > 0 ? [{ class: 'coupon' as const, kind: 'discount_fen' as const, amountFen: settings.couponFen, lineIds: [], label: 'coupon' }] : []),
      ],
    }),
  },
});
