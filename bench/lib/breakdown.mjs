// Where the runtime's warm invoke spends its time: each host-side step of `LoadedPlugin.invoke`
// (packages/runtime/src/runtime.ts + internal/plugin-isolate.ts) re-done on its own, on the same input
// and output, timed as the mean of a tight loop. The steps are copies of what the runtime does, using
// its public pieces (validateAgainst is the same compiled TypeBox checker the runtime uses).
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

/** Mean ns per call of `fn` over `n` calls, after `n / 5` warm-up calls; the best of 3 runs. */
function meanNs(fn, n) {
  let sink;
  for (let i = 0; i < n / 5; i++) sink = fn();
  let best = Infinity;
  for (let run = 0; run < 3; run++) {
    const start = now();
    for (let i = 0; i < n; i++) sink = fn();
    best = Math.min(best, Number(now() - start) / n);
  }
  globalThis.__benchSink = sink;
  return best;
}

async function meanNsAsync(fn, n) {
  for (let i = 0; i < n / 5; i++) await fn();
  let best = Infinity;
  for (let run = 0; run < 3; run++) {
    const start = now();
    for (let i = 0; i < n; i++) await fn();
    best = Math.min(best, Number(now() - start) / n);
  }
  return best;
}

/**
 * @param {{ code: string, settings: object, input: object, output: object, plugin: any, n: number }} options
 * @returns the steps (µs each) and their sum next to the measured invoke
 */
export async function runtimeBreakdown({ code, settings, input, plugin, n }) {
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
  const call1 = context.global.getSync('__bench_call', { reference: true });
  const call6 = context.global.getSync('__bench_envelope', { reference: true });
  const args6 = [POINT, inputJson, settingsJson, nowOf(input), seedOf(inputJson), 1024];
  const envelope = call6.applySync(undefined, args6);
  const output = JSON.parse(envelope).o;

  const steps = [];
  const step = (name, where, fn, count = n) => steps.push({ step: name, where, us: meanNs(fn, count) / 1000 });

  step('JSON.stringify(input)', 'runtime.ts invoke', () => JSON.stringify(input));
  step('Buffer.byteLength(inputJson)', 'runtime.ts invoke', () => Buffer.byteLength(inputJson));
  step('input validation (compiled TypeBox Check)', 'runtime.ts assertMatches(spec.input)', () => validateAgainst(spec.input, input));
  step('getExtensionPoint ×2 + budget spread', 'runtime.ts invoke/budgetFor', () => ({ ...getExtensionPoint(POINT).budget, ...getExtensionPoint(POINT).budget }));
  step('settings: JSON.stringify + cache lookup', 'runtime.ts settingsJsonFor', () => settingsCache.get(JSON.stringify({})));
  step('seedOf(inputJson) (FNV-1a in JS)', 'runtime.ts seedOf', () => seedOf(inputJson));
  step('nowOf(input) (Date.parse)', 'runtime.ts nowOf', () => nowOf(input));
  step('isolate.cpuTime ×2', 'plugin-isolate.ts call', () => isolate.cpuTime + isolate.cpuTime);
  step('process.hrtime.bigint ×2', 'plugin-isolate.ts call', () => process.hrtime.bigint() + process.hrtime.bigint());
  step('applySync, 6 args → envelope, no timeout', 'plugin-isolate.ts call (guest work included)', () => call6.applySync(undefined, args6));
  step('applySync, 6 args → envelope, { timeout: 100 }', 'plugin-isolate.ts call (what the runtime does)', () =>
    call6.applySync(undefined, args6, { timeout: 100 }),
  );
  step('getHeapStatisticsSync()', 'plugin-isolate.ts call (heapUsedBytes)', () => isolate.getHeapStatisticsSync());
  step('JSON.parse(envelope)', 'plugin-isolate.ts call', () => JSON.parse(envelope));
  step('Buffer.byteLength(JSON.stringify(output))', 'runtime.ts outputBytes', () => Buffer.byteLength(JSON.stringify(output)));
  step('output validation (compiled TypeBox Check)', 'runtime.ts assertMatches(spec.output)', () => validateAgainst(spec.output, output));
  step('spec.checkOutput(input, output)', 'runtime.ts checkOutput', () => spec.checkOutput(input, output));
  const measurements = { cpuMicros: 0, wallMicros: 0, cpuBudgetMicros: 0, cpuHeadroomMicros: 0, heapUsedBytes: 0, heapLimitBytes: 0, inputBytes: 0, outputBytes: 0, logBytes: 0, hostCalls: 0, isolate: 'warm' };
  step('measurements objects + logs reduce', 'runtime.ts invoke', () => ({ ...measurements, cpuMicros: 1, logBytes: [].reduce((s, l) => s + l, 0) }));

  const asyncUs = (await meanNsAsync(async () => 1, n)) / 1000;
  steps.push({ step: 'async function + await', where: 'runtime.ts invoke (API is async)', us: asyncUs });

  // Reference points: the bare call (1 arg, no timeout) and the whole runtime invoke, measured the same way.
  const bareUs = meanNs(() => JSON.parse(call1.applySync(undefined, [JSON.stringify(input)])), n) / 1000;
  const invokeUs = (await meanNsAsync(() => plugin.invoke(POINT, input), n)) / 1000;
  isolate.dispose();

  // The runtime performs each step once, except: `applySync` once (with timeout) — not both variants.
  const counted = steps.filter((s) => s.step !== 'applySync, 6 args → envelope, no timeout');
  const sumUs = counted.reduce((sum, s) => sum + s.us, 0);
  return { steps, sumOfStepsUs: sumUs, bareIvmCallUs: bareUs, runtimeInvokeUs: invokeUs, unexplainedUs: invokeUs - sumUs };
}
