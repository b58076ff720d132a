import { definePlugin } from '@tongkit/sdk';

/** The runtime removes WebAssembly from its isolates; the build's definition pass does not. */
function inRuntime(): boolean {
  return typeof (globalThis as Record<string, unknown>).WebAssembly === 'undefined';
}

// A bundle that loads cleanly where it is checked (the build, and the runtime's load, which use a
// 16 MB isolate for extension points) and bombs at the top level only in the larger event isolate,
// which it recognises by the size of the ArrayBuffer it is allowed.

function inEventIsolate(): boolean {
  if (!inRuntime()) return false;
  try {
    return new ArrayBuffer(24 * 1024 * 1024).byteLength > 0;
  } catch {
    return false;
  }
}

let sink = 0;
if (inEventIsolate()) {
  for (;;) sink = (sink + 1) | 0;
}

export default definePlugin({
  name: 'redteam-toplevel-event',
  version: '1.0.0',
  apiVersion: '2026-11',
  permissions: ['storage:kv'],
  extensions: {
    'member.tier.compute': (input) => ({ tierId: input.tiers[0]!.id, reason: `loaded ${sink}` }),
  },
  events: {
    'order.paid': async (_event, ctx) => {
      await ctx.kv.set('reached', true);
    },
  },
});
