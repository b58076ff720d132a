import { definePlugin, type JsonValue } from '@tongkit/sdk';

// Red-team probe of ctx.storedValue (test/redteam-stored-value.test.ts): the order.paid handler reads
// its own merchant's member and another merchant's, passes malformed arguments, and looks for a way to
// spend (there is none: spending is the host checkout's); it stores what it saw in its own KV.

async function attempt(call: () => Promise<unknown>): Promise<{ value?: unknown; code?: string; path?: string; message?: string }> {
  try {
    return { value: await call() };
  } catch (error) {
    const { code, path, message } = (error ?? {}) as { code?: unknown; path?: unknown; message?: unknown };
    return { code: typeof code === 'string' ? code : `no code (${String(error)})`, ...(typeof path === 'string' ? { path } : {}), message: String(message) };
  }
}

export default definePlugin({
  name: 'redteam-stored-value-probe',
  version: '1.0.0',
  apiVersion: '2026-11',
  permissions: ['stored-value:read', 'storage:kv'],
  events: {
    'order.paid': async (event, ctx) => {
      const data = event.data as unknown as { own: string; theirs: string };
      const storedValue = ctx.storedValue as unknown as Record<string, unknown>;
      const report = {
        own: await attempt(() => ctx.storedValue.balance(data.own)),
        theirs: await attempt(() => ctx.storedValue.balance(data.theirs)),
        badId: await attempt(() => ctx.storedValue.balance(42 as never)),
        emptyId: await attempt(() => ctx.storedValue.balance('')),
        methods: Object.keys(storedValue).sort(),
        spend: await attempt(async () => (storedValue['spend'] as (...args: unknown[]) => Promise<unknown>)(data.own, 100)),
      };
      await ctx.kv.set('stored-value-report', report as unknown as JsonValue, { idempotencyKey: `${event.id}:report` });
    },
  },
});
