import { definePlugin, type JsonValue } from '@tongkit/sdk';

// A plugin that did not ask for guides:read tries ctx.guides anyway (test/redteam-guides-sandbox.test.ts):
// refused with TK_PERMISSION_DENIED. The name is built at run time, as an attacker would, so review's
// static scan does not see the use (the run-time check must).

export default definePlugin({
  name: 'redteam-guides-blind',
  version: '1.0.0',
  apiVersion: '2026-11',
  permissions: ['storage:kv'],
  events: {
    'order.paid': async (event, ctx) => {
      const data = event.data as unknown as { ownMember: string };
      let outcome: JsonValue;
      try {
        const namespace = (ctx as unknown as Record<string, { relationOf(id: string): Promise<JsonValue> }>)[['gui', 'des'].join('')]!;
        outcome = { value: await namespace.relationOf(data.ownMember) };
      } catch (error) {
        outcome = { code: String((error as { code?: unknown }).code) };
      }
      await ctx.kv.set('blind-report', outcome, { idempotencyKey: `${event.id}:report` });
    },
  },
});
