import { definePlugin } from '@tongkit/sdk';

// An event plugin for the durability and multi-process tests: counts paid orders in plugin KV. The
// event id is the idempotency key, so a redelivered event (after a crash, say) adds nothing twice.
export default definePlugin({
  name: 'test-counter',
  version: '1.0.0',
  apiVersion: '2026-11',
  description: 'Counts paid orders (test plugin)',
  permissions: ['storage:kv'],
  events: {
    'order.paid': async (event, ctx) => {
      await ctx.kv.increment('paid', 1, { idempotencyKey: event.id });
    },
  },
});
