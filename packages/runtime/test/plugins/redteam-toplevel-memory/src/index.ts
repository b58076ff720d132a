import { definePlugin } from '@tongkit/sdk';

/** The runtime removes WebAssembly from its isolates; the build's definition pass does not. */
function inRuntime(): boolean {
  return typeof (globalThis as Record<string, unknown>).WebAssembly === 'undefined';
}

// A bundle whose top-level code fills the heap, but only inside the runtime (see redteam-toplevel-loop).
const kept: number[][] = [];
if (inRuntime()) {
  for (;;) kept.push(new Array<number>(10_000).fill(kept.length));
}

export default definePlugin({
  name: 'redteam-toplevel-memory',
  version: '1.0.0',
  apiVersion: '2026-11',
  extensions: {
    'member.tier.compute': (input) => ({ tierId: input.tiers[0]!.id, reason: `never loaded ${kept.length}` }),
  },
});
