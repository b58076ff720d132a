import { definePlugin, type EventContext, type JsonValue } from '@tongkit/sdk';

// Red-team host-API abuse (test/redteam/host-api.test.ts): `event.data.case` picks the attack of the
// order.paid handler; `event.data.n` and `event.data.key` size and aim it. What the plugin saw is
// reported as JSON log lines.

let kept: EventContext<Record<string, unknown>> | undefined;

function report(ctx: EventContext<Record<string, unknown>>, value: unknown): void {
  ctx.log.info(JSON.stringify(value));
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : `no code (${String(error)})`;
}

/** Awaits `call` and returns its value or the code it failed with. */
async function attempt(call: () => Promise<unknown>): Promise<{ value?: unknown; code?: string }> {
  try {
    return { value: await call() };
  } catch (error) {
    return { code: codeOf(error) };
  }
}

export default definePlugin({
  name: 'redteam-host-api',
  version: '1.0.0',
  apiVersion: '2026-11',
  permissions: ['storage:kv'],
  events: {
    'order.paid': async (event, ctx) => {
      const n = Number(event.data.n ?? 0);
      const key = String(event.data.key ?? 'counter');
      switch (event.data.case) {
        case 'denied-caught': {
          // Swallow the refusal, then keep trying other methods.
          const codes = [];
          for (const call of [() => ctx.kv.get('a'), () => ctx.kv.set('a', 1), () => ctx.kv.increment('a', 1), () => ctx.kv.delete('a')]) {
            codes.push((await attempt(call)).code);
          }
          report(ctx, { codes });
          return;
        }
        case 'denied-uncaught':
          await ctx.kv.set('a', 1);
          return;
        case 'sequential-flood': {
          const codes: Record<string, number> = {};
          for (let i = 0; i < n; i++) {
            const code = (await attempt(() => ctx.kv.increment('flood', 1))).code ?? 'ok';
            codes[code] = (codes[code] ?? 0) + 1;
          }
          report(ctx, { codes });
          return;
        }
        case 'parallel-flood': {
          const settled = await Promise.allSettled(Array.from({ length: n }, () => ctx.kv.increment('flood', 1)));
          report(ctx, { fulfilled: settled.filter((s) => s.status === 'fulfilled').length, rejected: settled.filter((s) => s.status === 'rejected').length });
          return;
        }
        case 'sync-flood': {
          // Calls fired without awaiting, as fast as the guest can loop, then the handler returns.
          for (let i = 0; i < n; i++) void ctx.kv.get(`k${i}`).catch(() => undefined);
          return;
        }
        case 'oversized-caught': {
          const big = 'x'.repeat(n);
          const first = await attempt(() => ctx.kv.set('big', big));
          const second = await attempt(() => ctx.kv.set(`${key}-${big}`, 1));
          const nested = await attempt(() => ctx.kv.set('nested', { a: [big] }));
          const after = await attempt(() => ctx.kv.set('small', 'fits'));
          report(ctx, { first, second, nested, after });
          return;
        }
        case 'oversized-uncaught':
          await ctx.kv.set('big', 'x'.repeat(n));
          return;
        case 'oversized-flood': {
          // 200 oversized calls fired at once: none may pile up a copy of its arguments on the host.
          const big = 'y'.repeat(n);
          const settled = await Promise.allSettled(Array.from({ length: 200 }, () => ctx.kv.set('big', big)));
          const codes: Record<string, number> = {};
          for (const outcome of settled) {
            const code = outcome.status === 'fulfilled' ? 'ok' : codeOf(outcome.reason);
            codes[code] = (codes[code] ?? 0) + 1;
          }
          report(ctx, { codes });
          return;
        }
        case 'multibyte-args': {
          // Fewer characters than the byte limit, more bytes: each '€' is 3 bytes of UTF-8.
          report(ctx, { outcome: await attempt(() => ctx.kv.set('euro', '€'.repeat(n))) });
          return;
        }
        case 'unknown-api': {
          // ctx only has the APIs the runtime built; reach for others every way the guest can.
          const c = ctx as unknown as Record<string, Record<string, unknown> | undefined>;
          const outcomes: Record<string, string> = {};
          const tryIt = async (name: string, run: () => unknown) => {
            try {
              await run();
              outcomes[name] = 'called';
            } catch (error) {
              outcomes[name] = `${(error as Error).name}${(error as { code?: string }).code ? ` ${(error as { code?: string }).code}` : ''}`;
            }
          };
          // `wallet` is no namespace of the catalogue (points, members… are, each behind its permission).
          await tryIt('wallet.grant', () => (c.wallet as { grant: (a: unknown) => unknown }).grant({ memberId: 'm', points: 1 }));
          await tryIt('fetch', () => (c.fetch as unknown as (u: string) => unknown)('https://example.com'));
          await tryIt('kv.drop', () => (c.kv!.drop as () => unknown)());
          await tryIt('kv.__proto__', () => (c.kv!['__proto__'] as () => unknown)());
          await tryIt('add-namespace', () => {
            (c as Record<string, unknown>).wallet = { grant: () => 1 };
          });
          await tryIt('add-method', () => {
            (c.kv as Record<string, unknown>).drop = () => 1;
          });
          await tryIt('bridge-global', () => ((globalThis as Record<string, unknown>).__tk_hostcall as (...a: unknown[]) => unknown)(1, 1, 'wallet', 'grant', '[]'));
          report(ctx, { outcomes, keys: Object.keys(ctx).sort(), kvKeys: Object.keys(ctx.kv).sort() });
          // And once more, uncaught.
          await (c.wallet as { grant: (a: unknown) => Promise<unknown> }).grant({ memberId: 'm', points: 1 });
          return;
        }
        case 'other-tenant': {
          // Keys and options naming another install or merchant: the host scopes by its own install.
          const target = String(event.data.target);
          const probes = [key, `${target}:${key}`, `${target}/${key}`, `../${target}/${key}`, `install:${target}:${key}`, '__proto__', 'constructor'];
          const seen: Record<string, unknown> = {};
          for (const probe of probes) seen[probe] = await attempt(() => ctx.kv.get(probe));
          const written = await attempt(() => ctx.kv.set(`${target}:${key}`, 'written by another tenant', { installId: target, merchantId: target } as never));
          report(ctx, { seen, written, merchantId: ctx.merchantId });
          return;
        }
        case 'idempotent': {
          // The same idempotency key twice with the same payload, then with a different one.
          const idempotencyKey = String(event.data.idempotencyKey);
          const first = await attempt(() => ctx.kv.increment(key, 5, { idempotencyKey }));
          const again = await attempt(() => ctx.kv.increment(key, 5, { idempotencyKey }));
          const changed = await attempt(() => ctx.kv.increment(key, 500, { idempotencyKey }));
          const value = await attempt(() => ctx.kv.get(key));
          report(ctx, { first, again, changed, value });
          return;
        }
        case 'idempotent-conflict-uncaught':
          await ctx.kv.increment(key, 1, { idempotencyKey: String(event.data.idempotencyKey) });
          await ctx.kv.increment(key, 2, { idempotencyKey: String(event.data.idempotencyKey) });
          return;
        case 'keep-context':
          kept = ctx;
          report(ctx, { kept: true });
          return;
        case 'use-kept': {
          const outcome = await attempt(() => kept!.kv.set('stale', 'written through an old context'));
          report(ctx, { outcome });
          return;
        }
        case 'use-kept-flood': {
          // A kept context hammered without awaiting.
          for (let i = 0; i < n; i++) void kept!.kv.get(`stale-${i}`).catch(() => undefined);
          report(ctx, { fired: n });
          return;
        }
        case 'late-call': {
          // A call fired after the handler has returned, from a chain of microtasks it left behind.
          void (async () => {
            for (let i = 0; i < 1000; i++) await null;
            await ctx.kv.set('late', 'after return').catch(() => undefined);
          })();
          return;
        }
        case 'call-after-close': {
          // A call left in flight when the handler returns, whose answer starts another call.
          void ctx.kv
            .get('first')
            .then(() => ctx.kv.set('second', 'after the handler returned'))
            .catch(() => undefined);
          return;
        }
        case 'deep-args': {
          // Nesting within the size bound: deep enough to break a recursive parser or serialiser.
          let value: JsonValue = 'leaf';
          for (let i = 0; i < n; i++) value = [value];
          report(ctx, { outcome: await attempt(() => ctx.kv.set('deep', value)) });
          return;
        }
        default:
          report(ctx, { value: await ctx.kv.increment(key, 1) });
      }
    },
  },
});
