import { definePlugin } from '@tongkit/sdk';

/** test-benefits-wrong-line: for a cart of several lines, proposes a discount on a line the cart does not have — an invalid output (a one-line cart, its review fixture, gets nothing). */
export default definePlugin({
  name: 'test-benefits-wrong-line',
  version: '1.0.0',
  apiVersion: '2026-11',
  permissions: ['member:read'],
  extensions: {
    'member.benefits.resolve': (input) => ({ benefits: input.cart.lines.length < 2 ? [] : [{ class: 'tier_discount', kind: 'discount_bp', ratioBp: 9_000, lineIds: ['no-such-line'], label: 'bogus' }] }),
  },
});
