import type { TSchema } from '@sinclair/typebox';
import { LRUCache } from 'lru-cache';
import {
  EVENT_HANDLER_BUDGET,
  SYNC_POINT_BUDGET,
  TkError,
  type EventBudget,
  type TongkitEvent,
  getExtensionPoint,
  type ExtensionPointId,
  type Manifest,
  type PointBudget,
  type PointOutput,
} from '@tongkit/sdk';
import { CodeCache } from './internal/code-cache.js';
import { checkRegistrationMatches, verifyBundle, type PluginBundle } from './internal/load.js';
import { PluginIsolate, type GuestCallResult } from './internal/plugin-isolate.js';
import { encodeEvent, eventFailure, runEvent, type EventHost, type EventResult } from './internal/event-invocation.js';
import { encodeInput, judgeCall } from './internal/extension-invocation.js';
import { refuseDeepJson, MAX_MANIFEST_DEPTH } from './internal/json-depth.js';
import { MAX_ERROR_ENVELOPE_CHARS } from './internal/prelude.js';
import { encodeSettings, resolveSettingsWith } from './internal/settings.js';

export type { EventHost, EventMeasurements, EventResult } from './internal/event-invocation.js';

export type { PluginBundle } from './internal/load.js';

/** What one invocation cost. Every result carries it, success or failure. */
export interface Measurements {
  /** CPU time the guest used, from the isolate's cpuTime. */
  cpuMicros: number;
  /** Wall time of the guest call. */
  wallMicros: number;
  /** The point's CPU budget, and what was left of it (negative when exceeded). */
  cpuBudgetMicros: number;
  cpuHeadroomMicros: number;
  /** Guest heap in use after the call, and the isolate's limit. */
  heapUsedBytes: number;
  heapLimitBytes: number;
  inputBytes: number;
  outputBytes: number;
  logBytes: number;
  /** Host calls made by the plugin (extension points are pure: always 0 for now). */
  hostCalls: number;
  /** `warm`: an existing isolate served the call; `cold`: one was created for it. */
  isolate: 'warm' | 'cold';
}

/** One captured `console.*` line. */
export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
}

interface ResultBase {
  logs: LogLine[];
  /** True when the plugin logged more than the per-invocation cap and the rest was dropped. */
  logsTruncated: boolean;
  measurements: Measurements;
}

/** The outcome of {@link LoadedPlugin.invoke}: a validated output, or a {@link TkError}. Never throws for plugin faults. */
export type InvocationResult<O = unknown> = (ResultBase & { ok: true; output: O }) | (ResultBase & { ok: false; error: TkError });

/** Options of {@link createRuntime}. The platform may tune limits; plugins cannot. */
export interface RuntimeOptions {
  /** Overrides of every point's budget (e.g. a stricter wall stop in tests). */
  limits?: Partial<PointBudget>;
  /** Overrides of the event handler budget. */
  eventLimits?: Partial<EventBudget>;
  /** Upper bound of the bytes warm isolates may hold before the least recently used are disposed. Default 512 MiB. */
  maxIsolateBytes?: number;
  /**
   * Called when isolated-vm reports a catastrophic error: V8 lost control of an isolate and this
   * process must stop serving. Default: none, so isolated-vm prints and aborts the process itself, as it
   * prescribes. isolated-vm delivers this callback on the event loop while the failing thread waits
   * forever; guest calls here are synchronous on the caller's thread, so with a handler set a
   * catastrophic error (e.g. a guest string too large for its heap) hangs the process instead of aborting it.
   */
  onCatastrophicError?: (message: string) => void;
}

/** Options of {@link Runtime.load}. */
export interface LoadOptions {
  /** Which install this plugin serves: isolates are per (install, bundle). Default `local`. */
  installId?: string;
  /**
   * Who the plugin runs for (the host passes the merchant). The in-process runtime ignores it; the worker
   * pool ({@link createWorkerRuntime}) shards, limits and quarantines by it. Default: the installId.
   */
  tenant?: string;
}

/** Options of one invocation. */
export interface InvokeOptions {
  /** Run on a new isolate that is disposed afterwards (replay and review run plugins fresh). */
  fresh?: boolean;
}

/** Cache and isolate counters, for the host's metrics and `tongkit run --json`. */
export interface RuntimeStats {
  isolatesAlive: number;
  isolateBytes: number;
  warmHits: number;
  coldStarts: number;
  evictions: number;
  hitRate: number;
  codeCacheHits: number;
  codeCacheMisses: number;
}

/** A plugin bundle verified and ready to invoke. */
export interface LoadedPlugin {
  readonly manifest: Manifest;
  readonly sha256: string;
  readonly installId: string;
  /** The settings schema (from the manifest), for forms and defaults. */
  readonly settingsSchema: TSchema;
  /**
   * Runs the plugin's handler for `point` on `input` with `settings` (defaults applied, then
   * validated). Input and output are validated against the point's schemas.
   *
   * @example
   * const result = await plugin.invoke('member.tier.compute', input, { goldAtFen: 500_000 });
   * if (result.ok) console.log(result.output.tierId, result.measurements.cpuMicros);
   */
  invoke<P extends ExtensionPointId>(point: P, input: unknown, settings?: unknown, options?: InvokeOptions): Promise<InvocationResult<PointOutput<P>>>;
  /** Applies the schema's defaults to `settings` and validates them; throws TK_VALIDATION with the path. */
  resolveSettings(settings?: unknown): Record<string, unknown>;
  /**
   * Runs the plugin's handler for an event in the install's event isolate (separate from the one for
   * extension points: 64 MB, 5 s wall, 50 host calls). `host` performs the host calls behind `ctx`.
   *
   * @example
   * const result = await plugin.handleEvent(event, settings, { merchantId, permissions, call: (ns, method, args) => … });
   */
  handleEvent(event: TongkitEvent, settings: unknown, host: EventHost): Promise<EventResult>;
}

/** The sandboxed engine: warm isolates in a byte-bounded LRU, a shared code cache, limits and validation. */
export interface Runtime {
  /**
   * Verifies a bundle (manifest schema, settings schema, sha256, size), loads it into an isolate and
   * checks that the code implements exactly what the manifest declares.
   *
   * @example
   * const runtime = createRuntime();
   * const plugin = await runtime.load(await readPluginDir('dist'));
   */
  load(bundle: PluginBundle, options?: LoadOptions): Promise<LoadedPlugin>;
  stats(): RuntimeStats;
  /** Disposes every isolate. */
  dispose(): Promise<void>;
}

export { MAX_OUTPUT_DEPTH } from './internal/extension-invocation.js';

/** How much more CPU the first call on a new isolate may use (it also compiles the handler). */
export const FIRST_CALL_CPU_FACTOR = 5;

let icuWarm = false;
/**
 * ICU loads its locale data on first use, process-wide: 8–33 ms of CPU that would otherwise be charged
 * to whichever plugin first formats a number or date, and fail its 20 ms budget. Pay it once here.
 */
function warmUpIcu(): void {
  if (icuWarm) return;
  icuWarm = true;
  new Intl.NumberFormat('zh-CN', { style: 'currency', currency: 'CNY' }).format(1);
  new Date(0).toLocaleDateString('zh-CN');
  'a'.localeCompare('b', 'zh-CN');
}

function nowOf(input: unknown): number {
  const now = (input as { now?: unknown } | null)?.now;
  const ms = typeof now === 'string' ? Date.parse(now) : NaN;
  return Number.isNaN(ms) ? 0 : ms;
}

/** Measurements of an invocation that never reached the guest. @internal */
export function emptyMeasurements(budget: PointBudget, isolate: 'warm' | 'cold'): Measurements {
  return {
    cpuMicros: 0,
    wallMicros: 0,
    cpuBudgetMicros: budget.cpuMs * 1000,
    cpuHeadroomMicros: budget.cpuMs * 1000,
    heapUsedBytes: 0,
    heapLimitBytes: budget.heapMb * 1024 * 1024,
    inputBytes: 0,
    outputBytes: 0,
    logBytes: 0,
    hostCalls: 0,
    isolate,
  };
}

/** A point's budget with the platform's overrides. @internal */
export function pointBudget(point: string, limits: Partial<PointBudget> | undefined): PointBudget {
  const spec = getExtensionPoint(point);
  if (!spec) throw new TkError('TK_NOT_FOUND', `unknown extension point "${point}"`, { hint: 'Run `tongkit schema` to list the extension points.' });
  return { ...spec.budget, ...limits };
}

/**
 * Creates a sandboxed runtime. The API is asynchronous so the same calls work in-process (CLI, tests:
 * isolated-vm's synchronous calls underneath) and across the host's worker-process boundary.
 *
 * @example
 * const runtime = createRuntime();
 * const plugin = await runtime.load(bundle);
 * const result = await plugin.invoke('member.tier.compute', input, settings);
 */
export function createRuntime(options: RuntimeOptions = {}): Runtime {
  warmUpIcu();
  const codeCache = new CodeCache();
  const counters = { warmHits: 0, coldStarts: 0, evictions: 0 };
  const onCatastrophicError = options.onCatastrophicError;
  /** The tail of each event isolate key's queue of event invocations. */
  const eventQueues = new Map<string, Promise<unknown>>();
  const isolates = new LRUCache<string, PluginIsolate>({
    maxSize: options.maxIsolateBytes ?? 512 * 1024 * 1024,
    sizeCalculation: (isolate) => Math.max(1, isolate.heapBytes()),
    dispose: (isolate, _key, reason) => {
      if (reason === 'evict') {
        counters.evictions++;
        // An evicted event isolate may be running a handler (awaiting a host call): it finishes first.
        isolate.retire();
      } else {
        isolate.dispose();
      }
    },
  });

  /** Caches `isolate` under `key`; false when it is larger than the whole cache (counted as evicted: the caller disposes it). */
  function keep(key: string, isolate: PluginIsolate): boolean {
    isolates.set(key, isolate);
    if (isolates.peek(key) === isolate) return true;
    counters.evictions++;
    return false;
  }

  const budgetFor = (point: string) => pointBudget(point, options.limits);

  async function load(bundle: PluginBundle, loadOptions: LoadOptions = {}): Promise<LoadedPlugin> {
    refuseDeepJson(bundle.manifest, 'the manifest', 'TK_MANIFEST_INVALID', MAX_MANIFEST_DEPTH);
    const { manifest, settingsSchema, sha256 } = verifyBundle(bundle);
    const installId = loadOptions.installId ?? 'local';
    const key = `${installId}@${sha256}`;
    const heapMb = Math.max(...manifest.extensions.map((p) => budgetFor(p).heapMb), 8);

    const newIsolate = () =>
      new PluginIsolate({ code: bundle.code, sha256, heapMb, codeCache, ...(onCatastrophicError ? { onCatastrophicError } : {}) });

    // Load once now: a bundle that fails to load, or lies in its manifest, is refused up front.
    const first = newIsolate();
    try {
      checkRegistrationMatches(manifest, first.registration);
    } catch (error) {
      first.dispose();
      throw error;
    }
    if (!keep(key, first)) first.dispose();
    counters.coldStarts++;

    const settingsCache = new Map<string, string>();
    const resolveSettings = (settings: unknown = {}) => resolveSettingsWith(settingsSchema, settings);
    function settingsJsonFor(settings: unknown): string {
      const raw = encodeSettings(settings);
      let resolved = settingsCache.get(raw);
      if (resolved === undefined) {
        resolved = JSON.stringify(resolveSettings(settings));
        if (settingsCache.size >= 32) settingsCache.clear();
        settingsCache.set(raw, resolved);
      }
      return resolved;
    }

    async function invoke<P extends ExtensionPointId>(
      point: P,
      input: unknown,
      settings?: unknown,
      invokeOptions: InvokeOptions = {},
    ): Promise<InvocationResult<PointOutput<P>>> {
      const spec = getExtensionPoint(point);
      const budget = spec ? budgetFor(point) : { ...SYNC_POINT_BUDGET, ...options.limits };
      let isolateState: 'warm' | 'cold' = 'warm';
      const measurements = emptyMeasurements(budget, isolateState);
      /** A failure before the guest answered (bad input or settings, a stop, a crash of the isolate). */
      const fail = (error: unknown): InvocationResult<PointOutput<P>> => ({
        ok: false,
        error: TkError.from(error, 'unexpected runtime failure'),
        logs: [],
        logsTruncated: false,
        measurements,
      });

      try {
        const inputJson = encodeInput(point, spec, manifest, input, budget, measurements);
        const settingsJson = settingsJsonFor(settings);

        let isolate: PluginIsolate | undefined = invokeOptions.fresh ? undefined : isolates.get(key);
        let oneShot = invokeOptions.fresh === true;
        if (!isolate || isolate.disposed) {
          isolateState = 'cold';
          isolate = newIsolate();
          if (!oneShot) oneShot = !keep(key, isolate);
          counters.coldStarts++;
        } else {
          counters.warmHits++;
        }
        measurements.isolate = isolateState;

        // V8 compiles functions lazily: the first call on an isolate pays for compiling the handler
        // (milliseconds for a large plugin). That is the platform's cost, not the plugin's, so the first
        // call gets FIRST_CALL_CPU_FACTOR × the budget; every later call gets the budget itself.
        const cpuBudgetMicros = budget.cpuMs * 1000 * (isolate.fresh ? FIRST_CALL_CPU_FACTOR : 1);
        let call: GuestCallResult;
        try {
          call = isolate.call({
            point,
            inputJson,
            settingsJson,
            nowMs: nowOf(input),
            logCap: budget.logBytes,
            wallMs: budget.wallMs,
            // Worst case JSON escaping is 6 chars per char (\uXXXX); anything longer cannot be within limits.
            maxEnvelopeChars: (budget.outputBytes + budget.logBytes) * 6 + MAX_ERROR_ENVELOPE_CHARS,
          });
        } catch (error) {
          if (isolate.disposed) isolates.delete(key);
          if (error instanceof TkError && typeof error.details?.wallMicros === 'number') measurements.wallMicros = error.details.wallMicros;
          if (error instanceof TkError && typeof error.details?.cpuMicros === 'number') {
            measurements.cpuMicros = error.details.cpuMicros;
            measurements.cpuHeadroomMicros = budget.cpuMs * 1000 - error.details.cpuMicros;
          }
          throw error;
        } finally {
          if (oneShot) isolate.dispose();
        }

        return judgeCall<PointOutput<P>>({ point, spec: spec!, input, call, budget, cpuBudgetMicros, sourceMap: bundle.sourceMap, measurements });
      } catch (error) {
        return fail(error);
      }
    }

    const eventKey = `${key}#events`;
    const eventBudget = { ...EVENT_HANDLER_BUDGET, ...options.eventLimits };
    async function handleEvent(event: TongkitEvent, settings: unknown, host: EventHost): Promise<EventResult> {
      let eventJson: string;
      let settingsJson: string;
      try {
        eventJson = encodeEvent(manifest, event, eventBudget);
        settingsJson = settingsJsonFor(settings);
      } catch (error) {
        const failure = TkError.from(error, 'the event could not be run');
        return eventFailure(failure);
      }
      // One event at a time per event isolate key, and the isolate is taken only when it is this
      // event's turn: an event queued behind one that times out (and disposes the isolate) then runs
      // on a new isolate instead of failing on the disposed one.
      const run = (eventQueues.get(eventKey) ?? Promise.resolve()).then(async () => {
        let isolate = isolates.get(eventKey);
        let isolateState: 'warm' | 'cold' = 'warm';
        let oneShot = false;
        if (!isolate || isolate.disposed) {
          isolateState = 'cold';
          try {
            isolate = new PluginIsolate({ code: bundle.code, sha256, heapMb: eventBudget.heapMb, codeCache, ...(onCatastrophicError ? { onCatastrophicError } : {}) });
          } catch (error) {
            // The bundle loaded for extension points, but its top level fails in the (larger) event
            // isolate: ran too long, out of memory, or threw. A failed result like any other, not a throw.
            const failure = TkError.from(error, 'the event isolate could not be created');
            counters.coldStarts++;
            return eventFailure(failure, 'cold');
          }
          // Larger than the whole cache: used for this event only, then disposed (not leaked).
          oneShot = !keep(eventKey, isolate);
          counters.coldStarts++;
        } else {
          counters.warmHits++;
        }
        try {
          return await runEvent({ isolate, isolateState, event, eventJson, settingsJson, host, budget: eventBudget, sourceMap: bundle.sourceMap, declaredPermissions: manifest.permissions });
        } finally {
          if (oneShot) isolate.dispose();
          else if (isolate.disposed && isolates.peek(eventKey) === isolate) isolates.delete(eventKey);
        }
      });
      const tail = run.catch(() => undefined);
      eventQueues.set(eventKey, tail);
      void tail.then(() => {
        if (eventQueues.get(eventKey) === tail) eventQueues.delete(eventKey);
      });
      return run;
    }

    return { manifest, sha256, installId, settingsSchema, invoke, resolveSettings, handleEvent };
  }

  return {
    load,
    stats() {
      const total = counters.warmHits + counters.coldStarts;
      return {
        isolatesAlive: isolates.size,
        isolateBytes: isolates.calculatedSize,
        warmHits: counters.warmHits,
        coldStarts: counters.coldStarts,
        evictions: counters.evictions,
        hitRate: total === 0 ? 0 : counters.warmHits / total,
        codeCacheHits: codeCache.hits,
        codeCacheMisses: codeCache.misses,
      };
    },
    async dispose() {
      isolates.clear();
    },
  };
}
