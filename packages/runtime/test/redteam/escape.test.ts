// Red team, family 1: escape. A hostile plugin tries to reach host objects (process, require, isolated-vm's
// own objects, the bridge), to make host code run its hooks (getters, toJSON, Proxy traps, Symbol.species,
// util.inspect hooks), to pollute prototypes on the host or in another tenant, to read another tenant's
// data, and to read the real clock. Each attack asserts (1) its outcome — an error code, or containment
// where the attack is harmless by design (stated in the test), (2) the host process is up, (3) another
// tenant in the same runtime is served correctly right after, (4) nothing leaked (support-escape.ts).
// Fixtures: plugins/redteam-escape (the member ID or event.data.case picks the attack), plugins/redteam-bystander.
import { types } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TkError, type PointOutput } from '@tongkit/sdk';
import type { InvocationResult, InvokeOptions, LoadedPlugin } from '@tongkit/runtime';
import { expectFailure, expectOutput } from '../helpers.js';
import {
  ATTACK_NOW,
  ATTACK_NOW_MS,
  TENANT_SECRET,
  RecordingHost,
  attackEvent,
  attackInput,
  createArena,
  expectContained,
  expectEventOk,
  expectHostUp,
  hostInspect,
  report,
  type Arena,
} from './support-escape.js';

type TierResult = InvocationResult<PointOutput<'member.tier.compute'>>;

/** Reports are JSON log lines: a larger log cap than the default 1 KB (a platform-tunable limit). */
const LOG_BYTES = 16 * 1024;

let arena: Arena;
let attacker: LoadedPlugin;

beforeAll(async () => {
  arena = await createArena({ limits: { logBytes: LOG_BYTES, cpuMs: 1_000, wallMs: 1_000 } });
  attacker = await arena.load('redteam-escape', 'attacker-a');
});

afterAll(async () => {
  await arena.dispose();
});

/** Runs a sync attack; `fresh` for attacks that tamper with their own realm (so later attacks start clean). */
async function attack(memberId: string, options: InvokeOptions = {}, plugin: LoadedPlugin = attacker, settings: unknown = {}): Promise<TierResult> {
  return plugin.invoke('member.tier.compute', await attackInput(memberId), settings, options);
}

describe('reaching the host through constructors and code from strings', () => {
  it('cannot reach the host through constructor.constructor("return this")() from any value the guest holds', async () => {
    const result = await attack('ctor-chain');
    expectOutput(result);
    const seen = report<{ seen: Record<string, string>; processByFunction: string; requireByFunction: string; indirectEval: string; nodeGlobals: string[] }>(result);
    expect(Object.keys(seen.seen)).toHaveLength(17);
    for (const [from, outcome] of Object.entries(seen.seen)) expect(outcome, from).toBe('guest-global');
    expect(seen.processByFunction).toBe('threw ReferenceError');
    expect(seen.requireByFunction).toBe('threw ReferenceError');
    expect(seen.indirectEval).toBe('undefined,undefined,undefined');
    expect(seen.nodeGlobals).toEqual([]);
    await expectContained(arena, result);
  });

  it('cannot reach the host through the constructors of ctx, of host answers or of rejected host calls', async () => {
    const host = new RecordingHost({
      answer: (call, kv) => {
        if (call.args[0] === 'boom') throw new TkError('TK_CONFLICT', 'host refused');
        if (call.args[0] === 'object') return { nested: { list: [1, 2] } };
        return kv();
      },
    });
    const result = await attacker.handleEvent(attackEvent('ctor-chain'), {}, host);
    expectEventOk(result);
    const { seen } = report<{ seen: Record<string, string> }>(result);
    expect(Object.keys(seen).sort()).toEqual(['answer', 'context', 'event', 'kv', 'kvGet', 'log', 'pending', 'rejection', 'settings']);
    for (const [from, outcome] of Object.entries(seen)) expect(outcome, from).toBe('guest-global');
    await expectContained(arena, result);
  });

  it('cannot load a host module through dynamic import() nor reach process through Function("return process")()', async () => {
    const result = await attacker.handleEvent(attackEvent('dynamic-import'), {}, new RecordingHost());
    expectEventOk(result);
    const outcomes = report<Record<string, string>>(result);
    expect(outcomes).toEqual({
      'node:fs': expect.stringMatching(/^rejected /),
      fs: expect.stringMatching(/^rejected /),
      'isolated-vm': expect.stringMatching(/^rejected /),
      'data:text/javascript,export default 1': expect.stringMatching(/^rejected /),
      '/etc/passwd': expect.stringMatching(/^rejected /),
      process: 'threw ReferenceError',
    });
    await expectContained(arena, result);
  });

  it('cannot get back the removed WebAssembly, SharedArrayBuffer, Atomics, WeakRef or FinalizationRegistry', async () => {
    const result = await attack('removed-globals');
    expectOutput(result);
    expect(report(result)).toEqual({
      WebAssembly: 'string:undefined',
      SharedArrayBuffer: 'string:undefined',
      Atomics: 'string:undefined',
      WeakRef: 'string:undefined',
      FinalizationRegistry: 'string:undefined',
      wasmByName: 'undefined',
      sharedMemory: 'threw ReferenceError',
    });
    await expectContained(arena, result);
  });
});

describe('stack traces and callers', () => {
  interface Site {
    file: string | null;
    fn: string;
    self: string;
    selfRealm: boolean | null;
    native: boolean;
  }

  it('cannot reach the host through Error.prepareStackTrace callsites', async () => {
    const result = await attack('prepare-stack', { fresh: true });
    expect(expectOutput(result).reason).toBe('probed callsites');
    const { sites, direct } = report<{ sites: Site[]; direct: string }>(result);
    expect(direct).toBe('rewritten stack');
    expect(sites.length).toBeGreaterThan(3);
    // Only guest frames: the plugin's, the prelude's and V8 builtins'. No host file, no host frame.
    for (const site of sites) expect([null, 'plugin.js', 'tongkit-prelude.js']).toContain(site.file);
    // The bridge's frames are strict: no function or receiver of the prelude is handed out.
    const bridgeFrames = sites.filter((site) => site.file === 'tongkit-prelude.js');
    expect(bridgeFrames.length).toBeGreaterThan(0);
    for (const frame of bridgeFrames) expect(frame).toMatchObject({ fn: 'undefined', self: 'undefined' });
    // Any receiver handed out belongs to the guest's realm.
    for (const site of sites) if (site.selfRealm !== null) expect(site.selfRealm).toBe(true);
    await expectContained(arena, result);
  });

  it('cannot crash the host with a prepareStackTrace whose stack is an object that throws on toString', async () => {
    const result = await attack('prepare-stack-throw', { fresh: true });
    const error = expectFailure(result, 'TK_PLUGIN_ERROR');
    expect(error.message).toContain('threw TypeError: thrown with a hostile stack');
    expect(typeof error.details?.stack).toBe('string');
    await expectContained(arena, result);
  });

  it('cannot reach the bridge through Function.prototype.caller of its handler or of a getter', async () => {
    const result = await attack('caller');
    expect(expectOutput(result).reason).toBe('probed callers');
    const { fromHandler, fromGetter } = report<{ fromHandler: string; fromGetter: string }>(result);
    // null (the caller is strict bridge code or a builtin) or a TypeError (strict plugin code): never a function.
    expect(['object', 'threw TypeError']).toContain(fromHandler);
    expect(['object', 'threw TypeError']).toContain(fromGetter);
    await expectContained(arena, result);
  });
});

describe('host errors reaching the guest', () => {
  it('hands the guest a sanitized guest-realm copy of a failed host call: code, message and stack only', async () => {
    const hostError = new TkError('TK_CONFLICT', 'the key was used with another payload', {
      details: { table: 'kv_entries', row: 42, secret: TENANT_SECRET },
      hint: 'host-side hint',
      path: '/host/internal',
      cause: new Error('pg: duplicate key value violates unique constraint'),
    });
    const host = new RecordingHost({
      answer: () => {
        throw hostError;
      },
    });
    const result = await attacker.handleEvent(attackEvent('host-error'), {}, host);
    expectEventOk(result);
    const { caught } = report<{ caught: Record<string, unknown> }>(result);
    expect(caught).toEqual({
      isError: true,
      protoIsGuestError: true,
      ownKeys: ['code', 'message', 'stack'],
      code: 'TK_CONFLICT',
      message: 'the key was used with another payload',
      stack: expect.any(String),
      processViaError: 'threw ReferenceError',
      realmViaError: true,
    });
    // Its stack is the guest's own: no host frame, file or detail.
    expect(String(caught.stack)).not.toMatch(/escape\.test|runtime|node:|TkError|kv_entries|duplicate key/);
    await expectContained(arena, result);
  });

  it('turns any other host failure into a generic TK_INTERNAL for the guest, without its message', async () => {
    const host = new RecordingHost({
      answer: () => {
        throw Object.assign(new Error(`connection to 10.0.0.7 failed for ${TENANT_SECRET}`), { code: 'ECONNREFUSED' });
      },
    });
    const result = await attacker.handleEvent(attackEvent('host-error'), {}, host);
    expectEventOk(result);
    const { caught } = report<{ caught: Record<string, unknown> }>(result);
    expect(caught).toMatchObject({ ownKeys: ['code', 'message', 'stack'], code: 'TK_INTERNAL', message: 'the host call failed' });
    expect(JSON.stringify(result)).not.toContain('10.0.0.7');
    await expectContained(arena, result);
  });
});

describe('values crossing to the host run no guest code there', () => {
  it('ignores Symbol.species on an array returned to the host: TK_INVALID_OUTPUT, the host only sees JSON', async () => {
    const result = await attack('species-output');
    const error = expectFailure(result, 'TK_INVALID_OUTPUT');
    expect(error.path).toBe('/');
    await expectContained(arena, result);
  });

  it('ignores Symbol.species on an array passed to a host call: the host gets a plain host Array', async () => {
    const host = new RecordingHost();
    const result = await attacker.handleEvent(attackEvent('species-args'), {}, host);
    expectEventOk(result);
    const value = host.calls[0]?.args[1] as number[];
    expect(Array.isArray(value)).toBe(true);
    expect(Object.getPrototypeOf(value)).toBe(Array.prototype);
    expect(value.constructor).toBe(Array);
    // Host code using species-aware methods runs the host's Array, never the guest's class.
    const doubled = value.map((n) => n * 2);
    expect(doubled).toEqual([2, 4, 6]);
    expect(doubled.constructor).toBe(Array);
    expect(Object.keys(value)).toEqual(['0', '1', '2']);
    expect(report<{ speciesUsed: number }>(result).speciesUsed).toBe(0);
    await expectContained(arena, result);
  });

  it('runs the traps of a Proxy passed to ctx.kv.set in the guest only: the host sees plain JSON', async () => {
    const host = new RecordingHost();
    const result = await attacker.handleEvent(attackEvent('proxy-value'), {}, host);
    expectEventOk(result);
    // The revoked proxy was refused in the guest; the host saw only the set and the get.
    expect(host.calls.map((call) => `${call.method}:${String(call.args[0])}`)).toEqual(['set:proxied', 'get:proxied']);
    const stored = host.kv.get('proxied');
    expect(types.isProxy(stored)).toBe(false);
    expect(stored).toEqual({ points: 10, tags: ['vip'] });
    expect(Object.getPrototypeOf(stored)).toBe(Object.prototype);
    const seen = report<{ trapsAfterSet: number; trapsAfterGet: number; back: unknown; revoked: string }>(result);
    expect(seen.trapsAfterSet).toBeGreaterThan(0);
    // The host stored, read and answered the value: not one more trap ran.
    expect(seen.trapsAfterGet).toBe(seen.trapsAfterSet);
    expect(seen.back).toEqual({ points: 10, tags: ['vip'] });
    expect(seen.revoked).toMatch(/^TypeError: host call arguments must be JSON/);
    await expectContained(arena, result);
  });

  it('runs getters of a returned output in the guest, on the invocation clock, with no host frame on their stack', async () => {
    const result = await attack('getters');
    expect(expectOutput(result)).toEqual({ tierId: 'regular', reason: 'from a getter' });
    const { stack, now } = report<{ stack: string; now: number }>(result);
    expect(now).toBe(ATTACK_NOW_MS);
    expect(stack).toContain('plugin.js');
    expect(stack).not.toMatch(/runtime|node:|node_modules|\/work\//);
    await expectContained(arena, result);
  });

  it('runs a toJSON that never returns in the guest, under its wall-clock limit: TK_TIMEOUT', async () => {
    const result = await attack('tojson-loop');
    const error = expectFailure(result, 'TK_TIMEOUT');
    expect(error.details).toMatchObject({ wallLimitMs: 1_000 });
    await expectContained(arena, result);
    // The attacker's own next call runs on a rebuilt isolate.
    expect((await attack('idle')).measurements.isolate).toBe('cold');
  });

  it('never runs util.inspect hooks (Symbol.for("nodejs.util.inspect.custom")) of outputs or logs on the host', async () => {
    const result = await attack('inspect-hooks');
    const output = expectOutput(result);
    expect(output).toEqual({ tierId: 'regular', reason: 'inspect me' });
    expect(Object.getOwnPropertySymbols(output)).toEqual([]);
    expect(Object.getOwnPropertyNames(output).sort()).toEqual(['reason', 'tierId']);
    // Logging the result host-side, the way a host would, runs nothing of the guest's.
    const rendered = hostInspect(result);
    expect(rendered).not.toContain('inspect hook ran');
    expect(result.logs.map((line) => line.message)).toEqual(['{"note":"logged"}', 'text {"note":"logged"}']);
    await expectContained(arena, result);
  });
});

describe('prototype pollution', () => {
  it('cannot pollute the host through __proto__ or constructor keys in an output: TK_INVALID_OUTPUT at that key', async () => {
    const proto = await attack('proto-output');
    expect(expectFailure(proto, 'TK_INVALID_OUTPUT').path).toBe('/__proto__');
    const ctor = await attack('constructor-output');
    expect(expectFailure(ctor, 'TK_INVALID_OUTPUT').path).toBe('/constructor');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await expectContained(arena, proto, ctor);
  });

  it('cannot pollute the host through __proto__ keys in KV values: the host gets an own property, its prototypes stay clean', async () => {
    const host = new RecordingHost({
      answer: (call, kv) => (call.args[0] === 'host-proto' ? JSON.parse('{"__proto__":{"polluted":"host"},"plain":2}') : kv()),
    });
    const result = await attacker.handleEvent(attackEvent('proto-kv'), {}, host);
    expectEventOk(result);
    const stored = host.kv.get('proto') as Record<string, unknown>;
    expect(Object.getPrototypeOf(stored)).toBe(Object.prototype);
    expect(Object.hasOwn(stored, '__proto__')).toBe(true);
    expect(stored.polluted).toBeUndefined();
    expect(Object.hasOwn(stored, 'constructor')).toBe(true);
    // The key "__proto__" is just a key.
    expect(host.kv.has('__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // The host's answer with a "__proto__" key reaches the guest as data, not as a prototype.
    expect(report(result)).toEqual({ backOwnProto: true, backProtoIsObjectPrototype: true, guestPolluted: null });
    await expectContained(arena, result);
  });

  it('keeps prototype pollution inside the polluting isolate: the other tenant and the attacker’s event isolate stay clean', async () => {
    // Contained by design: the attacker may break its own realm (it persists in its warm isolate), no other.
    const polluter = await arena.load('redteam-escape', 'polluter');
    const polluted = await attack('pollute', {}, polluter);
    expect(expectOutput(polluted).reason).toBe('polluted my realm');
    // The bridge captured what it needs before any plugin code ran: the polluted isolate still answers.
    const again = await attack('idle', {}, polluter);
    expect(again.measurements.isolate).toBe('warm');
    expect(expectOutput(again).reason).toBe('attacker idle');
    // The same install's event isolate is another realm.
    const events = await polluter.handleEvent(attackEvent('idle'), {}, new RecordingHost());
    expectEventOk(events);
    expect(report(events)).toEqual({ idle: true });
    await expectContained(arena, polluted, again);
  });

  it('cannot forge the bridge’s log report with Array.prototype.toJSON: logs stay within the cap', async () => {
    const result = await attack('forge-logs', { fresh: true });
    expect(expectOutput(result).reason).toBe('forged my logs');
    const bytes = result.logs.reduce((sum, line) => sum + Buffer.byteLength(line.message) + 1, 0);
    expect(bytes).toBeLessThanOrEqual(LOG_BYTES);
    expect(result.measurements.logBytes).toBe(bytes);
    expect(result.logsTruncated).toBe(true);
    for (const line of result.logs) expect(['debug', 'info', 'warn', 'error']).toContain(line.level);
    await expectContained(arena, result);
  });

  it('cannot pass forged log levels or a forged report to the host: TK_PLUGIN_ERROR, not a runtime failure', async () => {
    const levels = await attack('forge-levels', { fresh: true });
    expect(expectFailure(levels, 'TK_PLUGIN_ERROR').message).toMatch(/bridge/);
    expect(levels.logs).toEqual([]);
    // Object.prototype.toJSON turns every object the bridge serialises into "pwned".
    const everything = await attack('forge-everything', { fresh: true });
    expect(expectFailure(everything, 'TK_PLUGIN_ERROR').message).toMatch(/bridge/);
    // Array.prototype.toJSON returning undefined makes the report unparsable.
    const unparsable = await attack('forge-unparsable', { fresh: true });
    expect(expectFailure(unparsable, 'TK_PLUGIN_ERROR').message).toMatch(/bridge/);
    await expectContained(arena, levels, everything, unparsable);
  });
});

describe('isolated-vm objects and bridge leftovers', () => {
  interface Search {
    visited: number;
    suspects: string[];
    bridge: string[];
  }

  it('finds no isolated-vm object (Reference, ExternalCopy, Isolate, Callback, Context) and no __tk_*/__tongkit_plugin global in the extension isolate', async () => {
    const result = await attack('search-ivm');
    expectOutput(result);
    const found = report<Search>(result);
    expect(found.visited).toBeGreaterThan(500);
    expect(found.suspects).toEqual([]);
    expect(found.bridge).toEqual([]);
    await expectContained(arena, result);
  });

  it('finds no isolated-vm object and no bridge global in the event isolate either', async () => {
    const result = await attacker.handleEvent(attackEvent('search-ivm'), {}, new RecordingHost());
    expectEventOk(result);
    const found = report<Search>(result);
    expect(found.visited).toBeGreaterThan(500);
    expect(found.suspects).toEqual([]);
    expect(found.bridge).toEqual([]);
    await expectContained(arena, result);
  });
});

describe('other tenants’ data', () => {
  it('cannot read another install’s settings through module state: same bundle, separate isolates per install', async () => {
    const installA = await arena.load('redteam-escape', 'install-a');
    const installB = await arena.load('redteam-escape', 'install-b');
    expectOutput(await attack('stash', {}, installA, { secret: 'install-a-secret' }));
    // Module state persists within install A (so the mechanism works) …
    const ownPeek = await attack('peek', {}, installA);
    expect(report(ownPeek)).toMatchObject({ stash: { secret: 'install-a-secret', calls: 1 }, globalStash: 'install-a-secret' });
    // … and install B, same bundle, sees none of it, nor the other tenant's secret.
    const peek = await attack('peek', {}, installB);
    expect(report(peek)).toEqual({ stash: null, globalStash: null, tenantSecret: null, globals: [] });
    expect(JSON.stringify(peek)).not.toContain('install-a-secret');
    await expectContained(arena, peek);
  });

  it('cannot read the host’s KV store through a copy it was given: mutating an answer changes nothing host-side', async () => {
    const host = new RecordingHost();
    host.kv.set('shared', { list: [1, 2] });
    const result = await attacker.handleEvent(attackEvent('mutate-answer'), {}, host);
    expectEventOk(result);
    expect(report(result)).toEqual({ mutated: { list: [1, 2, 666], added: true } });
    expect(host.kv.get('shared')).toEqual({ list: [1, 2] });
    await expectContained(arena, result);
  });
});

describe('the real clock', () => {
  const expectInvocationClock = (readings: Record<string, unknown>) => {
    for (const key of ['now', 'newDate', 'reflect', 'subclass', 'ctorViaProto']) expect(readings[key], key).toBe(ATTACK_NOW_MS);
    expect(readings.intlFormat).toBe('02/03/2001, 04:05:06');
    expect(readings.intlFormatUndefined).toBe('02/03/2001, 04:05:06');
    expect(readings.intlParts).toBe('02/03/2001, 04:05:06');
    expect(readings.intlDefault).toBe('2/3/2001');
    expect(readings.localeString).toBe('2/3/2001, 4:05:06 AM');
    expect(String(readings.dateCall)).toContain('2001');
    expect(readings).toMatchObject({ performance: 'undefined', temporal: 'undefined', hrtime: 'undefined' });
  };

  it('cannot read the real clock in an extension point: Date, Reflect.construct, subclasses and Intl all read the input’s now', async () => {
    const result = await attack('clock');
    expectOutput(result);
    expectInvocationClock(report(result));
    await expectContained(arena, result);
  });

  it('cannot read the real clock in an event handler: it reads the event’s occurredAt', async () => {
    const result = await attacker.handleEvent(attackEvent('clock'), {}, new RecordingHost());
    expectEventOk(result);
    expectInvocationClock(report(result));
    expect(ATTACK_NOW).toBe('2001-02-03T04:05:06Z');
    await expectContained(arena, result);
  });
});

