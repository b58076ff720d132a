import { definePlugin } from '@tongkit/sdk';

/** A member.tier.compute plugin that always throws: for fallbacks and the circuit breaker. */
export default definePlugin({
  name: 'test-failing-tiers',
  version: '1.0.0',
  apiVersion: '2026-11',
  permissions: ['member:read'],
  extensions: {
    'member.tier.compute': (input) => {
      throw new Error(`cannot compute a tier for ${input.member.id}`);
    },
  },
});
