// Red team, memory: a hostile plugin tries to exhaust its heap — or the process around it — with
// growing arrays, object maps, Maps and Sets, string concatenation and doubling, typed arrays and
// ArrayBuffers outside the JS heap, WebAssembly memory, deep recursion, promise floods, module state
// kept across calls, and bombs at the top level. Each attack asserts (1) its code (TK_MEMORY_LIMIT when
// the isolate ran out and was disposed; TK_PLUGIN_ERROR when V8 refused the allocation or the stack
// with a RangeError the plugin could have caught), (2) the process is up, (3) another tenant in the same
// runtime is served right after, (4) nothing leaked — and the attacker is served again, on a rebuilt
// isolate where its own was disposed. Fixtures: plugins/redteam-memory (member ID / event.data.case
// picks the attack), redteam-toplevel-memory, redteam-tenant.
//
// Not contained in-process: a Map, a Set or a dictionary-mode object that grows past the limit makes V8
// report a fatal out-of-memory (CALL_AND_RETRY_LAST) that isolated-vm 7.0.1 cannot turn into an
// exception (isolated-vm #457, #527), at any memoryLimit; so can a string that doubles. The process then
// aborts, as isolated-vm prescribes — it never hangs. Those run in a child process here: abort-or-
// contained. Through the worker pool (containment.test.ts) an abort costs only the worker's calls in flight.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PluginBundle } from '@tongkit/runtime';
import { buildFixture, expectFailure, expectOutput, rejectionOf } from '../helpers.js';
import {
  FakeHost,
  attackEvent,
  attackInput,
  expectContained,
  expectEventFailure,
  expectNoLeak,
  expectProcessUp,
  expectTenantServed,
  openArena,
  runBombInChild,
  type Arena,
  type ChildOutcome,
} from './support-resources.js';

/**
 * Time limits out of the way (the platform may tune them): a bomb must meet the heap limit, not the
 * 100 ms wall stop, even on a busy machine. Heap limits are the defaults: 16 MB for extension points,
 * 64 MB for event handlers.
 */
let arena: Arena;

beforeAll(async () => {
  arena = await openArena('redteam-memory', { limits: { cpuMs: 10_000, wallMs: 10_000 } });
});

afterAll(async () => {
  await arena?.dispose();
});

async function attack(memberId: string) {
  const isolatesBefore = arena.runtime.stats().isolatesAlive;
  const result = await arena.attacker.invoke('member.tier.compute', await attackInput(memberId));
  return { result, isolatesBefore };
}

async function attackEventHandler(kase: string) {
  const isolatesBefore = arena.runtime.stats().isolatesAlive;
  const host = new FakeHost();
  const result = await arena.attacker.handleEvent(attackEvent(kase), {}, host);
  expect(host.calls).toEqual([]);
  return { result, isolatesBefore };
}

describe('heap bombs in an extension point (16 MB)', () => {
  it.each([
    ['an array of objects pushed for ever', 'array-growth'],
    ['an array of 10,000-element arrays pushed for ever', 'array-of-arrays'],
    ['string concatenation in a loop (a rope of small pieces)', 'string-concat'],
    ['distinct 64 KB strings, all kept', 'string-chunks'],
  ])('stops %s with TK_MEMORY_LIMIT and disposes the isolate', async (_name, memberId) => {
    const { result, isolatesBefore } = await attack(memberId);
    const error = expectFailure(result, 'TK_MEMORY_LIMIT');
    expect(error.fault).toBe('plugin');
    expect(error.hint).toMatch(/Allocate less/);
    await expectContained(arena, [result], { attacker: 'rebuilt', isolatesBefore });
  });

  it('stops module state that grows on every call with TK_MEMORY_LIMIT; the rebuilt isolate starts from clean module state', async () => {
    let last = await arena.attacker.invoke('member.tier.compute', await attackInput('retain'));
    expect(expectOutput(last).reason).toBe('1');
    const isolatesBefore = arena.runtime.stats().isolatesAlive;
    for (let call = 2; call <= 40 && last.ok; call++) last = await arena.attacker.invoke('member.tier.compute', await attackInput('retain'));
    expectFailure(last, 'TK_MEMORY_LIMIT');
    await expectContained(arena, [last], { attacker: 'rebuilt', isolatesBefore });
    // The megabytes it kept went with the old isolate.
    expect(expectOutput(await arena.attacker.invoke('member.tier.compute', await attackInput('retain'))).reason).toBe('1');
  });
});

describe('memory outside the JS heap', () => {
  it('refuses new Uint8Array(1e9) with a RangeError inside the guest: TK_PLUGIN_ERROR, the isolate is kept', async () => {
    const { result, isolatesBefore } = await attack('typed-array-huge');
    const error = expectFailure(result, 'TK_PLUGIN_ERROR');
    expect(error.message).toMatch(/RangeError: Array buffer allocation failed/);
    await expectContained(arena, [result], { attacker: 'kept', isolatesBefore });
  });

  it('refuses the 10 MB ArrayBuffer that would pass the heap limit (kept buffers count against it): TK_PLUGIN_ERROR', async () => {
    const { result, isolatesBefore } = await attack('array-buffers');
    expect(expectFailure(result, 'TK_PLUGIN_ERROR').message).toMatch(/RangeError: Array buffer allocation failed/);
    await expectContained(arena, [result], { attacker: 'kept', isolatesBefore });
  });

  it('grants a 16 MB isolate at most one 10 MB buffer however often the refusal is caught and retried', async () => {
    const { result, isolatesBefore } = await attack('array-buffers-caught');
    expect(expectFailure(result, 'TK_PLUGIN_ERROR').message).toMatch(/RangeError: Array buffer allocation failed/);
    expect(JSON.parse(result.logs[0]!.message)).toEqual({ granted: 1, refused: 19 });
    await expectContained(arena, [result], { attacker: 'kept', isolatesBefore });
  });

  it('has no WebAssembly to allocate WebAssembly.Memory with, by any path: TK_PLUGIN_ERROR', async () => {
    const { result, isolatesBefore } = await attack('wasm-memory');
    expect(expectFailure(result, 'TK_PLUGIN_ERROR').message).toMatch(/TypeError: Cannot read properties of undefined \(reading 'Memory'\)/);
    expect(JSON.parse(result.logs[0]!.message)).toEqual({ typeofWebAssembly: 'undefined', viaReflect: 'undefined', inGlobal: false, viaFunction: 'undefined' });
    await expectContained(arena, [result], { attacker: 'kept', isolatesBefore });
  });
});

describe('the stack', () => {
  it.each([
    ['unbounded recursion', 'deep-recursion'],
    ['unbounded recursion with wide frames', 'deep-recursion-wide'],
    ['a call spreading ten million arguments', 'spread-arguments'],
  ])('turns %s into a RangeError the runtime reports as TK_PLUGIN_ERROR, not a crash', async (_name, memberId) => {
    const { result, isolatesBefore } = await attack(memberId);
    const error = expectFailure(result, 'TK_PLUGIN_ERROR');
    expect(error.message).toMatch(/RangeError: Maximum call stack size exceeded/);
    // The guest's own frames, mapped to its source: nothing of the host's stack.
    expect(String(error.details?.stack)).toMatch(/src\/index\.ts:\d+:\d+/);
    // The stack unwound to the runtime's own frame, which reported it: the isolate is healthy and kept.
    await expectContained(arena, [result], { attacker: 'kept', isolatesBefore });
  });
});

describe('heap bombs in an event handler (64 MB)', () => {
  it.each([
    ['an array of objects pushed for ever', 'array-growth'],
    ['an array of 10,000-element arrays pushed for ever', 'array-of-arrays'],
    ['string concatenation in a loop', 'string-concat'],
    ['Promise.all over a million promises', 'promise-million'],
    ['a then-chain whose every link stays reachable', 'then-chain-retaining'],
  ])('stops %s with TK_MEMORY_LIMIT and disposes the isolate', async (_name, kase) => {
    const { result, isolatesBefore } = await attackEventHandler(kase);
    const error = expectEventFailure(result, 'TK_MEMORY_LIMIT');
    expect(error.fault).toBe('plugin');
    await expectContained(arena, [result], { via: 'event', attacker: 'rebuilt', isolatesBefore });
  });

  it.each([
    ['new Uint8Array(1e9)', 'typed-array-huge'],
    ['10 MB ArrayBuffers kept until one is refused', 'array-buffers'],
  ])('refuses %s with a RangeError: TK_PLUGIN_ERROR', async (_name, kase) => {
    const { result, isolatesBefore } = await attackEventHandler(kase);
    expect(expectEventFailure(result, 'TK_PLUGIN_ERROR').message).toMatch(/RangeError: Array buffer allocation failed/);
    await expectContained(arena, [result], { via: 'event', attacker: 'kept', isolatesBefore });
  });
});

describe('a bomb at the top level of the bundle', () => {
  it('refuses a bundle whose top level fills the heap (only inside the runtime, so the build saw nothing) with TK_MEMORY_LIMIT at load', async () => {
    const isolatesBefore = arena.runtime.stats().isolatesAlive;
    const { bundle } = await buildFixture('redteam-toplevel-memory');
    const error = await rejectionOf(arena.runtime.load(bundle, { installId: 'install-toplevel-memory' }));
    expect(error.code).toBe('TK_MEMORY_LIMIT');
    expect(error.message).toMatch(/ran out of memory while loading the bundle/);
    expectNoLeak(error);
    await expectProcessUp();
    await expectTenantServed(arena);
    expect(arena.runtime.stats().isolatesAlive).toBe(isolatesBefore);
  });
});

describe('bombs V8 may answer with a fatal out-of-memory: run in a child process, abort-or-contained', () => {
  let attacker: PluginBundle;
  let tenant: PluginBundle;
  const runs = new Map<string, Promise<ChildOutcome>>();

  /** Starts every child at once (they are independent processes), each test awaits its own. */
  beforeAll(async () => {
    attacker = (await buildFixture('redteam-memory')).bundle;
    tenant = (await buildFixture('redteam-tenant')).bundle;
    // The same roomy time limits as the arena: the bombs must meet the heap limit.
    // Four children start at once: on a loaded 2-core machine the event handler's default 5 s could run out first.
    const options = { limits: { cpuMs: 10_000, wallMs: 10_000 }, eventLimits: { wallMs: 30_000 } };
    for (const memberId of ['map-growth', 'set-growth']) {
      runs.set(memberId, runBombInChild({ attacker, tenant, input: await attackInput(memberId), options }));
    }
    for (const kase of ['object-map', 'string-doubling']) {
      runs.set(kase, runBombInChild({ attacker, tenant, event: attackEvent(kase), options }));
    }
  });

  it.each([
    ['a Map that grows for ever (extension point, 16 MB)', 'map-growth', /heap limit/],
    ['a Set that grows for ever (extension point, 16 MB)', 'set-growth', /heap limit/],
    ['an object used as a map, in dictionary mode, that grows for ever (event handler, 64 MB)', 'object-map', /heap limit/],
    // Measured: contained, but only when V8's string length limit (2^29 - 24) comes first — after the
    // 64 MB isolate briefly held a 256 MB string (isolated-vm lets the heap overshoot near its limit).
    ['a string that doubles until it is larger than the heap (event handler, 64 MB)', 'string-doubling', /heap limit|RangeError: Invalid string length/],
  ])('never hangs on %s: contained and the tenant served, or an abort for the supervisor', async (_name, kase, contained) => {
    const run = await runs.get(kase)!;
    expect(run.stdout, run.stderr).toContain('loaded');
    expect(['contained', 'aborted'], `outcome of ${kase}: ${JSON.stringify({ ...run, stderr: run.stderr.slice(-500) })}`).toContain(run.outcome);
    if (run.outcome === 'contained') {
      expect(['TK_MEMORY_LIMIT', 'TK_PLUGIN_ERROR']).toContain(run.code);
      expect(run.message).toMatch(contained);
      expect(run.tenant).toBe('gold');
    } else {
      // V8's own report of the fatal out-of-memory, then isolated-vm's abort.
      expect(run.stderr).toMatch(/CALL_AND_RETRY_LAST|is_heap_oom/);
    }
    // This process, which ran none of it, is up and serves the tenant.
    await expectProcessUp();
    await expectTenantServed(arena);
  });
});
