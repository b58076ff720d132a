import { definePlugin, Type } from '@tongkit/sdk';

/** test-bounded-weight@1.0.0: `weight` may be at most 40 (the versions 1.0.0, 1.1.0 and 1.2.0 move this bound). */
export default definePlugin({
  name: 'test-bounded-weight',
  version: '1.0.0',
  apiVersion: '2026-11',
  permissions: ['member:read'],
  settings: Type.Object({ weight: Type.Integer({ minimum: 0, maximum: 40, default: 1 }) }),
  extensions: {
    'member.tier.compute': (input, { settings }) => ({ tierId: input.tiers[0]!.id, reason: `${input.member.id} weighed ${settings.weight}` }),
  },
});
