import { definePlugin, formatFen } from '@tongkit/sdk';

// An extension plugin for the circuit-breaker tests: member tiers by 12-month spend, except that it
// throws for members whose id starts with "fail" — the failures that trip the breaker.
export default definePlugin({
  name: 'test-flaky',
  version: '1.0.0',
  apiVersion: '2026-11',
  description: 'Member tiers that fail for some members (test plugin)',
  permissions: ['member:read'],
  extensions: {
    'member.tier.compute': (input) => {
      if (input.member.id.startsWith('fail')) throw new Error(`cannot compute a tier for ${input.member.id}`);
      const spendFen = input.member.spend12mFen.online + input.member.spend12mFen.store;
      const tierId = spendFen >= 500_000 ? 'gold' : spendFen >= 100_000 ? 'silver' : 'regular';
      return { tierId, reason: `12-month spend ${formatFen(spendFen)}` };
    },
  },
});
