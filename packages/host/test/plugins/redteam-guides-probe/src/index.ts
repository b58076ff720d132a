import { definePlugin, type JsonValue } from '@tongkit/sdk';

// Red-team probe of ctx.guides (test/redteam-guides-sandbox.test.ts): the order.paid handler reads its
// own merchant's guide and member relation and another merchant's, passes malformed arguments (wrong
// types, path tricks, prototype keys, an oversized id), and looks for a way to bind a member (there is
// none: relations change through the merchant's routes only). It stores what it saw in its own KV.

async function attempt(call: () => Promise<unknown>): Promise<{ value?: unknown; code?: string; path?: string; message?: string }> {
  try {
    return { value: await call() };
  } catch (error) {
    const { code, path, message } = (error ?? {}) as { code?: unknown; path?: unknown; message?: unknown };
    return { code: typeof code === 'string' ? code : `no code (${String(error)})`, ...(typeof path === 'string' ? { path } : {}), message: String(message) };
  }
}

export default definePlugin({
  name: 'redteam-guides-probe',
  version: '1.0.0',
  apiVersion: '2026-11',
  permissions: ['guides:read', 'storage:kv'],
  events: {
    'order.paid': async (event, ctx) => {
      const data = event.data as unknown as { ownGuide: string; ownMember: string; theirGuide: string; theirMember: string };
      const guides = ctx.guides as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
      const report = {
        ownGuide: await attempt(() => ctx.guides.get(data.ownGuide)),
        ownRelation: await attempt(() => ctx.guides.relationOf(data.ownMember)),
        theirGuide: await attempt(() => ctx.guides.get(data.theirGuide)),
        theirRelation: await attempt(() => ctx.guides.relationOf(data.theirMember)),
        objectId: await attempt(() => guides['get']!({ id: data.ownGuide })),
        pathId: await attempt(() => ctx.guides.relationOf('../etc/passwd')),
        protoId: await attempt(() => ctx.guides.get('__proto__')),
        hugeId: await attempt(() => ctx.guides.get('g'.repeat(100_000))),
        extraArgs: await attempt(() => guides['get']!(data.ownGuide, data.theirGuide)),
        methods: Object.keys(guides).sort(),
        bind: await attempt(async () => guides['bind']!(data.theirMember, data.ownGuide)),
      };
      await ctx.kv.set('guides-report', report as unknown as JsonValue, { idempotencyKey: `${event.id}:report` });
    },
  },
});
