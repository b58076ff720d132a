// The contestants: one built plugin bundle (esbuild IIFE assigning `__tongkit_plugin`) run by each
// engine with the same JSON in and out. Only the runtime validates; the others are floors and peers.
import vm from 'node:vm';
import ivm from 'isolated-vm';

export const POINT = 'member.tier.compute';
const BUNDLE_GLOBAL = '__tongkit_plugin';

/**
 * Guest-side glue for the bare engines: `(s) => JSON.stringify(f(JSON.parse(s), ctx))` with the
 * resolved settings baked in, installed as `globalThis.__bench_call`.
 */
export function glue(point, settings) {
  return `;(() => {
  const f = globalThis.${BUNDLE_GLOBAL}.default.extensions[${JSON.stringify(point)}];
  const ctx = Object.freeze({ settings: Object.freeze(${JSON.stringify(settings)}) });
  globalThis.__bench_call = (s) => JSON.stringify(f(JSON.parse(s), ctx));
})();`;
}

/** The handler as a plain function in this realm (the bundle evaluated with `new Function`). */
export function hostHandler(code, point) {
  // The bundle declares `var __tongkit_plugin = (() => {…})()`; inside a Function body it is local.
  const ns = new Function(`${code}\n;return ${BUNDLE_GLOBAL};`)();
  const handler = ns.default.extensions[point];
  if (typeof handler !== 'function') throw new Error(`the bundle has no ${point} handler`);
  return handler;
}

/** Direct call: the limit. Objects in, object out, no copy, no sandbox. */
export function direct(code, point, settings) {
  const handler = hostHandler(code, point);
  const ctx = Object.freeze({ settings: Object.freeze(structuredClone(settings)) });
  return { kind: 'sync', call: (input) => handler(input, ctx) };
}

/** Direct call with the JSON round trip every sandbox pays (stringify in, parse in, stringify out, parse out). */
export function directJson(code, point, settings) {
  const handler = hostHandler(code, point);
  const ctx = Object.freeze({ settings: Object.freeze(structuredClone(settings)) });
  return { kind: 'sync', call: (input) => JSON.parse(JSON.stringify(handler(JSON.parse(JSON.stringify(input)), ctx))) };
}

/** A bare isolated-vm isolate: bundle + glue, called with Reference.applySync (no timeout, no checks). */
export function bareIvm(code, point, settings, { heapMb = 16, timeoutMs } = {}) {
  const isolate = new ivm.Isolate({ memoryLimit: heapMb });
  const context = isolate.createContextSync();
  isolate.compileScriptSync(code + glue(point, settings), { filename: 'plugin.js' }).runSync(context);
  const ref = context.global.getSync('__bench_call', { reference: true });
  const options = timeoutMs === undefined ? undefined : { timeout: timeoutMs };
  return {
    kind: 'sync',
    isolate,
    ref,
    call: (input) => JSON.parse(ref.applySync(undefined, [JSON.stringify(input)], options)),
    dispose: () => isolate.dispose(),
  };
}

/** node:vm: a second V8 context in this isolate. Not a security boundary; a peer for speed only. */
export function nodeVm(code, point, settings) {
  const context = vm.createContext({});
  vm.runInContext(code + glue(point, settings), context, { filename: 'plugin.js' });
  const fn = vm.runInContext('__bench_call', context);
  return { kind: 'sync', call: (input) => JSON.parse(fn(JSON.stringify(input))) };
}

/** QuickJS compiled to WebAssembly (quickjs-emscripten, release-sync build). */
export function quickJs(QuickJS, code, point, settings) {
  const ctx = QuickJS.newContext();
  ctx.unwrapResult(ctx.evalCode(code + glue(point, settings), 'plugin.js')).dispose();
  const fn = ctx.getProp(ctx.global, '__bench_call');
  return {
    kind: 'sync',
    call: (input) => {
      const arg = ctx.newString(JSON.stringify(input));
      const result = ctx.callFunction(fn, ctx.undefined, arg);
      arg.dispose();
      const handle = ctx.unwrapResult(result);
      const text = ctx.getString(handle);
      handle.dispose();
      return JSON.parse(text);
    },
    dispose: () => {
      fn.dispose();
      ctx.dispose();
    },
  };
}

/** The Tongkit runtime: `await plugin.invoke(point, input)` (validation in and out, limits, measurements). */
export function runtimeInvoke(plugin, point, settings) {
  const engine = {
    kind: 'async',
    /** The last InvocationResult, for its measurements. */
    last: undefined,
    call: async (input) => {
      const result = await plugin.invoke(point, input, settings);
      engine.last = result;
      if (!result.ok) throw new Error(`runtime invoke failed: ${result.error.code} ${result.error.message}`);
      return result.output;
    },
  };
  return engine;
}

// --- cold starts: everything from nothing to the first output, disposal included -----------------

/** new Isolate + context + compile (optionally from V8 cached data) + run + first call + dispose. */
export function coldBareIvm(code, point, settings, input, { heapMb = 16, cachedData } = {}) {
  const isolate = new ivm.Isolate({ memoryLimit: heapMb });
  try {
    const context = isolate.createContextSync();
    const script = isolate.compileScriptSync(code + glue(point, settings), cachedData ? { filename: 'plugin.js', cachedData } : { filename: 'plugin.js' });
    script.runSync(context);
    const ref = context.global.getSync('__bench_call', { reference: true });
    return JSON.parse(ref.applySync(undefined, [JSON.stringify(input)]));
  } finally {
    isolate.dispose();
  }
}

/** V8 code cache for bundle + glue, made once (what the runtime's CodeCache keeps per sha256). */
export function cachedDataFor(code, point, settings) {
  const isolate = new ivm.Isolate({ memoryLimit: 16 });
  try {
    const script = isolate.compileScriptSync(code + glue(point, settings), { filename: 'plugin.js', produceCachedData: true });
    return script.cachedData;
  } finally {
    isolate.dispose();
  }
}

export function coldNodeVm(code, point, settings, input) {
  return nodeVm(code, point, settings).call(input);
}

export function coldQuickJs(QuickJS, code, point, settings, input) {
  const engine = quickJs(QuickJS, code, point, settings);
  try {
    return engine.call(input);
  } finally {
    engine.dispose();
  }
}
