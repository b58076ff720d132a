import { definePlugin, Type, type EventContext, type ExtensionContext, type PointInput, type PointOutput } from '@tongkit/sdk';

// Red-team escape attempts (packages/runtime/test/redteam/escape.test.ts). The member ID (extension
// point) or `event.data.case` (event handler) picks the attack; what the guest found is reported as a
// JSON log line, so the test can assert on it.

type Settings = { secret: string };
type AnyFunctionConstructor = (...args: string[]) => (...args: unknown[]) => unknown;
type Loose = Record<PropertyKey, unknown>;

const NODE_GLOBALS = [
  'process', 'require', 'module', 'exports', 'Buffer', 'global', '__dirname', '__filename', 'setTimeout', 'setInterval',
  'setImmediate', 'queueMicrotask', 'fetch', 'performance', 'crypto', 'navigator', 'structuredClone', 'Temporal',
  'WebAssembly', 'SharedArrayBuffer', 'Atomics', 'WeakRef', 'FinalizationRegistry',
];
const IVM_MARKERS = /Reference|ExternalCopy|Isolate|Callback|Context|Script|Module|NativeModule/;
const IVM_METHODS = ['applySync', 'applyIgnored', 'getSync', 'setSync', 'derefInto', 'copyInto', 'copySync', 'release', 'compileScriptSync', 'createContextSync', 'evalSync'];

let stash: { secret: string; calls: number } | undefined;

function log(value: unknown): void {
  console.log(JSON.stringify(value));
}

function attempt(run: () => unknown): string {
  try {
    const value = run();
    return typeof value === 'string' ? `string:${value}` : typeof value;
  } catch (error) {
    return `threw ${error instanceof Error ? error.name : typeof error}`;
  }
}

function caughtError(): unknown {
  try {
    (null as unknown as { x: number }).x = 1;
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Every Function constructor reachable from a value: its constructor's constructor. */
function functionConstructorOf(value: unknown): AnyFunctionConstructor {
  return (Object(value) as { constructor: { constructor: AnyFunctionConstructor } }).constructor.constructor;
}

/** From each value: the global its Function constructor evaluates in, and any Node global found there. */
function constructorChains(values: Record<string, unknown>): Record<string, string> {
  const seen: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    try {
      const F = functionConstructorOf(value);
      const realm = F('return this')() as Loose;
      const found = NODE_GLOBALS.filter((g) => F(`return typeof ${g}`)() !== 'undefined');
      seen[name] = `${realm === globalThis ? 'guest-global' : 'OTHER-GLOBAL'}${found.length ? ` found ${found.join(',')}` : ''}`;
    } catch (error) {
      seen[name] = `threw ${(error as Error).name}`;
    }
  }
  return seen;
}

/** Walks everything reachable from globalThis (own properties and symbols, prototypes), without calling getters. */
function searchIsolatedVm(): { visited: number; suspects: string[]; bridge: string[] } {
  const suspects: string[] = [];
  const queue: Array<[unknown, string]> = [[globalThis, 'globalThis']];
  const seen = new Set<unknown>();
  while (queue.length > 0) {
    const [value, path] = queue.shift()!;
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) continue;
    seen.add(value);
    let ctorName = '';
    try {
      const proto = Object.getPrototypeOf(value) as Loose | null;
      const ctor = proto && Object.getOwnPropertyDescriptor(proto, 'constructor')?.value;
      ctorName = typeof ctor === 'function' ? String(ctor.name) : '';
      queue.push([proto, `${path}.__proto__`]);
    } catch {
      ctorName = '?';
    }
    if (IVM_MARKERS.test(ctorName) && !/^(AsyncDisposableStack|DisposableStack)$/.test(ctorName)) suspects.push(`${path} (${ctorName})`);
    for (const key of Reflect.ownKeys(value as object)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      const name = String(key);
      if (IVM_METHODS.includes(name)) suspects.push(`${path}.${name}`);
      if (!descriptor) continue;
      for (const [part, item] of [['', descriptor.value], [':get', descriptor.get], [':set', descriptor.set]] as const) {
        if (item !== undefined) queue.push([item, `${path}.${name}${part}`]);
      }
    }
  }
  // The bundle's own `var __tongkit_plugin` cannot be deleted from the global; it must at least be empty.
  const g = globalThis as Loose;
  const bridge = Object.getOwnPropertyNames(g).filter((name) => (name.startsWith('__tk') || name.startsWith('__tongkit')) && g[name] !== undefined);
  return { visited: seen.size, suspects, bridge };
}

/** What a clock-reading guest sees: every way to read the time that we know of. */
function clockReadings(): Record<string, unknown> {
  const utc = { timeZone: 'UTC', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' } as const;
  const dtf = new Intl.DateTimeFormat('en-US', utc);
  const g = globalThis as Loose;
  return {
    now: Date.now(),
    newDate: new Date().getTime(),
    dateCall: Date(),
    reflect: (Reflect.construct(Date, []) as Date).getTime(),
    subclass: new (class extends Date {})().getTime(),
    ctorViaProto: new ((new Date() as unknown as { constructor: DateConstructor }).constructor)().getTime(),
    intlFormat: dtf.format(),
    intlFormatUndefined: dtf.format(undefined),
    intlParts: dtf.formatToParts().map((p) => p.value).join(''),
    intlDefault: new Intl.DateTimeFormat('en-US', { timeZone: 'UTC' }).format(),
    localeString: new Date().toLocaleString('en-US', { timeZone: 'UTC' }),
    performance: typeof g.performance,
    temporal: typeof g.Temporal,
    hrtime: typeof (g.process as Loose | undefined)?.hrtime,
  };
}

/** The parts of an error a leak would show in. */
function inspectError(error: unknown): Record<string, unknown> {
  const e = error as Error & Loose;
  return {
    isError: error instanceof Error,
    protoIsGuestError: Object.getPrototypeOf(e) === Error.prototype,
    ownKeys: Reflect.ownKeys(e).map(String).sort(),
    code: e.code,
    message: e.message,
    stack: e.stack,
    processViaError: attempt(() => functionConstructorOf(e)('return process')()),
    realmViaError: functionConstructorOf(e)('return this')() === globalThis,
  };
}

/** [1, 2, 3] whose constructor's Symbol.species is a guest class that counts its uses (map, filter… use it). */
function speciesArray(): { list: number[]; uses: () => number } {
  let used = 0;
  const Evil = function Evil(this: Loose, length: number) {
    used += 1;
    this.length = length;
  } as unknown as Loose;
  Object.defineProperty(Evil, Symbol.species, {
    get() {
      used += 1;
      return Evil;
    },
  });
  const list = [1, 2, 3];
  Object.defineProperty(list, 'constructor', { value: Evil, enumerable: false });
  return { list, uses: () => used };
}

function report(ctx: EventContext<Settings>, value: unknown): void {
  ctx.log.info(JSON.stringify(value));
}

/** The extension handler: a named, module-level function (the `caller` attack reads its caller). */
function memberTierCompute(input: PointInput<'member.tier.compute'>, ctx: ExtensionContext<Settings>): PointOutput<'member.tier.compute'> {
  const tierId = input.tiers[0]!.id;
  const g = globalThis as Loose;
  switch (input.member.id) {
    case 'ctor-chain': {
      const seen = constructorChains({
        objectLiteral: {},
        array: [],
        string: 'text',
        number: 1,
        symbol: Symbol('s'),
        input,
        context: ctx,
        settings: ctx.settings,
        consoleLog: console.log,
        date: Date,
        mathRandom: Math.random,
        thrownError: caughtError(),
        promise: Promise.resolve(1),
        asyncFunction: async () => undefined,
        generator: function* gen() {
          yield 1;
        },
        json: JSON,
        intl: new Intl.NumberFormat('zh-CN'),
      });
      const sloppy = Function('return this')() as Loose;
      log({
        seen,
        processByFunction: attempt(() => Function('return process')()),
        requireByFunction: attempt(() => Function('return require("node:fs")')()),
        indirectEval: (0, eval)('typeof process + "," + typeof require + "," + typeof globalThis.process'),
        nodeGlobals: NODE_GLOBALS.filter((name) => name in sloppy),
      });
      return { tierId, reason: 'probed constructors' };
    }
    case 'prepare-stack': {
      const sites: Array<Record<string, unknown>> = [];
      Error.stackTraceLimit = 100;
      (Error as unknown as Loose).prepareStackTrace = (_error: Error, callSites: NodeJS.CallSite[]) => {
        for (const site of callSites) {
          let fn: unknown;
          let self: unknown;
          try {
            fn = site.getFunction();
            self = site.getThis();
          } catch {
            fn = 'threw';
          }
          sites.push({
            file: site.getFileName() ?? null,
            fn: typeof fn,
            fnIsPlugin: typeof fn === 'function' && String(fn).length < 100_000 && !String(fn).includes('[native code]'),
            self: self === undefined ? 'undefined' : self === globalThis ? 'guest-global' : typeof self,
            selfRealm: self !== undefined && self !== null && typeof self === 'object' ? functionConstructorOf(self)('return this')() === globalThis : null,
            native: site.isNative(),
            evalOrigin: site.getEvalOrigin() ?? null,
          });
        }
        return 'rewritten stack';
      };
      // Collect callsites from a nested call, from inside a getter the bridge runs (the prelude's
      // frames are on that stack), and from Error.captureStackTrace.
      const nested = () => new Error('nested').stack;
      const direct = nested();
      const holder: Loose = {};
      Error.captureStackTrace(holder);
      void holder.stack;
      const output = {
        tierId,
        get reason() {
          void new Error('inside the bridge').stack;
          (Error as unknown as Loose).prepareStackTrace = undefined;
          log({ sites, direct });
          return 'probed callsites';
        },
      };
      return output;
    }
    case 'prepare-stack-throw': {
      // A prepareStackTrace that returns an object whose toString throws, then a thrown error: the bridge
      // reads the stack in the guest, under its limits; the host gets strings.
      (Error as unknown as Loose).prepareStackTrace = () => ({
        toString() {
          throw new Error('no stack for you');
        },
      });
      try {
        throw new TypeError('thrown with a hostile stack');
      } finally {
        queueMicrotaskSafe(() => ((Error as unknown as Loose).prepareStackTrace = undefined));
      }
    }
    case 'caller': {
      // The handler was called by the bridge: its caller (and a getter's, called by JSON.stringify) must
      // not hand out a bridge function.
      const fromHandler = attempt(() => memberTierCompute.caller);
      const output: Loose = { tierId };
      Object.defineProperty(output, 'reason', {
        enumerable: true,
        get: function reasonGetter() {
          const fromGetter = attempt(() => (reasonGetter as unknown as { caller: unknown }).caller);
          log({ fromHandler, fromGetter });
          return 'probed callers';
        },
      });
      return output as never;
    }
    case 'species-output': {
      const { list, uses } = speciesArray();
      log({ speciesUsed: uses() });
      return list as never;
    }
    case 'getters': {
      const output = {
        tierId,
        get reason() {
          log({ stack: new Error('getter').stack, now: Date.now() });
          return 'from a getter';
        },
      };
      return output;
    }
    case 'tojson-loop': {
      return {
        tierId,
        reason: 'never serialised',
        toJSON() {
          for (;;) {
            // spins in the guest until the wall stop
          }
        },
      } as never;
    }
    case 'inspect-hooks': {
      const custom = Symbol.for('nodejs.util.inspect.custom');
      const hook = () => {
        throw new Error('inspect hook ran');
      };
      const logged = { note: 'logged', [custom]: hook, inspect: hook };
      console.log(logged);
      console.log('text', logged);
      const output: Loose = { tierId, reason: 'inspect me', [custom]: hook };
      Object.defineProperty(output, 'hidden', { value: hook, enumerable: false });
      return output as never;
    }
    case 'proto-output':
      return JSON.parse(`{"tierId":${JSON.stringify(tierId)},"reason":"proto","__proto__":{"polluted":"yes"}}`);
    case 'constructor-output':
      return JSON.parse(`{"tierId":${JSON.stringify(tierId)},"reason":"proto","constructor":{"prototype":{"polluted":"yes"}}}`);
    case 'pollute': {
      // Pollutes this realm as much as it can, then answers normally.
      const op = Object.prototype as Loose;
      op.polluted = 'yes';
      (Array.prototype as unknown as Loose).polluted = 'yes';
      Object.defineProperty(Array, Symbol.species, { get: () => Object, configurable: true });
      JSON.stringify = () => '"hijacked"';
      JSON.parse = () => ({ hijacked: true });
      Date.now = () => 0;
      Math.random = () => 0.5;
      g.polluted = 'yes';
      op.then = undefined;
      return { tierId, reason: 'polluted my realm' };
    }
    case 'forge-logs':
    case 'forge-levels': {
      // Every array the bridge serialises (its log list) becomes 64 forged 900-byte lines: over the log cap,
      // and (forge-levels) of a level the host does not know.
      const level = input.member.id === 'forge-levels' ? 'host' : 'info';
      (Array.prototype as unknown as Loose).toJSON = function () {
        return Array.from({ length: 64 }, (_, i) => ({ level, message: `forged ${i} ${'x'.repeat(900)}` }));
      };
      console.log('a real line');
      return { tierId, reason: 'forged my logs' };
    }
    case 'forge-unparsable': {
      // The bridge's log list serialises to nothing: its report is no longer JSON at all.
      (Array.prototype as unknown as Loose).toJSON = () => undefined;
      return { tierId, reason: 'broke the report' };
    }
    case 'forge-everything': {
      (Object.prototype as Loose).toJSON = () => 'pwned';
      return { tierId, reason: 'forged the envelope' };
    }
    case 'search-ivm': {
      log(searchIsolatedVm());
      return { tierId, reason: 'searched' };
    }
    case 'clock':
      log(clockReadings());
      return { tierId, reason: 'read the clock' };
    case 'stash':
      stash = { secret: ctx.settings.secret, calls: (stash?.calls ?? 0) + 1 };
      g.stashedSecret = ctx.settings.secret;
      return { tierId, reason: 'stashed' };
    case 'peek':
      log({
        stash: stash ?? null,
        globalStash: g.stashedSecret ?? null,
        tenantSecret: g.tenantSecret ?? null,
        globals: Object.keys(g).filter((k) => !['console', 'Date'].includes(k) && g[k] !== undefined),
      });
      return { tierId, reason: 'peeked' };
    case 'removed-globals': {
      const tries: Record<string, string> = {};
      for (const name of ['WebAssembly', 'SharedArrayBuffer', 'Atomics', 'WeakRef', 'FinalizationRegistry']) {
        tries[name] = attempt(() => Function(`return typeof ${name}`)());
      }
      tries.wasmByName = attempt(() => (globalThis as Loose)['Web' + 'Assembly']);
      tries.sharedMemory = attempt(() => new (Function('return WebAssembly')() as { Memory: new (o: unknown) => unknown }).Memory({ initial: 1, maximum: 1, shared: true }));
      log(tries);
      return { tierId, reason: 'looked for removed globals' };
    }
    default:
      return { tierId, reason: 'attacker idle' };
  }
}

export default definePlugin({
  name: 'redteam-escape',
  version: '1.0.0',
  apiVersion: '2026-11',
  permissions: ['member:read', 'storage:kv'],
  settings: Type.Object({ secret: Type.String({ default: '' }) }),
  extensions: {
    'member.tier.compute': memberTierCompute,
  },
  events: {
    'order.paid': async (event, ctx) => {
      const data = event.data as Loose;
      switch (data.case) {
        case 'host-error': {
          try {
            await ctx.kv.get('boom');
            report(ctx, { caught: null });
          } catch (error) {
            report(ctx, { caught: inspectError(error) });
          }
          return;
        }
        case 'ctor-chain': {
          let rejection: unknown;
          try {
            await ctx.kv.get('boom');
          } catch (error) {
            rejection = error;
          }
          const answer = await ctx.kv.get('object');
          report(ctx, {
            seen: constructorChains({
              event,
              context: ctx,
              kv: ctx.kv,
              kvGet: ctx.kv.get,
              log: ctx.log.info,
              settings: ctx.settings,
              rejection,
              answer,
              pending: ctx.kv.get('object'),
            }),
          });
          return;
        }
        case 'dynamic-import': {
          const outcomes: Record<string, string> = {};
          for (const specifier of ['node:fs', 'fs', 'isolated-vm', 'data:text/javascript,export default 1', '/etc/passwd']) {
            try {
              await (Function('s', 'return import(s)') as (s: string) => Promise<unknown>)(specifier);
              outcomes[specifier] = 'IMPORTED';
            } catch (error) {
              outcomes[specifier] = `rejected ${(error as Error).name}`;
            }
          }
          outcomes.process = attempt(() => Function('return process')());
          report(ctx, outcomes);
          return;
        }
        case 'proxy-value': {
          let traps = 0;
          const target = { points: 10, tags: ['vip'] };
          const proxy = new Proxy(target, {
            get(t, key, receiver) {
              traps += 1;
              return Reflect.get(t, key, receiver);
            },
            ownKeys(t) {
              traps += 1;
              return Reflect.ownKeys(t);
            },
            getOwnPropertyDescriptor(t, key) {
              traps += 1;
              return Reflect.getOwnPropertyDescriptor(t, key);
            },
          });
          await ctx.kv.set('proxied', proxy as never);
          const trapsAfterSet = traps;
          // The host reads and answers the stored value: no trap may run for that.
          const back = await ctx.kv.get('proxied');
          const { proxy: revocable, revoke } = Proxy.revocable({ a: 1 }, {});
          revoke();
          let revoked = 'not rejected';
          try {
            await ctx.kv.set('revoked', revocable as never);
          } catch (error) {
            revoked = `${(error as Error).name}: ${(error as Error).message}`;
          }
          report(ctx, { trapsAfterSet, trapsAfterGet: traps, back, revoked });
          return;
        }
        case 'species-args': {
          const { list, uses } = speciesArray();
          (list as unknown as Loose).extra = 'own property of an array';
          await ctx.kv.set('species', list as never);
          report(ctx, { speciesUsed: uses() });
          return;
        }
        case 'proto-kv': {
          const value = JSON.parse('{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"plain":1}');
          await ctx.kv.set('proto', value);
          await ctx.kv.set('__proto__', value);
          const back = (await ctx.kv.get('host-proto')) as Loose;
          report(ctx, {
            backOwnProto: Object.hasOwn(back, '__proto__'),
            backProtoIsObjectPrototype: Object.getPrototypeOf(back) === Object.prototype,
            guestPolluted: ({} as Loose).polluted ?? null,
          });
          return;
        }
        case 'mutate-answer': {
          const answer = (await ctx.kv.get('shared')) as { list: number[] };
          answer.list.push(666);
          (answer as Loose).added = true;
          report(ctx, { mutated: answer });
          return;
        }
        case 'search-ivm':
          report(ctx, searchIsolatedVm());
          return;
        case 'clock':
          report(ctx, clockReadings());
          return;
        default:
          report(ctx, { idle: true });
      }
    },
  },
});

/** Runs `fn` after the current job if the realm has a microtask queue (it does: promises). */
function queueMicrotaskSafe(fn: () => void): void {
  void Promise.resolve().then(fn);
}
