import { definePlugin } from '@tongkit/sdk';

// The attacker of bench/attack: for member.tier.compute the member ID picks the attack and
// `growthValue` sizes it. A small self-contained copy of the red-team fixtures
// (packages/runtime/test/plugins/redteam-cpu, -memory, -output), so the bench does not depend on tests.

type Output = { tierId: string; reason: string };

let sink = 0;

function burn(iterations: number): number {
  let x = 0;
  for (let i = 0; i < iterations; i++) x = (Math.imul(x, 31) + i) | 0;
  return x;
}

function attack(kase: string, tierId: string, size: number): Output {
  switch (kase) {
    case 'for-ever':
      // Pure CPU until the 100 ms wall stop.
      for (;;) sink = (sink + 1) | 0;
    case 'string-doubling': {
      // Usually a fatal out-of-memory: V8 aborts the process running it (sometimes TK_MEMORY_LIMIT).
      // The red-team suite's Map and Set bombs meet the 100 ms wall stop first under the default limits.
      let text = 'tongkit!';
      for (;;) {
        text = text + text;
        if (text.charCodeAt(text.length - 1) === 0) break;
      }
      return { tierId, reason: String(text.length) };
    }
    case 'array-of-arrays': {
      // A heap bomb V8 reports as an ordinary heap-limit stop (TK_MEMORY_LIMIT), within ~50 ms.
      const items: number[][] = [];
      for (;;) items.push(new Array<number>(10_000).fill(items.length));
    }
    case 'log-flood':
      // More console output than the 1 KB log budget: the rest is dropped and flagged.
      for (let i = 0; i < size; i++) console.log(`log line number ${i}`);
      return { tierId, reason: 'flooded' };
    case 'huge-output':
      // An output over the 20 KB limit.
      return { tierId, reason: 'x'.repeat(size) };
    case 'array-fill':
      // One native call: isolated-vm can only stop it once it returns (isolated-vm issue #186).
      return { tierId, reason: String(new Array(size).fill(0).length) };
    case 'burn':
      return { tierId, reason: `burned ${burn(size)}` };
    default:
      return { tierId, reason: `no attack ${sink}` };
  }
}

export default definePlugin({
  name: 'bench-attack',
  version: '1.0.0',
  apiVersion: '2026-11',
  extensions: {
    'member.tier.compute': (input) => attack(input.member.id, input.tiers[0]!.id, input.member.growthValue),
  },
});
