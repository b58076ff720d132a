import { definePlugin } from '@tongkit/sdk';

// Keeps a counter in module state: its answer depends on how many calls the isolate served before.
let calls = 0;

export default definePlugin({
  name: 'test-stateful',
  version: '1.0.0',
  apiVersion: '2026-11',
  extensions: {
    'member.tier.compute': (input) => {
      calls += 1;
      return { tierId: input.tiers[0]!.id, reason: `call number ${calls}` };
    },
  },
});
