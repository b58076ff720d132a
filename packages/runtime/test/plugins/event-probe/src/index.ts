import { definePlugin, Type, type EventContext } from '@tongkit/sdk';

// Event handlers for the event tests: `event.data.case` picks the behaviour of the order.paid handler.
// The plugin also implements an extension point, to show that the two run in separate isolates.
// Results are reported as log lines (JSON) so the tests can read what the guest saw.

type Settings = { label: string };

let eventCalls = 0;
let extensionCalls = 0;
let saved: EventContext<Settings> | undefined;
let retained: number[] | undefined;

function report(ctx: EventContext<Settings>, value: unknown): void {
  ctx.log.info(JSON.stringify(value));
}

/** What the guest can see of a caught error: everything a leak would show up in. */
function inspect(error: unknown): Record<string, unknown> {
  const e = error as Record<string, unknown> & Error;
  return {
    isError: error instanceof Error,
    isTypeError: error instanceof TypeError,
    name: e.name,
    code: e.code,
    message: e.message,
    stack: e.stack,
    ownKeys: Object.getOwnPropertyNames(e).sort(),
    protoIsErrorPrototype: Object.getPrototypeOf(e) === Error.prototype || Object.getPrototypeOf(e) === TypeError.prototype,
    details: e.details,
    hint: e.hint,
    cause: e.cause,
  };
}

function failDeep(): never {
  throw new Error('the handler gave up'); // <- THROWS HERE
}

export default definePlugin({
  name: 'test-event-probe',
  version: '1.0.0',
  apiVersion: '2026-11',
  permissions: ['storage:kv'],
  settings: Type.Object({ label: Type.String({ default: 'probe' }) }),
  extensions: {
    'member.tier.compute': (input) => {
      extensionCalls += 1;
      const g = globalThis as Record<string, unknown>;
      g.extensionMarker = true;
      return {
        tierId: input.tiers[0]!.id,
        reason: JSON.stringify({ extensionCalls, eventCalls, eventMarker: typeof g.eventMarker, retained: typeof retained }),
      };
    },
  },
  events: {
    'points.changed': async (event, ctx) => {
      // Used for concurrency: an awaited host call first, then one with the event's own key.
      const key = String(event.data.key);
      await ctx.kv.get(`${key}:first`);
      await ctx.kv.increment(key, 1, { idempotencyKey: event.id });
      report(ctx, { done: key });
    },
    'order.paid': async (event, ctx) => {
      eventCalls += 1;
      const g = globalThis as Record<string, unknown>;
      g.eventMarker = true;
      switch (event.data.case) {
        case 'count': {
          const first = await ctx.kv.increment('counter', 1, { idempotencyKey: event.id });
          const second = await ctx.kv.increment('counter', 2);
          ctx.log.info('counted', { first, second });
          ctx.log.warn('careful');
          ctx.log.error('not really an error');
          report(ctx, {
            now: Date.now(),
            iso: new Date().toISOString(),
            merchantId: ctx.merchantId,
            settings: ctx.settings,
            ctxKeys: Object.keys(ctx).sort(),
            kvKeys: Object.keys(ctx.kv).sort(),
          });
          return;
        }
        case 'state': {
          report(ctx, { eventCalls, extensionCalls, extensionMarker: typeof g.extensionMarker });
          return;
        }
        case 'retain': {
          // ~24 MB kept in module state: more than the extension isolate's whole 16 MB heap.
          retained = new Array<number>(3_000_000).fill(1.5);
          report(ctx, { retained: retained.length });
          return;
        }
        case 'bridge': {
          // The only path to the host is ctx: the bridge globals are gone.
          report(ctx, {
            hostcall: typeof g.__tk_hostcall,
            settle: typeof g.__tk_settle,
            event: typeof g.__tk_event,
            invoke: typeof g.__tk_invoke,
            frozen: Object.isFrozen(ctx) && Object.isFrozen(ctx.kv),
          });
          return;
        }
        case 'get-caught': {
          try {
            await ctx.kv.get('secret');
            report(ctx, { caught: null });
          } catch (error) {
            report(ctx, { caught: inspect(error) });
          }
          return;
        }
        case 'get-rethrow': {
          await ctx.kv.get('secret');
          return;
        }
        case 'many-calls': {
          const codes: unknown[] = [];
          for (let i = 0; i < 60; i++) {
            try {
              await ctx.kv.get(`key-${i}`);
            } catch (error) {
              codes.push((error as { code?: unknown }).code);
            }
          }
          report(ctx, { codes });
          return;
        }
        case 'many-parallel': {
          const settled = await Promise.allSettled(Array.from({ length: 60 }, (_, i) => ctx.kv.get(`key-${i}`)));
          report(ctx, { rejected: settled.filter((s) => s.status === 'rejected').length });
          return;
        }
        case 'never':
          await new Promise<never>(() => {});
          return;
        case 'loop':
          for (;;) {
            // spins until the wall stop
          }
        case 'microtasks':
          for (;;) await null;
        case 'loop-after-call':
          await ctx.kv.get('before-looping');
          for (;;) {
            // spins in guest code resumed by the host's answer
          }
        case 'burn':
        case 'burn-after-call': {
          // `iterations` of busy work (CPU time without allocation), after a host call or not.
          if (event.data.case === 'burn-after-call') await ctx.kv.get('before-burning');
          let x = 0;
          for (let i = 0; i < Number(event.data.iterations); i++) x = (Math.imul(x, 31) + i) | 0;
          report(ctx, { burned: x });
          return;
        }
        case 'heap': {
          const items: number[][] = [];
          for (;;) items.push(new Array<number>(10_000).fill(items.length));
        }
        case 'keep-context':
          saved = ctx;
          report(ctx, { kept: true });
          return;
        case 'use-kept': {
          try {
            await saved!.kv.increment('stale', 1);
            report(ctx, { caught: null });
          } catch (error) {
            report(ctx, { caught: inspect(error) });
          }
          return;
        }
        case 'bad-args': {
          const cyclic: Record<string, unknown> = {};
          cyclic.self = cyclic;
          const outcomes: unknown[] = [];
          for (const value of [10n, cyclic]) {
            try {
              await ctx.kv.set('bad', value as never);
              outcomes.push(null);
            } catch (error) {
              outcomes.push(inspect(error));
            }
          }
          report(ctx, { outcomes });
          return;
        }
        case 'throw':
          await ctx.kv.get('before-throwing');
          failDeep();
        case 'log-flood':
          for (let i = 0; i < 10_000; i++) ctx.log.info(`log line number ${i}`);
          return;
        case 'forget-await':
          // A host call the handler does not wait for.
          void ctx.kv.set('forgotten', 1);
          return;
        default:
          report(ctx, { ok: true });
      }
    },
  },
});
