import { definePlugin } from '@tongkit/sdk';

/** The runtime removes WebAssembly from its isolates; the build's definition pass does not. */
function inRuntime(): boolean {
  return typeof (globalThis as Record<string, unknown>).WebAssembly === 'undefined';
}

// A bundle whose top-level code spins for ever, but only inside the runtime: the build's definition
// pass runs it in a plain context (WebAssembly present), so the build (and a review of it) sees nothing.
let sink = 0;
if (inRuntime()) {
  for (;;) sink = (sink + 1) | 0;
}

export default definePlugin({
  name: 'redteam-toplevel-loop',
  version: '1.0.0',
  apiVersion: '2026-11',
  extensions: {
    'member.tier.compute': (input) => ({ tierId: input.tiers[0]!.id, reason: `never loaded ${sink}` }),
  },
});
