import { definePlugin } from '@tongkit/sdk';

// The events benchmark's handler: one idempotent KV increment per paid order, like
// packages/host/test/plugins/counter, except that the event names the key. One key for every event is
// the "hot" workload (one row all workers write); a key per event is the "distinct" one (no row shared).
export default definePlugin({
  name: 'bench-events-counter',
  version: '1.0.0',
  apiVersion: '2026-11',
  description: 'Counts paid orders into the KV key the event names (benchmark plugin)',
  permissions: ['storage:kv'],
  events: {
    'order.paid': async (event, ctx) => {
      const key = typeof event.data.key === 'string' ? event.data.key : 'paid';
      await ctx.kv.increment(key, 1, { idempotencyKey: event.id });
    },
  },
});
