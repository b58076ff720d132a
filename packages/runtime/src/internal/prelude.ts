// The guest-side half of the bridge, evaluated in every isolate before the plugin bundle.
//
// Why it is written this way:
// - Everything it needs (JSON, Date, Object.freeze…) is captured before plugin code runs, so a plugin
//   that redefines globals can only break itself, never the envelope the host parses.
// - Logs are buffered guest-side with a byte cap: a log flood costs the guest's own CPU budget and
//   never crosses the boundary call by call.
// - The host receives one string per call (primitives cross isolates by copy; no Reference, no
//   ExternalCopy and no host object ever enters the guest).
// - Determinism: Date.now()/new Date() return the invocation's `now`; Math.random is a seeded PRNG;
//   nondeterministic or escape-prone globals are removed.

import { guestSideSurface, hostCallSurface } from '@tongkit/sdk';

/** File name the prelude is compiled under; its frames are dropped from plugin stacks. */
export const PRELUDE_FILENAME = 'tongkit-prelude.js';
/** Global name the plugin bundle (esbuild IIFE) assigns its module namespace to. */
export const BUNDLE_GLOBAL = '__tongkit_plugin';

/**
 * How much of an error a plugin throws crosses to the host, in UTF-16 characters: its name, its message
 * and its stack. A plugin's error is a TK_PLUGIN_ERROR however long its message; past these it is cut
 * (saying how much was cut), rather than filling the envelope and being reported as an output too large.
 */
export const MAX_ERROR_NAME_CHARS = 200;
export const MAX_ERROR_MESSAGE_CHARS = 2_000;
export const MAX_ERROR_STACK_CHARS = 8_000;
/** Room an envelope needs for such an error beside its logs: JSON may escape a character as 6 (\uXXXX). */
export const MAX_ERROR_ENVELOPE_CHARS = (MAX_ERROR_NAME_CHARS + MAX_ERROR_MESSAGE_CHARS + MAX_ERROR_STACK_CHARS + 300) * 6 + 4096;

/** Guest-side methods the prelude implements; generation refuses a catalogue that names another. */
const GUEST_SIDE_IMPLEMENTED: Record<string, readonly string[]> = { log: ['info', 'warn', 'error'] };
for (const [namespace, methods] of Object.entries(guestSideSurface())) {
  const missing = methods.filter((method) => !GUEST_SIDE_IMPLEMENTED[namespace]?.includes(method));
  if (missing.length > 0) throw new Error(`the prelude implements no guest-side ctx.${namespace}.${missing.join(', ')} the host-API catalogue names`);
}

export const PRELUDE_SOURCE = String.raw`
(function (G) {
  'use strict';
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const freeze = Object.freeze;
  const keysOf = Object.keys;
  const defineProperty = Object.defineProperty;
  const hasOwn = Object.hasOwn;
  const construct = Reflect.construct;
  const StringOf = String;
  const RealDate = G.Date;
  const imul = Math.imul;
  const isFiniteNumber = Number.isFinite;

  let fixedNow = 0;
  let seed = 1;
  let seeded = false;
  let currentInput = '';
  let logs = [];
  let logBytes = 0;
  let logCap = 1024;
  let logsTruncated = false;
  let handlers = null;
  let eventHandlers = null;
  // Host calls of event handlers: the host's Callback takes the request, and answers later through
  // __tk_settle, which the host holds a Reference to. The guest only ever sees plain functions.
  const hostCall = G.__tk_hostcall;
  const pending = new Map();
  let nextCallId = 0;
  // Bounds of the current event invocation, enforced here before anything crosses to the host (which
  // checks them again): a guest firing calls in a loop, or with huge arguments, must not make the host
  // copy and queue them. One call past the cap still crosses, so that the host records the violation.
  let crossings = 0;
  let maxCrossings = 0;
  let maxArgsChars = 0;

  // --- determinism -------------------------------------------------------------------------------
  // Named FixedDate, not Date: a hoisted \`function Date\` would shadow the real one captured above.
  const FixedDate = function Date(...args) {
    if (new.target === undefined) return new RealDate(fixedNow).toString();
    return construct(RealDate, args.length === 0 ? [fixedNow] : args, new.target);
  };
  defineProperty(FixedDate, 'prototype', { value: RealDate.prototype });
  FixedDate.now = function now() { return fixedNow; };
  FixedDate.parse = RealDate.parse;
  FixedDate.UTC = RealDate.UTC;
  defineProperty(RealDate.prototype, 'constructor', { value: FixedDate, writable: true, configurable: true });
  G.Date = FixedDate;

  // Intl.DateTimeFormat formats "now" when given no date, and V8 reads the real clock for that
  // (not Date.now): a formatter without a date gets the invocation's now instead.
  const apply = Reflect.apply;
  const DateTimeFormatPrototype = G.Intl.DateTimeFormat.prototype;
  const realFormatGetter = Object.getOwnPropertyDescriptor(DateTimeFormatPrototype, 'format').get;
  const realFormatToParts = DateTimeFormatPrototype.formatToParts;
  defineProperty(DateTimeFormatPrototype, 'format', {
    configurable: true,
    get: function format() {
      const bound = apply(realFormatGetter, this, []);
      return (date) => bound(date === undefined ? fixedNow : date);
    },
  });
  defineProperty(DateTimeFormatPrototype, 'formatToParts', {
    configurable: true,
    writable: true,
    value: function formatToParts(date) {
      return apply(realFormatToParts, this, [date === undefined ? fixedNow : date]);
    },
  });

  // mulberry32: small, fast, and the same sequence for the same seed.
  // Seeded from the invocation's input (FNV-1a) on first use only: most plugins never call it.
  function seedFromInput() {
    let hash = 0x811c9dc5;
    for (let i = 0; i < currentInput.length; i++) hash = imul(hash ^ currentInput.charCodeAt(i), 0x01000193);
    seed = hash | 0;
    seeded = true;
  }
  Math.random = function random() {
    if (!seeded) seedFromInput();
    seed = (seed + 0x6d2b79f5) | 0;
    let t = imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  for (const name of ['WebAssembly', 'SharedArrayBuffer', 'Atomics', 'WeakRef', 'FinalizationRegistry']) {
    try { delete G[name]; } catch (_) {}
  }

  // --- console -----------------------------------------------------------------------------------
  // UTF-8 bytes as the host counts them (Buffer.byteLength): a surrogate pair is 4 bytes, a lone
  // surrogate 3 (it becomes U+FFFD). charCodeAt is captured: a plugin replacing it cannot shrink the count.
  const charCodeAt = Function.prototype.call.bind(String.prototype.charCodeAt);
  function utf8Length(text) {
    let bytes = 0;
    for (let i = 0; i < text.length; i++) {
      const c = charCodeAt(text, i);
      if (c < 0x80) bytes += 1;
      else if (c < 0x800) bytes += 2;
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && charCodeAt(text, i + 1) >= 0xdc00 && charCodeAt(text, i + 1) <= 0xdfff) { bytes += 4; i++; }
      else bytes += 3;
    }
    return bytes;
  }
  function show(value) {
    if (typeof value === 'string') return value;
    try {
      const text = stringify(value);
      return text === undefined ? StringOf(value) : text;
    } catch (_) {
      try { return StringOf(value); } catch (_) { return '[unprintable]'; }
    }
  }
  function logger(level) {
    return function (...args) {
      if (logsTruncated) return;
      let line = '';
      for (let i = 0; i < args.length; i++) line += (i ? ' ' : '') + show(args[i]);
      const size = utf8Length(line) + 1;
      if (logBytes + size > logCap) { logsTruncated = true; return; }
      logBytes += size;
      logs[logs.length] = { level, message: line };
    };
  }
  G.console = freeze({
    log: logger('info'), info: logger('info'), debug: logger('debug'), warn: logger('warn'), error: logger('error'),
  });

  // --- bridge ------------------------------------------------------------------------------------
  function text(read) { try { const v = read(); return typeof v === 'string' ? v : StringOf(v); } catch (_) { return ''; } }
  const sliceOf = Function.prototype.call.bind(String.prototype.slice);
  const startsWith = Function.prototype.call.bind(String.prototype.startsWith);
  // At most max characters of value, saying how many were cut; never half of a surrogate pair.
  function cut(value, max) {
    if (value.length <= max) return value;
    const end = charCodeAt(value, max - 1) >= 0xd800 && charCodeAt(value, max - 1) <= 0xdbff ? max - 1 : max;
    return sliceOf(value, 0, end) + '… (' + (value.length - end) + ' more characters)';
  }
  function bounded(name, message, stack) {
    const shortName = cut(name, ${MAX_ERROR_NAME_CHARS});
    const shortMessage = cut(message, ${MAX_ERROR_MESSAGE_CHARS});
    // V8's stack starts with "name: message": that head is shortened alike, so the frames after it stay.
    const head = message ? name + ': ' + message : name;
    if ((shortName !== name || shortMessage !== message) && startsWith(stack, head)) {
      stack = (shortMessage ? shortName + ': ' + shortMessage : shortName) + sliceOf(stack, head.length);
    }
    return { name: shortName, message: shortMessage, stack: cut(stack, ${MAX_ERROR_STACK_CHARS}) };
  }
  function describe(err) {
    if (err === null || (typeof err !== 'object' && typeof err !== 'function')) {
      return bounded('Error', 'threw a non-Error value: ' + text(() => StringOf(err)), '');
    }
    const name = text(() => err.name);
    const message = text(() => err.message);
    if (!name && !message) return bounded('Error', 'threw a non-Error value: ' + show(err), '');
    return bounded(name || 'Error', message, text(() => err.stack));
  }
  function codeOf(err) {
    try {
      const code = err !== null && typeof err === 'object' ? err.code : undefined;
      return typeof code === 'string' ? code : undefined;
    } catch (_) { return undefined; }
  }
  function finiteNumbersOnly(key, value) {
    if (typeof value === 'number' && !isFiniteNumber(value)) {
      throw new TypeError(StringOf(value) + ' is not a JSON number' + (key === '' ? '' : ' (at "' + key + '")'));
    }
    return value;
  }
  function envelope(fields) {
    return stringify({ l: logs, t: logsTruncated, ...fields });
  }

  G.__tk_register = function register() {
    const ns = G.${BUNDLE_GLOBAL};
    // The bundle's \`var\` makes this global non-deletable: it is emptied here (the host deletes it too).
    try { G.${BUNDLE_GLOBAL} = undefined; } catch (_) {}
    const plugin = ns && typeof ns === 'object' && hasOwn(ns, 'default') ? ns.default : undefined;
    if (!plugin || typeof plugin !== 'object') {
      return stringify({ error: 'the bundle has no default export; export default definePlugin({...})' });
    }
    const found = {};
    const extensions = plugin.extensions;
    if (extensions && typeof extensions === 'object') {
      for (const key of keysOf(extensions)) {
        if (typeof extensions[key] === 'function') found[key] = extensions[key];
      }
    }
    handlers = found;
    const foundEvents = {};
    const events = plugin.events;
    if (events && typeof events === 'object') {
      for (const key of keysOf(events)) {
        if (typeof events[key] === 'function') foundEvents[key] = events[key];
      }
    }
    // The manifest's events are the plugin's own handlers; cron triggers arrive as one more event,
    // schedule.fired, routed here by the schedule's name (the manifest lists them under schedules).
    const ownEvents = keysOf(foundEvents);
    const schedules = plugin.schedules;
    if (Array.isArray(schedules) && !hasOwn(foundEvents, 'schedule.fired')) {
      const byName = {};
      for (const schedule of schedules) {
        if (schedule && typeof schedule === 'object' && typeof schedule.handler === 'function') byName[StringOf(schedule.name)] = schedule.handler;
      }
      foundEvents['schedule.fired'] = (event, ctx) => {
        const name = event && event.data ? StringOf(event.data.schedule) : '';
        if (!hasOwn(byName, name)) throw new Error('the plugin has no schedule ' + name);
        return byName[name](event, ctx);
      };
    }
    eventHandlers = foundEvents;
    return stringify({ extensions: keysOf(found), events: ownEvents, name: StringOf(plugin.name), version: StringOf(plugin.version) });
  };

  // Every invocation starts from the same clean slate: its own clock, seed source and log buffer.
  function beginInvocation(inputJson, nowMs, cap) {
    fixedNow = nowMs;
    seeded = false;
    currentInput = inputJson;
    logs = [];
    logBytes = 0;
    logCap = cap;
    logsTruncated = false;
  }

  G.__tk_invoke = function invoke(point, inputJson, settingsJson, nowMs, cap) {
    beginInvocation(inputJson, nowMs, cap);
    try {
      const handler = handlers !== null && hasOwn(handlers, point) ? handlers[point] : undefined;
      if (typeof handler !== 'function') return envelope({ m: 'the plugin has no handler for ' + point });
      // Settings are parsed afresh for every call rather than frozen once: a plugin mutating them cannot
      // carry state to the next call, and frozen arrays lose V8's fast paths (find/some ~10× slower).
      let output;
      try {
        output = handler(parse(inputJson), freeze({ settings: parse(settingsJson) }));
      } catch (err) {
        return envelope({ e: describe(err) });
      }
      if (output !== null && typeof output === 'object' && typeof output.then === 'function') {
        return envelope({ x: 'returned a Promise: extension handlers must be synchronous (no async/await)' });
      }
      let json;
      try {
        json = stringify(output);
        // NaN and ±Infinity serialise as null; only then pay for a second pass that refuses them.
        if (json !== undefined && json.includes('null')) stringify(output, finiteNumbersOnly);
      } catch (err) {
        return envelope({ x: 'output is not JSON-serialisable: ' + describe(err).message });
      }
      if (json === undefined) return envelope({ x: 'returned ' + typeof output + ', expected an object' });
      return '{"l":' + stringify(logs) + ',"t":' + (logsTruncated ? 'true' : 'false') + ',"o":' + json + '}';
    } catch (err) {
      try { return envelope({ e: describe(err) }); } catch (_) { return '{"l":[],"t":true,"e":{"name":"Error","message":"unreportable error","stack":""}}'; }
    }
  };
  G.__tk_settle = function settle(callId, okJson, errorJson) {
    const waiting = pending.get(callId);
    if (waiting === undefined) return;
    pending.delete(callId);
    if (errorJson !== null) {
      const failure = parse(errorJson);
      const error = new Error(failure.message);
      error.code = failure.code;
      waiting.reject(error);
    } else {
      waiting.resolve(okJson === null ? undefined : parse(okJson));
    }
  };

  function refusal(code, message) {
    const error = new Error(message);
    error.code = code;
    return error;
  }

  function callHost(token, namespace, method, args) {
    // A context kept from an earlier invocation carries an old token: the host refuses it.
    const callId = ++nextCallId;
    let argsJson;
    try {
      argsJson = stringify(args);
      // As for outputs: NaN and ±Infinity would reach the host as null; refuse them instead.
      if (argsJson !== undefined && argsJson.includes('null')) stringify(args, finiteNumbersOnly);
    } catch (err) { return Promise.reject(new TypeError('host call arguments must be JSON: ' + describe(err).message)); }
    const json = argsJson === undefined ? '[]' : argsJson;
    // UTF-8 takes at least a byte per UTF-16 unit: longer than the byte limit is over it.
    if (json.length > maxArgsChars) {
      return Promise.reject(refusal('TK_VALIDATION', 'ctx.' + namespace + '.' + method + ' arguments are ' + json.length + ' characters of JSON, over the ' + maxArgsChars + '-byte limit of a host call'));
    }
    if (++crossings > maxCrossings) {
      return Promise.reject(refusal('TK_HOST_CALL_LIMIT', 'more than ' + (maxCrossings - 1) + ' host calls in this invocation'));
    }
    return new Promise((resolve, reject) => {
      pending.set(callId, { resolve, reject });
      hostCall(token, callId, namespace, method, json);
    });
  }

  // The namespaces and methods of ctx come from the SDK's host-API catalogue (HOST_API), written in
  // here as JSON when the prelude is generated: methods that cross to the host, and methods the prelude
  // answers itself (their implementations are below, and generation refuses one it does not have).
  const HOST_CALLS = parse(${JSON.stringify(JSON.stringify(hostCallSurface()))});
  const GUEST_SIDE = parse(${JSON.stringify(JSON.stringify(guestSideSurface()))});
  const logLine = (level) => (message, data) => logger(level)(data === undefined ? show(message) : show(message) + ' ' + show(data));
  const guestSide = { log: { info: logLine('info'), warn: logLine('warn'), error: logLine('error') } };

  function eventContext(token, settings, merchantId) {
    const context = { settings, merchantId };
    for (const namespace of keysOf(HOST_CALLS)) {
      const object = {};
      for (const method of HOST_CALLS[namespace]) object[method] = (...args) => callHost(token, namespace, method, args);
      context[namespace] = object;
    }
    for (const namespace of keysOf(GUEST_SIDE)) {
      const object = context[namespace] || {};
      for (const method of GUEST_SIDE[namespace]) object[method] = guestSide[namespace][method];
      context[namespace] = object;
    }
    for (const namespace of keysOf(context)) {
      if (namespace !== 'settings' && namespace !== 'merchantId') freeze(context[namespace]);
    }
    return freeze(context);
  }

  G.__tk_event = async function event(name, eventJson, settingsJson, merchantId, nowMs, cap, token, callCap, argsCap) {
    beginInvocation(eventJson, nowMs, cap);
    crossings = 0;
    maxCrossings = callCap + 1;
    maxArgsChars = argsCap;
    try {
      const handler = eventHandlers !== null && hasOwn(eventHandlers, name) ? eventHandlers[name] : undefined;
      if (typeof handler !== 'function') return envelope({ m: 'the plugin has no handler for ' + name });
      try {
        await handler(parse(eventJson), eventContext(token, parse(settingsJson), merchantId));
      } catch (err) {
        // A host error the plugin let through keeps its code, so the host can tell what failed.
        const described = describe(err);
        const code = codeOf(err);
        if (code !== undefined) described.code = code;
        return envelope({ e: described });
      }
      return '{"l":' + stringify(logs) + ',"t":' + (logsTruncated ? 'true' : 'false') + ',"o":null}';
    } catch (err) {
      try { return envelope({ e: describe(err) }); } catch (_) { return '{"l":[],"t":true,"e":{"name":"Error","message":"unreportable error","stack":""}}'; }
    }
  };
})(globalThis);
`;
