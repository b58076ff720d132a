// Event handlers (DESIGN "The plugin model" → event handlers, "Runtime (sandbox) rules"): asynchronous
// handlers in their own isolate (5 s wall, 64 MB, 50 host calls, 4 KB logs) that act only through `ctx`;
// every host call is checked (permission, cap, live invocation) before the host sees it, and what comes
// back from the host is a sanitized copy. A fake in-memory EventHost stands in for the host.
// Fixture: plugins/event-probe (`event.data.case` picks the behaviour of its order.paid handler).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_HANDLER_BUDGET, TkError, type EventName, type Manifest, type Permission, type TongkitEvent } from '@tongkit/sdk';
import { createRuntime, type EventHost, type EventResult, type LoadedPlugin, type PluginBundle, type Runtime } from '@tongkit/runtime';
import { answerFromMemoryKv, buildFixture, expectOutput, pluginDir, rejectionOf, tierInput } from './helpers.js';

const OCCURRED_AT = '2026-11-25T08:00:00.000Z';
const FAST_WALL_MS = 300;

interface HostCall {
  namespace: string;
  method: string;
  args: unknown[];
}

/** A test's answer to a host call; `kv` performs the default in-memory KV behaviour. */
type Answer = (call: HostCall, kv: () => unknown) => unknown;

/** An in-memory host: KV storage in a Map, every call recorded, answers overridable per test. */
class FakeHost implements EventHost {
  readonly calls: HostCall[] = [];
  readonly kv = new Map<string, unknown>();
  readonly merchantId: string;
  permissions: Permission[];
  /** Replaces the KV behaviour (to throw, hang, delay or return odd values). */
  answer: Answer | undefined;
  /** Shared across hosts to see the global order of calls. */
  order: string[] | undefined;

  constructor(options: { permissions?: Permission[]; merchantId?: string; answer?: Answer; order?: string[] } = {}) {
    this.permissions = options.permissions ?? ['storage:kv'];
    this.merchantId = options.merchantId ?? 'merchant-1';
    this.answer = options.answer;
    this.order = options.order;
  }

  async call(namespace: string, method: string, args: unknown[]): Promise<unknown> {
    const call = { namespace, method, args };
    this.calls.push(call);
    this.order?.push(`${method}:${String(args[0])}`);
    if (this.answer) return this.answer(call, () => this.defaultAnswer(call));
    return this.defaultAnswer(call);
  }

  private defaultAnswer(call: HostCall): unknown {
    return answerFromMemoryKv(this.kv, call);
  }
}

let nextEventId = 0;
function eventOf(type: EventName, data: Record<string, unknown>): TongkitEvent {
  nextEventId += 1;
  return { id: `evt-${nextEventId}`, type, occurredAt: OCCURRED_AT, data };
}
const orderPaid = (kase: string) => eventOf('order.paid', { case: kase });

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function expectEventOk(result: EventResult): void {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`);
}

function expectEventFailure(result: EventResult, code: string): TkError {
  if (result.ok) throw new Error(`expected ${code}, but the handler succeeded; logs: ${JSON.stringify(result.logs)}`);
  expect(result.error.code, result.error.message).toBe(code);
  return result.error;
}

/** The JSON log lines the fixture reports what it saw with (the last one by default). */
function reported<T = Record<string, unknown>>(result: EventResult, index = -1): T {
  const lines = result.logs.filter((line) => line.message.startsWith('{'));
  const line = lines.at(index);
  if (!line) throw new Error(`no reported line; logs: ${JSON.stringify(result.logs)}`);
  return JSON.parse(line.message) as T;
}

const runtimes: Runtime[] = [];
let bundle: PluginBundle & { sourceMap: string };

/** A new runtime (disposed in afterAll) with the probe plugin loaded. */
async function load(options: Parameters<typeof createRuntime>[0] = {}): Promise<LoadedPlugin> {
  const runtime = createRuntime(options);
  runtimes.push(runtime);
  return runtime.load(bundle);
}

let plugin: LoadedPlugin;
let fast: LoadedPlugin;

beforeAll(async () => {
  bundle = (await buildFixture('event-probe')).bundle;
  plugin = await load();
  fast = await load({ eventLimits: { wallMs: FAST_WALL_MS } });
});

afterAll(async () => {
  await Promise.all(runtimes.map((runtime) => runtime.dispose()));
});

describe('a handler acting through ctx', () => {
  it('increments a KV counter through the host, counts its host calls, captures ctx.log and sees Date.now() = occurredAt', async () => {
    const own = await load();
    const host = new FakeHost();
    const event = orderPaid('count');
    const result = await own.handleEvent(event, {}, host);
    expectEventOk(result);

    expect(host.calls).toEqual([
      { namespace: 'kv', method: 'increment', args: ['counter', 1, { idempotencyKey: event.id }] },
      { namespace: 'kv', method: 'increment', args: ['counter', 2] },
    ]);
    expect(host.kv.get('counter')).toBe(3);
    expect(result.measurements.hostCalls).toBe(2);
    expect(result.measurements.inputBytes).toBe(Buffer.byteLength(JSON.stringify(event)));
    expect(result.measurements.wallMicros).toBeGreaterThan(0);
    expect(result.measurements.heapUsedBytes).toBeGreaterThan(0);
    expect(result.measurements.isolate).toBe('cold');

    expect(result.logs.slice(0, 3)).toEqual([
      { level: 'info', message: 'counted {"first":1,"second":3}' },
      { level: 'warn', message: 'careful' },
      { level: 'error', message: 'not really an error' },
    ]);
    expect(result.logsTruncated).toBe(false);
    const seen = reported(result);
    expect(seen.now).toBe(Date.parse(OCCURRED_AT));
    expect(seen.iso).toBe(OCCURRED_AT);
    expect(seen.merchantId).toBe('merchant-1');
    expect(seen.settings).toEqual({ label: 'probe' });
    expect(seen.ctxKeys).toEqual(['appointments', 'guides', 'inventory', 'kv', 'log', 'members', 'merchantId', 'orders', 'points', 'service', 'settings', 'storedValue', 'vouchers']);
    expect(seen.kvKeys).toEqual(['delete', 'get', 'increment', 'set']);

    const again = await own.handleEvent(orderPaid('count'), { label: 'store 12' }, host);
    expectEventOk(again);
    expect(again.measurements.isolate).toBe('warm');
    expect(reported(again).settings).toEqual({ label: 'store 12' });
    expect(host.kv.get('counter')).toBe(6);
  });

  it('refuses invalid settings with TK_VALIDATION before the handler runs', async () => {
    const host = new FakeHost();
    const result = await plugin.handleEvent(orderPaid('count'), { label: 5 }, host);
    expectEventFailure(result, 'TK_VALIDATION');
    expect(host.calls).toEqual([]);
  });

  it('caps logs at 4 KB per invocation and flags them as truncated', async () => {
    const result = await plugin.handleEvent(orderPaid('log-flood'), {}, new FakeHost());
    expectEventOk(result);
    expect(result.logsTruncated).toBe(true);
    expect(result.logs[0]).toEqual({ level: 'info', message: 'log line number 0' });
    const bytes = result.logs.reduce((sum, line) => sum + Buffer.byteLength(line.message) + 1, 0);
    expect(bytes).toBeLessThanOrEqual(EVENT_HANDLER_BUDGET.logBytes);
    expect(bytes).toBeGreaterThan(EVENT_HANDLER_BUDGET.logBytes - 64);
  });

  it('gives the plugin no path to the host but ctx: the bridge globals are gone and ctx is frozen', async () => {
    const result = await plugin.handleEvent(orderPaid('bridge'), {}, new FakeHost());
    expectEventOk(result);
    expect(reported(result)).toEqual({ hostcall: 'undefined', settle: 'undefined', event: 'undefined', invoke: 'undefined', frozen: true });
  });
});

describe('the event isolate', () => {
  it('is separate from the extension-point isolate: module state of one never shows in the other', async () => {
    const own = await load();
    for (let i = 1; i <= 3; i++) {
      const output = expectOutput(await own.invoke('member.tier.compute', await tierInput('m1')));
      expect(JSON.parse(output.reason)).toMatchObject({ extensionCalls: i, eventCalls: 0 });
    }

    const first = await own.handleEvent(orderPaid('state'), {}, new FakeHost());
    expectEventOk(first);
    expect(first.measurements.isolate).toBe('cold');
    expect(reported(first)).toEqual({ eventCalls: 1, extensionCalls: 0, extensionMarker: 'undefined' });

    const second = await own.handleEvent(orderPaid('state'), {}, new FakeHost());
    expect(second.measurements.isolate).toBe('warm');
    expect(reported(second)).toEqual({ eventCalls: 2, extensionCalls: 0, extensionMarker: 'undefined' });

    const after = await own.invoke('member.tier.compute', await tierInput('m1'));
    expect(after.measurements.isolate).toBe('warm');
    expect(JSON.parse(expectOutput(after).reason)).toEqual({ extensionCalls: 4, eventCalls: 0, eventMarker: 'undefined', retained: 'undefined' });
  });

  it('has its own heap: 24 MB kept by a handler neither fails nor shows in the 16 MB extension isolate', async () => {
    const own = await load();
    const retained = await own.handleEvent(orderPaid('retain'), {}, new FakeHost());
    expectEventOk(retained);
    expect(retained.measurements.heapUsedBytes).toBeGreaterThan(24_000_000);

    const extension = await own.invoke('member.tier.compute', await tierInput('m1'));
    expect(JSON.parse(expectOutput(extension).reason)).toMatchObject({ retained: 'undefined' });
    expect(extension.measurements.heapUsedBytes).toBeLessThan(16 * 1024 * 1024);
    expect(extension.measurements.heapLimitBytes).toBe(16 * 1024 * 1024);
  });
});

describe('permissions', () => {
  it('fails the invocation with TK_PERMISSION_DENIED even when the plugin catches it, and never calls the host', async () => {
    const host = new FakeHost({ permissions: [] });
    const result = await plugin.handleEvent(orderPaid('get-caught'), {}, host);
    const error = expectEventFailure(result, 'TK_PERMISSION_DENIED');
    expect(error.details).toMatchObject({ permission: 'storage:kv', namespace: 'kv', method: 'get' });
    expect(error.message).toContain('storage:kv');
    // The plugin saw the refusal (and swallowed it) …
    expect(reported<{ caught: { code: string } }>(result).caught.code).toBe('TK_PERMISSION_DENIED');
    // … and the host saw nothing.
    expect(host.calls).toEqual([]);
  });

  it('reports TK_PERMISSION_DENIED, not a plugin error, when the plugin lets it propagate', async () => {
    const host = new FakeHost({ permissions: ['member:read'] });
    const result = await plugin.handleEvent(orderPaid('get-rethrow'), {}, host);
    expectEventFailure(result, 'TK_PERMISSION_DENIED');
    expect(host.calls).toEqual([]);
  });
});

describe('host call cap', () => {
  it('fails more than 50 sequential host calls with TK_HOST_CALL_LIMIT even when caught; the host saw 50', async () => {
    const host = new FakeHost();
    const result = await plugin.handleEvent(orderPaid('many-calls'), {}, host);
    const error = expectEventFailure(result, 'TK_HOST_CALL_LIMIT');
    expect(error.details).toMatchObject({ limit: EVENT_HANDLER_BUDGET.hostCalls });
    expect(host.calls).toHaveLength(EVENT_HANDLER_BUDGET.hostCalls);
    expect(host.calls.at(-1)?.args[0]).toBe('key-49');
    const { codes } = reported<{ codes: string[] }>(result);
    expect(codes).toEqual(Array.from({ length: 10 }, () => 'TK_HOST_CALL_LIMIT'));
  });

  it('fails 60 parallel host calls with TK_HOST_CALL_LIMIT; the host saw at most 50', async () => {
    const host = new FakeHost({ answer: async (_call, kv) => { await delay(2); return kv(); } });
    const result = await plugin.handleEvent(orderPaid('many-parallel'), {}, host);
    expectEventFailure(result, 'TK_HOST_CALL_LIMIT');
    expect(host.calls.length).toBeLessThanOrEqual(EVENT_HANDLER_BUDGET.hostCalls);
    expect(reported<{ rejected: number }>(result).rejected).toBeGreaterThanOrEqual(10);
  });
});

describe('wall clock and memory', () => {
  it.each([
    ['a handler that never resolves', 'never'],
    ['a synchronous infinite loop', 'loop'],
    ['a microtask flood (for (;;) await null)', 'microtasks'],
    ['an infinite loop resumed by a host answer', 'loop-after-call'],
  ])('stops %s with TK_TIMEOUT after the wall limit; the next event runs on a new isolate', async (_what, kase) => {
    const started = Date.now();
    const result = await fast.handleEvent(orderPaid(kase), {}, new FakeHost());
    const elapsed = Date.now() - started;
    const error = expectEventFailure(result, 'TK_TIMEOUT');
    expect(error.fault).toBe('plugin');
    expect(error.details).toMatchObject({ wallLimitMs: FAST_WALL_MS });
    expect(elapsed).toBeGreaterThanOrEqual(FAST_WALL_MS - 10);
    expect(elapsed).toBeLessThan(FAST_WALL_MS + 2_000);
    expect(result.measurements.wallMicros).toBeGreaterThanOrEqual((FAST_WALL_MS - 10) * 1000);

    const host = new FakeHost();
    const next = await fast.handleEvent(orderPaid('count'), {}, host);
    expectEventOk(next);
    expect(next.measurements.isolate).toBe('cold');
    expect(host.kv.get('counter')).toBe(3);
  });

  it('stops a handler waiting on a host call that never answers with TK_TIMEOUT', async () => {
    const hanging = new FakeHost({ answer: () => new Promise(() => {}) });
    const result = await fast.handleEvent(orderPaid('count'), {}, hanging);
    expectEventFailure(result, 'TK_TIMEOUT');
    expect(hanging.calls).toHaveLength(1);
    const next = await fast.handleEvent(orderPaid('count'), {}, new FakeHost());
    expectEventOk(next);
    expect(next.measurements.isolate).toBe('cold');
  });

  it('bounds guest work resumed by a host answer by the invocation wall clock, not a shorter fixed slice', async () => {
    // ~1.6 s of CPU after a host call (more than the old fixed 1 s slice), within a 4 s wall budget.
    const roomy = await load({ eventLimits: { wallMs: 4_000 } });
    const sample = 20_000_000;
    const calibration = await roomy.handleEvent(eventOf('order.paid', { case: 'burn', iterations: sample }), {}, new FakeHost());
    expectEventOk(calibration);
    const iterations = Math.ceil((sample * 1_600_000) / Math.max(1, calibration.measurements.cpuMicros));

    const host = new FakeHost();
    const result = await roomy.handleEvent(eventOf('order.paid', { case: 'burn-after-call', iterations }), {}, host);
    expectEventOk(result);
    expect(host.calls).toHaveLength(1);
    expect(result.measurements.cpuMicros).toBeGreaterThan(1_050_000);
    expect(result.measurements.wallMicros).toBeLessThan(4_000_000);
  }, 30_000);

  it('stops a heap bomb (a growing array) with TK_MEMORY_LIMIT; the next event runs on a new isolate', async () => {
    const result = await plugin.handleEvent(orderPaid('heap'), {}, new FakeHost());
    const error = expectEventFailure(result, 'TK_MEMORY_LIMIT');
    expect(error.fault).toBe('plugin');

    const next = await plugin.handleEvent(orderPaid('count'), {}, new FakeHost());
    expectEventOk(next);
    expect(next.measurements.isolate).toBe('cold');
  }, 60_000);
});

describe('host errors reaching the plugin', () => {
  it('passes a TkError from the host as an Error with its code and message, and nothing else of it', async () => {
    const hostError = new TkError('TK_CONFLICT', 'idempotency key evt-x was used with a different payload', {
      details: { hostSecret: 'row 42 of table kv_entries' },
      hint: 'host-side hint',
      path: '/host/path',
      cause: new Error('host cause'),
    });
    const host = new FakeHost({
      answer: () => {
        throw hostError;
      },
    });
    const result = await plugin.handleEvent(orderPaid('get-caught'), {}, host);
    expectEventOk(result);
    expect(host.calls).toHaveLength(1);
    const { caught } = reported<{ caught: Record<string, unknown> }>(result);
    expect(caught).toMatchObject({
      isError: true,
      protoIsErrorPrototype: true,
      name: 'Error',
      code: 'TK_CONFLICT',
      message: 'idempotency key evt-x was used with a different payload',
      ownKeys: ['code', 'message', 'stack'],
    });
    expect(caught).not.toHaveProperty('details');
    expect(caught).not.toHaveProperty('hint');
    expect(caught).not.toHaveProperty('cause');
    // The guest's own stack, not the host's: no host file, frame or secret.
    const stack = String(caught.stack);
    expect(stack).not.toContain('events.test');
    expect(stack).not.toContain('node_modules');
    expect(stack).not.toContain('TkError');
    expect(stack).not.toContain(String(hostError.stack).split('\n')[1]?.trim());
    expect(JSON.stringify(result)).not.toContain('row 42');
  });

  it('turns any other host failure into TK_INTERNAL with a generic message', async () => {
    const host = new FakeHost({
      answer: () => {
        throw new Error('secret internal detail');
      },
    });
    const result = await plugin.handleEvent(orderPaid('get-caught'), {}, host);
    expectEventOk(result);
    const { caught } = reported<{ caught: Record<string, unknown> }>(result);
    expect(caught).toMatchObject({ isError: true, code: 'TK_INTERNAL', ownKeys: ['code', 'message', 'stack'] });
    expect(String(caught.message)).toMatch(/host call failed/);
    expect(JSON.stringify(result)).not.toContain('secret internal detail');
  });

  it('reports a host error the plugin lets through as TK_PLUGIN_ERROR naming the host code, without host details', async () => {
    const host = new FakeHost({
      answer: () => {
        throw new Error('secret internal detail');
      },
    });
    const result = await plugin.handleEvent(orderPaid('get-rethrow'), {}, host);
    const error = expectEventFailure(result, 'TK_PLUGIN_ERROR');
    expect(error.details).toMatchObject({ hostErrorCode: 'TK_INTERNAL' });
    expect(JSON.stringify({ message: error.message, details: error.details, logs: result.logs })).not.toContain('secret internal detail');
  });

  it('turns a host answer that is not JSON into TK_INTERNAL instead of leaving the plugin waiting', async () => {
    const host = new FakeHost({ answer: () => 10n });
    const result = await fast.handleEvent(orderPaid('get-caught'), {}, host);
    expectEventOk(result);
    const { caught } = reported<{ caught: Record<string, unknown> }>(result);
    expect(caught).toMatchObject({ code: 'TK_INTERNAL' });
  });
});

describe('host calls the handler does not await', () => {
  it('finish before the invocation reports, so the host never sees a write after the result', async () => {
    let completed = 0;
    const host = new FakeHost({
      answer: async (_call, kv) => {
        await delay(50);
        completed += 1;
        return kv();
      },
    });
    const result = await plugin.handleEvent(orderPaid('forget-await'), {}, host);
    expectEventOk(result);
    expect(host.calls).toEqual([{ namespace: 'kv', method: 'set', args: ['forgotten', 1] }]);
    expect(completed).toBe(1);
    expect(host.kv.get('forgotten')).toBe(1);
    expect(result.measurements.hostCalls).toBe(1);
  });
});

describe('contexts outlive nothing', () => {
  it('refuses a context kept in module state and used by a later invocation, without calling the host', async () => {
    const own = await load();
    const keeper = new FakeHost();
    expectEventOk(await own.handleEvent(orderPaid('keep-context'), {}, keeper));

    const later = new FakeHost();
    const result = await own.handleEvent(orderPaid('use-kept'), {}, later);
    const { caught } = reported<{ caught: Record<string, unknown> | null }>(result);
    expect(caught).toMatchObject({ code: 'TK_PERMISSION_DENIED' });
    expect(String(caught?.message)).toMatch(/invocation that has ended/);
    expect(later.calls).toEqual([]);
    expect(keeper.calls).toEqual([]);
    expect(result.measurements.hostCalls).toBe(0);
  });
});

describe('host call arguments', () => {
  it('rejects arguments that are not JSON (a BigInt, a cycle) inside the guest with a TypeError; the host is not called', async () => {
    const host = new FakeHost();
    const result = await plugin.handleEvent(orderPaid('bad-args'), {}, host);
    expectEventOk(result);
    const { outcomes } = reported<{ outcomes: Array<Record<string, unknown> | null> }>(result);
    expect(outcomes).toHaveLength(2);
    expect(outcomes[0]).toMatchObject({ isTypeError: true, name: 'TypeError' });
    expect(String(outcomes[0]?.message)).toMatch(/host call arguments must be JSON.*BigInt/);
    expect(outcomes[1]).toMatchObject({ isTypeError: true, name: 'TypeError' });
    expect(String(outcomes[1]?.message)).toMatch(/host call arguments must be JSON.*circular/i);
    expect(host.calls).toEqual([]);
    expect(result.measurements.hostCalls).toBe(0);
  });
});

describe('routing and plugin errors', () => {
  it('answers an event type the plugin does not handle with TK_NOT_FOUND, without running it', async () => {
    const host = new FakeHost();
    const result = await plugin.handleEvent(eventOf('member.registered', { case: 'count' }), {}, host);
    const error = expectEventFailure(result, 'TK_NOT_FOUND');
    expect(error.message).toContain('member.registered');
    expect(host.calls).toEqual([]);
  });

  it('reports a throwing handler as TK_PLUGIN_ERROR with its stack mapped to src/index.ts', async () => {
    const source = await readFile(join(pluginDir('event-probe'), 'src/index.ts'), 'utf8');
    const throwLine = source.split('\n').findIndex((line) => line.includes('<- THROWS HERE')) + 1;
    expect(throwLine).toBeGreaterThan(0);

    const host = new FakeHost();
    const result = await plugin.handleEvent(orderPaid('throw'), {}, host);
    const error = expectEventFailure(result, 'TK_PLUGIN_ERROR');
    expect(error.message).toContain('threw Error: the handler gave up');
    const stack = String(error.details?.stack);
    expect(stack).toContain(`src/index.ts:${throwLine}:`);
    expect(stack).not.toContain('plugin.js');
    expect(stack).not.toContain('tongkit-prelude');
    expect(host.calls).toHaveLength(1);
    expect(result.measurements.hostCalls).toBe(1);

    // A thrown error is the plugin's own fault, not a broken isolate: it stays warm.
    const next = await plugin.handleEvent(orderPaid('state'), {}, new FakeHost());
    expect(next.measurements.isolate).toBe('warm');
  });
});

describe('manifest against code (events)', () => {
  /** The built bundle with its manifest's events replaced; the code, and so its sha256, unchanged. */
  function withEvents(events: string[]): PluginBundle {
    const manifest = structuredClone(bundle.manifest) as Manifest;
    (manifest as { events: string[] }).events = events;
    return { ...bundle, manifest };
  }

  it('builds a manifest listing exactly the events the code handles', () => {
    expect([...bundle.manifest.events].sort()).toEqual(['order.paid', 'points.changed']);
  });

  it('refuses at load a manifest that lists an event the code does not handle', async () => {
    const runtime = createRuntime();
    runtimes.push(runtime);
    const error = await rejectionOf(runtime.load(withEvents(['order.paid', 'points.changed', 'member.registered'])));
    expect(error.code).toBe('TK_MANIFEST_INVALID');
    expect(error.message).toContain('declared but not implemented: event member.registered');
  });

  it('refuses at load a manifest that hides an event the code handles', async () => {
    const runtime = createRuntime();
    runtimes.push(runtime);
    const error = await rejectionOf(runtime.load(withEvents(['order.paid'])));
    expect(error.code).toBe('TK_MANIFEST_INVALID');
    expect(error.message).toContain('handlers not in the manifest: event points.changed');
  });
});

describe('concurrent events on one plugin', () => {
  it('runs them one at a time, each host call attributed to its own invocation', async () => {
    const own = await load();
    const order: string[] = [];
    const slow: Answer = async (call, kv) => {
      await delay(call.method === 'get' ? 30 : 5);
      return kv();
    };
    const hostA = new FakeHost({ order, answer: slow });
    const hostB = new FakeHost({ order, answer: slow });
    const a = eventOf('points.changed', { key: 'a' });
    const b = eventOf('points.changed', { key: 'b' });

    const [resultA, resultB] = await Promise.all([own.handleEvent(a, {}, hostA), own.handleEvent(b, {}, hostB)]);
    expectEventOk(resultA);
    expectEventOk(resultB);
    expect(reported(resultA)).toEqual({ done: 'a' });
    expect(reported(resultB)).toEqual({ done: 'b' });
    expect(resultA.measurements.hostCalls).toBe(2);
    expect(resultB.measurements.hostCalls).toBe(2);

    expect(hostA.calls.map((c) => c.args[0])).toEqual(['a:first', 'a']);
    expect(hostB.calls.map((c) => c.args[0])).toEqual(['b:first', 'b']);
    expect(hostA.calls[1]?.args[2]).toEqual({ idempotencyKey: a.id });
    expect(hostB.calls[1]?.args[2]).toEqual({ idempotencyKey: b.id });
    // Serialised: one invocation's calls all come before the other's.
    expect([
      ['get:a:first', 'increment:a', 'get:b:first', 'increment:b'],
      ['get:b:first', 'increment:b', 'get:a:first', 'increment:a'],
    ]).toContainEqual(order);
  });

  it('runs an event queued behind one that times out on a new isolate, instead of failing it', async () => {
    const own = await load({ eventLimits: { wallMs: FAST_WALL_MS } });
    const host = new FakeHost();
    const [stuck, queued] = await Promise.all([own.handleEvent(orderPaid('never'), {}, new FakeHost()), own.handleEvent(orderPaid('count'), {}, host)]);
    expectEventFailure(stuck, 'TK_TIMEOUT');
    expectEventOk(queued);
    expect(queued.measurements.isolate).toBe('cold');
    expect(host.kv.get('counter')).toBe(3);
  });

  it('does not let an isolate eviction kill a handler in flight', async () => {
    // A cache that holds about one isolate: loading another plugin evicts the event isolate.
    const runtime = createRuntime({ maxIsolateBytes: 6 * 1024 * 1024 });
    runtimes.push(runtime);
    const own = await runtime.load(bundle, { installId: 'install-a' });
    const host = new FakeHost({ answer: async (_call, kv) => { await delay(100); return kv(); } });
    const running = own.handleEvent(orderPaid('count'), {}, host);
    await delay(20);
    await runtime.load(bundle, { installId: 'install-b' });
    await runtime.load(bundle, { installId: 'install-c' });
    expect(runtime.stats().evictions).toBeGreaterThan(0);
    const result = await running;
    expectEventOk(result);
    expect(host.calls).toHaveLength(2);
    expect(host.kv.get('counter')).toBe(3);
    // It was evicted: the next event starts a new isolate.
    const next = await own.handleEvent(orderPaid('state'), {}, new FakeHost());
    expectEventOk(next);
    expect(next.measurements.isolate).toBe('cold');
  });

  it('runs an event isolate too large for the cache for that event only (disposed, counted as evicted)', async () => {
    const runtime = createRuntime({ maxIsolateBytes: 1 });
    runtimes.push(runtime);
    const own = await runtime.load(bundle);
    const before = runtime.stats().evictions;
    for (let i = 0; i < 2; i++) {
      const result = await own.handleEvent(orderPaid('count'), {}, new FakeHost());
      expectEventOk(result);
      expect(result.measurements.isolate).toBe('cold');
    }
    expect(runtime.stats().evictions - before).toBe(2);
    expect(runtime.stats().isolatesAlive).toBe(0);
  });
});
