import { definePlugin, type JsonValue } from '@tongkit/sdk';

// Red-team probe of the host's KV API (test/redteam-host-api.test.ts): `event.data.case` picks what the
// order.paid handler tries. It catches every failure and stores what it saw in its own KV (under a
// `*-report` key), so that the delivery commits and the test can read the report from the database.

async function attempt(call: () => Promise<unknown>): Promise<{ value?: unknown; code?: string }> {
  try {
    return { value: await call() };
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    return { code: typeof code === 'string' ? code : `no code (${String(error)})` };
  }
}

export default definePlugin({
  name: 'redteam-kv-probe',
  version: '1.0.0',
  apiVersion: '2026-11',
  permissions: ['storage:kv'],
  events: {
    'order.paid': async (event, ctx) => {
      const data = event.data;
      switch (data.case) {
        case 'store-secret':
          await ctx.kv.set('secret', String(data.secret));
          return;
        case 'probe': {
          // Every key an attacker could think of for another install's value, and writes aimed at it.
          const seen: Record<string, unknown> = {};
          for (const key of data.keys as string[]) seen[key] = await attempt(() => ctx.kv.get(key));
          const target = String(data.target);
          const writes = {
            prefixed: await attempt(() => ctx.kv.set(`${target}:secret`, 'overwritten by another tenant')),
            withOptions: await attempt(() => ctx.kv.set('secret', 'overwritten by another tenant', { installId: target, merchantId: target } as never)),
            increment: await attempt(() => ctx.kv.increment(`${target}/counter`, 1)),
            deleted: await attempt(() => ctx.kv.delete(`../${target}/secret`)),
          };
          await ctx.kv.set('probe-report', { seen, writes, merchantId: ctx.merchantId } as JsonValue);
          return;
        }
        case 'idempotent': {
          const idempotencyKey = String(data.idempotencyKey);
          const report = {
            first: await attempt(() => ctx.kv.increment('counter', 5, { idempotencyKey })),
            again: await attempt(() => ctx.kv.increment('counter', 5, { idempotencyKey })),
            changed: await attempt(() => ctx.kv.increment('counter', 7, { idempotencyKey })),
            setOnce: await attempt(() => ctx.kv.set('flag', 'a', { idempotencyKey: `${idempotencyKey}:flag` })),
            setAgain: await attempt(() => ctx.kv.set('flag', 'a', { idempotencyKey: `${idempotencyKey}:flag` })),
            setChanged: await attempt(() => ctx.kv.set('flag', 'b', { idempotencyKey: `${idempotencyKey}:flag` })),
            value: await attempt(() => ctx.kv.get('counter')),
            flag: await attempt(() => ctx.kv.get('flag')),
          };
          await ctx.kv.set(String(data.reportKey ?? 'idempotent-report'), report as JsonValue);
          return;
        }
        case 'oversized': {
          const report = {
            value: await attempt(() => ctx.kv.set('big', 'x'.repeat(Number(data.bytes)))),
            justOverKv: await attempt(() => ctx.kv.set('big', 'x'.repeat(64 * 1024))),
          };
          await ctx.kv.set('oversized-report', report as JsonValue);
          return;
        }
        default:
          await ctx.kv.increment('deliveries', 1, { idempotencyKey: event.id });
      }
    },
  },
});
