import { definePlugin, Type } from '@tongkit/sdk';

// A test plugin for ctx.service: on service.stage.paid it reads the service order, completes the paid
// stage (a stage that needs no appointment), and — by its settings — probes another merchant's order
// or tries to move a stage to `paid` itself. What each call answered (or the code it threw) goes to KV.
export default definePlugin({
  name: 'test-service-probe',
  version: '1.0.0',
  apiVersion: '2026-11',
  description: 'Reads and advances service orders through ctx (test plugin)',
  permissions: ['service:read', 'service:write', 'storage:kv'],
  settings: Type.Object({
    probeOrderId: Type.String({ default: '' }),
    forcePaid: Type.Boolean({ default: false }),
  }),
  events: {
    'service.stage.paid': async (event, ctx) => {
      const outcome = async (call: () => Promise<unknown>) => {
        try {
          return { ok: await call() };
        } catch (error) {
          return { error: (error as { code?: string }).code ?? String(error) };
        }
      };
      const { orderId, stageNo } = event.data;
      const seen: Record<string, unknown> = { order: await outcome(() => ctx.service.get(orderId)) };
      if (ctx.settings.probeOrderId) {
        seen['probe'] = await outcome(() => ctx.service.get(ctx.settings.probeOrderId));
        seen['probeAdvance'] = await outcome(() => ctx.service.advance(ctx.settings.probeOrderId, 1, 'completed', 'not mine'));
      }
      if (ctx.settings.forcePaid) {
        // The catalogue's schema refuses `paid`: only a verified payment pays a stage.
        seen['forcePaid'] = await outcome(() => ctx.service.advance(orderId, stageNo + 1, 'paid' as 'completed', 'pay it myself'));
      }
      seen['advance'] = await outcome(() => ctx.service.advance(orderId, stageNo, 'completed', 'plugin: work done', { idempotencyKey: `${event.id}:complete` }));
      seen['again'] = await outcome(() => ctx.service.advance(orderId, stageNo, 'completed', 'plugin: work done', { idempotencyKey: `${event.id}:complete` }));
      await ctx.kv.set(`seen:${orderId}:${stageNo}`, JSON.parse(JSON.stringify(seen)), { idempotencyKey: event.id });
    },
  },
});
