import { definePlugin } from '@tongkit/sdk';

// Each member ID selects one way of exceeding the sync point's limits.
export default definePlugin({
  name: 'test-limits',
  version: '1.0.0',
  apiVersion: '2026-11',
  extensions: {
    'member.tier.compute': (input) => {
      const tierId = input.tiers[0]!.id;
      switch (input.member.id) {
        case 'infinite-loop':
          for (;;) {
            // spins until the wall stop
          }
        case 'burn': {
          // growthValue iterations of busy work: CPU time without allocation.
          let x = 0;
          for (let i = 0; i < input.member.growthValue; i++) x = (Math.imul(x, 31) + i) | 0;
          return { tierId, reason: `burned ${x}` };
        }
        case 'array-doubling': {
          let items = [1, 2, 3, 4];
          for (;;) items = items.concat(items);
        }
        case 'string-doubling': {
          let text = 'tongkit!';
          for (;;) {
            text = text + text;
            // Reading a character flattens the rope, so the memory is really used.
            if (text.charCodeAt(text.length - 1) === 0) break;
          }
          return { tierId, reason: 'unreachable' };
        }
        case 'big-output':
          return { tierId, reason: 'padded', padding: 'x'.repeat(25 * 1024) } as never;
        case 'enormous-output':
          return { tierId, reason: 'x'.repeat(10 * 1024 * 1024) };
        case 'log-flood':
          for (let i = 0; i < 10_000; i++) console.log(`log line number ${i}`);
          return { tierId, reason: 'logged a lot' };
        default:
          return { tierId, reason: 'within limits' };
      }
    },
  },
});
