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

// A copy of a runtime.ts helper (not exported), to time it.
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

/**
 * A bare isolate whose glue hands the handler settings either frozen once (reused by every call) or
 * parsed afresh from JSON on every call, as the prelude does (so a plugin cannot carry state in them).
 */
function settingsIsolate(code, settings, perCall) {
  const isolate = new ivm.Isolate({ memoryLimit: 16 });
  const context = isolate.createContextSync();
  const settingsJson = JSON.stringify(JSON.stringify(settings));
  isolate
    .compileScriptSync(
      `${code};(() => {
  const f = globalThis.__tongkit_plugin.default.extensions[${JSON.stringify(POINT)}];
  const once = Object.freeze({ settings: Object.freeze(JSON.parse(${settingsJson})) });
  globalThis.__bench_call = ${perCall}
    ? (s) => JSON.stringify(f(JSON.parse(s), Object.freeze({ settings: JSON.parse(${settingsJson}) })))
    : (s) => JSON.stringify(f(JSON.parse(s), once));
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
 * @param {{ code: string, settings: object }} o.heavy           the heavy plugin, for the cost of per-call settings
 */
export async function runtimeBreakdown({ code, settings, input, n, warm, heavy }) {
  const spec = getExtensionPoint(POINT);
  const inputJson = JSON.stringify(input);
  const settingsJson = JSON.stringify(settings);
  const settingsCache = new Map([[JSON.stringify({}), settingsJson]]);

  // An isolate with the runtime's call shape: 5 arguments in, an envelope string out.
  const isolate = new ivm.Isolate({ memoryLimit: 16 });
  const context = isolate.createContextSync();
  isolate
    .compileScriptSync(
      code +
        glue(POINT, settings) +
        `;globalThis.__bench_envelope = (point, s, settingsJson, nowMs, cap) => '{"l":[],"t":false,"o":' + __bench_call(s) + '}';`,
    )
    .runSync(context);
  const call6 = context.global.getSync('__bench_envelope', { reference: true });
  const args6 = [POINT, inputJson, settingsJson, nowOf(input), 1024];
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
    { step: 'isolate.getHeapStatisticsSync() ÷ 64 (sampled)', where: 'plugin-isolate.ts call (heapUsedBytes)', us: us(() => isolate.getHeapStatisticsSync()) / 64 },
    { step: 'input validation (compiled TypeBox Check)', where: 'runtime.ts assertMatches(spec.input)', us: us(() => validateAgainst(spec.input, input)) },
    { step: 'output validation + spec.checkOutput', where: 'runtime.ts assertMatches(spec.output)', us: us(() => validateAgainst(spec.output, output).length + spec.checkOutput(input, output).length) },
    { step: 'Buffer.byteLength(inputJson)', where: 'runtime.ts inputBytes', us: us(() => Buffer.byteLength(inputJson)) },
    { step: 'Buffer.byteLength(JSON.stringify(output))', where: 'runtime.ts outputBytes', us: us(() => Buffer.byteLength(JSON.stringify(output))) },
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

  // Guest side: the prelude parses the settings afresh for every call (so a plugin cannot keep state in
  // them, and without freezing them: frozen arrays lose V8's fast paths for find/some/map).
  const heavyInput = JSON.stringify(input);
  const once = settingsIsolate(heavy.code, heavy.settings, false);
  const perCall = settingsIsolate(heavy.code, heavy.settings, true);
  const heavyN = Math.max(200, Math.round(n / 10));
  let onceUs = Infinity;
  let perCallUs = Infinity;
  for (let round = 0; round < 3; round++) {
    onceUs = Math.min(onceUs, meanNs(() => once.ref.applySync(undefined, [heavyInput]), heavyN) / 1000);
    perCallUs = Math.min(perCallUs, meanNs(() => perCall.ref.applySync(undefined, [heavyInput]), heavyN) / 1000);
  }
  once.isolate.dispose();
  perCall.isolate.dispose();

  return {
    shared,
    extra,
    runtimeP50Us: warm.runtimeP50Us,
    bareP50Us: warm.bareP50Us,
    overheadUs,
    extraStepsUs: extraUs,
    remainderUs: overheadUs - extraUs,
    settingsPerCall: { plugin: 'bench/plugins/heavy', onceUs, perCallUs, costUs: perCallUs - onceUs },
  };
}
