import { definePlugin } from '@tongkit/sdk';

// Reports what the sandbox looks like from inside, as one JSON log line.
export default definePlugin({
  name: 'test-probe',
  version: '1.0.0',
  apiVersion: '2026-11',
  extensions: {
    'member.tier.compute': (input) => {
      const g = globalThis as Record<string, unknown>;
      console.log(
        JSON.stringify({
          dateNow: Date.now(),
          newDate: new Date().toISOString(),
          dateCall: typeof Date(),
          random: [Math.random(), Math.random(), Math.random()],
          globals: Object.fromEntries(
            ['WebAssembly', 'SharedArrayBuffer', 'Atomics', 'setTimeout', 'setInterval', 'queueMicrotask', 'process', 'require', 'Buffer', 'fetch'].map(
              (name) => [name, typeof g[name]],
            ),
          ),
        }),
      );
      return { tierId: input.tiers[0]!.id, reason: 'probed' };
    },
  },
});
