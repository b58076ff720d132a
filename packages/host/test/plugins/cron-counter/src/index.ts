import { definePlugin } from '@tongkit/sdk';

/** Counts the slots of its two cron triggers in plugin KV (once per event: the event id is the key). */
export default definePlugin({
  name: 'test-cron-counter',
  version: '1.0.0',
  apiVersion: '2026-11',
  permissions: ['storage:kv'],
  schedules: [
    {
      name: 'every-minute',
      cron: '* * * * *',
      handler: async (event, ctx) => {
        await ctx.kv.increment('minutes', 1, { idempotencyKey: event.id });
        await ctx.kv.increment('missed', event.data.missedSlots, { idempotencyKey: `${event.id}:missed` });
      },
    },
    {
      name: 'nine-am',
      cron: '0 9 * * *',
      handler: async (event, ctx) => {
        await ctx.kv.increment('mornings', 1, { idempotencyKey: event.id });
      },
    },
  ],
});
