// Where the runtime's warm invoke spends its time beyond the bare isolated-vm call: each host-side
// step of `LoadedPlugin.invoke` (packages/runtime/src/runtime.ts + internal/plugin-isolate.ts) re-done
// on its own with the same input and output, timed as the best mean of tight loops. The steps are
// copies of what the runtime does, built from public pieces (validateAgainst is the same cached,
// compiled TypeBox checker the runtime uses); the guest-side prelude is not public, so its share is
// what remains.
import ivm from 'isolated-vm';
import { validateAgainst } from '@tongkit/runtime';
import { getExtensionPoint } from '@tongkit/sdk';
import { glue, POINT } from './engines.mjs';
import { now } from './stats.mjs';

// Copies of runtime.ts helpers (not exported), to time them.
function seedOf(text) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash | 0;
}
function nowOf(input) {
  const value = input?.now;
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isNaN(ms) ? 0 : ms;
}

/** Best mean ns per call of `fn` over 5 loops of `n` calls, after `n / 2` warm-up calls. */
function meanNs(fn, n) {
  let sink;
  for (let i = 0; i < n / 2; i++) sink = fn();
  let best = Infinity;
  for (let run = 0; run < 5; run++) {
    const start = now();
    for (let i = 0; i < n; i++) sink = fn();
    best = Math.min(best, Number(now() - start) / n);
  }
  globalThis.__benchSink = sink;
  return best;
}

async function meanNsAsync(fn, n) {
  for (let i = 0; i < n / 2; i++) await fn();
  let best = Infinity;
  for (let run = 0; run < 5; run++) {
    const start = now();
    for (let i = 0; i < n; i++) await fn();
    best = Math.min(best, Number(now() - start) / n);
  }
  return best;
}

const DEEP_FREEZE = `function __bench_deepFreeze(v) {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) { Object.freeze(v); for (const k of Object.keys(v)) __bench_deepFreeze(v[k]); }
  return v;
}`;

/** A bare isolate whose glue hands the handler settings frozen shallowly (like the bare contestant) or deeply (like the prelude). */
function settingsFreezeIsolate(code, settings, deep) {
  const isolate = new ivm.Isolate({ memoryLimit: 16 });
  const context = isolate.createContextSync();
  const settingsExpr = deep ? `__bench_deepFreeze(${JSON.stringify(settings)})` : `Object.freeze(${JSON.stringify(settings)})`;
  isolate
    .compileScriptSync(
      `${code};${DEEP_FREEZE};(() => {
  const f = globalThis.__tongkit_plugin.default.extensions[${JSON.stringify(POINT)}];
  const ctx = Object.freeze({ settings: ${settingsExpr} });
  globalThis.__bench_call = (s) => JSON.stringify(f(JSON.parse(s), ctx));
})();`,
    )
    .runSync(context);
  return { isolate, ref: context.global.getSync('__bench_call', { reference: true }) };
}

/**
 * @param {object} o
 * @param {string} o.code         the template bundle
 * @param {object} o.settings     its resolved settings
 * @param {object} o.input
 * @param {number} o.n            loop length
 * @param {{ runtimeP50Us: number, bareP50Us: number }} o.warm   from the warm table of the same run
 * @param {{ code: string, settings: object }} o.heavy           the heavy plugin, for the settings-freeze effect
 */
export async function runtimeBreakdown({ code, settings, input, n, warm, heavy }) {
  const spec = getExtensionPoint(POINT);
  const inputJson = JSON.stringify(input);
  const settingsJson = JSON.stringify(settings);
  const settingsCache = new Map([[JSON.stringify({}), settingsJson]]);

  // An isolate with the runtime's call shape: 6 arguments in, an envelope string out.
  const isolate = new ivm.Isolate({ memoryLimit: 16 });
  const context = isolate.createContextSync();
  isolate
    .compileScriptSync(
      code +
        glue(POINT, settings) +
        `;globalThis.__bench_envelope = (point, s, settingsJson, nowMs, seed, cap) => '{"l":[],"t":false,"o":' + __bench_call(s) + '}';`,
    )
    .runSync(context);
  const call6 = context.global.getSync('__bench_envelope', { reference: true });
  const args6 = [POINT, inputJson, settingsJson, nowOf(input), seedOf(inputJson), 1024];
  const envelope = call6.applySync(undefined, args6);
  const output = JSON.parse(envelope).o;
  const measurements = { cpuMicros: 0, wallMicros: 0, cpuBudgetMicros: 0, cpuHeadroomMicros: 0, heapUsedBytes: 0, heapLimitBytes: 0, inputBytes: 0, outputBytes: 0, logBytes: 0, hostCalls: 0, isolate: 'warm' };

  const us = (fn) => meanNs(fn, n) / 1000;
  const noTimeoutUs = us(() => call6.applySync(undefined, args6));
  const withTimeoutUs = us(() => call6.applySync(undefined, args6, { timeout: 100 }));

  // Shared with the bare floor (it stringifies, calls and parses too): context only.
  const shared = [
    { step: 'JSON.stringify(input)', where: 'runtime.ts invoke', us: us(() => JSON.stringify(input)) },
    { step: 'applySync → envelope string (guest work included)', where: 'plugin-isolate.ts call', us: noTimeoutUs },
    { step: 'JSON.parse(envelope)', where: 'plugin-isolate.ts call', us: us(() => JSON.parse(envelope)) },
  ];
  // Only the runtime does these.
  const extra = [
    { step: 'applySync { timeout } (minus the same call without)', where: 'plugin-isolate.ts call (wall stop)', us: Math.max(0, withTimeoutUs - noTimeoutUs) },
    { step: 'isolate.getHeapStatisticsSync()', where: 'plugin-isolate.ts call (heapUsedBytes)', us: us(() => isolate.getHeapStatisticsSync()) },
    { step: 'input validation (compiled TypeBox Check)', where: 'runtime.ts assertMatches(spec.input)', us: us(() => validateAgainst(spec.input, input)) },
    { step: 'output validation + spec.checkOutput', where: 'runtime.ts assertMatches(spec.output)', us: us(() => validateAgainst(spec.output, output).length + spec.checkOutput(input, output).length) },
    { step: 'Buffer.byteLength(inputJson)', where: 'runtime.ts inputBytes', us: us(() => Buffer.byteLength(inputJson)) },
    { step: 'Buffer.byteLength(JSON.stringify(output))', where: 'runtime.ts outputBytes', us: us(() => Buffer.byteLength(JSON.stringify(output))) },
    { step: 'seedOf(inputJson) (FNV-1a over the input)', where: 'runtime.ts seedOf', us: us(() => seedOf(inputJson)) },
    { step: 'nowOf(input) (Date.parse)', where: 'runtime.ts nowOf', us: us(() => nowOf(input)) },
    { step: 'isolate.cpuTime ×2 + hrtime ×2', where: 'plugin-isolate.ts call', us: us(() => isolate.cpuTime + isolate.cpuTime + process.hrtime.bigint() + process.hrtime.bigint()) },
    {
      step: 'settings cache + getExtensionPoint ×2 + budget',
      where: 'runtime.ts settingsJsonFor/budgetFor',
      us: us(() => [settingsCache.get(JSON.stringify({})), { ...getExtensionPoint(POINT).budget, ...getExtensionPoint(POINT).budget }]),
    },
    {
      step: 'measurements objects + logs reduce',
      where: 'runtime.ts invoke',
      us: us(() => ({ ...measurements, cpuMicros: 1, logBytes: [].reduce((s, l) => s + l, 0) })),
    },
    { step: 'async function + await', where: 'runtime.ts invoke (the API is async)', us: (await meanNsAsync(async () => 1, n)) / 1000 },
  ];
  isolate.dispose();

  const overheadUs = warm.runtimeP50Us - warm.bareP50Us;
  const extraUs = extra.reduce((sum, s) => sum + s.us, 0);

  // Guest side: the prelude deep-freezes the settings it hands to handlers. V8's Array.prototype.find /
  // some / map lose their fast path on frozen (also sealed / non-extensible) arrays, which a plugin that
  // looks rules up in a settings array pays on every lookup.
  const heavyInput = JSON.stringify(input);
  const shallow = settingsFreezeIsolate(heavy.code, heavy.settings, false);
  const deep = settingsFreezeIsolate(heavy.code, heavy.settings, true);
  const heavyN = Math.max(200, Math.round(n / 10));
  let shallowUs = Infinity;
  let deepUs = Infinity;
  for (let round = 0; round < 3; round++) {
    shallowUs = Math.min(shallowUs, meanNs(() => shallow.ref.applySync(undefined, [heavyInput]), heavyN) / 1000);
    deepUs = Math.min(deepUs, meanNs(() => deep.ref.applySync(undefined, [heavyInput]), heavyN) / 1000);
  }
  shallow.isolate.dispose();
  deep.isolate.dispose();

  return {
    shared,
    extra,
    runtimeP50Us: warm.runtimeP50Us,
    bareP50Us: warm.bareP50Us,
    overheadUs,
    extraStepsUs: extraUs,
    remainderUs: overheadUs - extraUs,
    settingsFreeze: { plugin: 'bench/plugins/heavy', shallowUs, deepUs, costUs: deepUs - shallowUs },
  };
}
