import { definePlugin, Type } from '@tongkit/sdk';

/**
 * Counts paid orders in plugin KV, once per event (the event id is the idempotency key). With the
 * `failPaid` setting on, its handler throws on every delivery: for retries, dead letters and replay.
 */
export default definePlugin({
  name: 'test-kv-counter',
  version: '1.0.0',
  apiVersion: '2026-11',
  description: 'Counts order.paid events in plugin storage',
  permissions: ['storage:kv'],
  settings: Type.Object({
    failPaid: Type.Boolean({ default: false, title: 'Fail every order.paid delivery' }),
  }),
  events: {
    'order.paid': async (event, ctx) => {
      if (ctx.settings.failPaid) throw new Error('order.paid handling is switched off by the failPaid setting');
      await ctx.kv.increment('paid', 1, { idempotencyKey: event.id });
    },
  },
});
