import { LRUCache } from 'lru-cache';
import { TkError, type ExtensionPointId, type PointOutput, type TongkitEvent } from '@tongkit/sdk';
import {
  FIRST_CALL_CPU_FACTOR,
  eventBudgetOf,
  eventFailure,
  invocationBudget,
  prepareEvent,
  prepareInvocation,
  prepareLoad,
  type EventHost,
  type EventResult,
  type InvocationResult,
  type InvokeOptions,
  type LoadOptions,
  type LoadedPlugin,
  type Runtime,
  type RuntimeOptions,
} from './contract.js';
import { CodeCache } from './internal/code-cache.js';
import { checkRegistrationMatches, type PluginBundle } from './internal/load.js';
import { PluginIsolate, type GuestCallResult } from './internal/plugin-isolate.js';
import { runEvent } from './internal/event-invocation.js';
import { judgeCall } from './internal/extension-invocation.js';
import { MAX_ERROR_ENVELOPE_CHARS } from './internal/prelude.js';
import { resolveSettingsWith } from './internal/settings.js';

// The types both runtimes implement, and what they share, are the contract's (./contract.ts).
export { MAX_OUTPUT_DEPTH } from './internal/extension-invocation.js';

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

  async function load(bundle: PluginBundle, loadOptions: LoadOptions = {}): Promise<LoadedPlugin> {
    const { manifest, settingsSchema, sha256, installId } = prepareLoad(bundle, loadOptions);
    const key = `${installId}@${sha256}`;
    const heapMb = Math.max(...manifest.extensions.map((p) => invocationBudget(p, options.limits).budget.heapMb), 8);

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
    /** The settings with defaults applied, as JSON; `raw` is what {@link prepareInvocation} encoded. */
    function settingsJsonFor(settings: unknown, raw: string): string {
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
      const prepared = invocationBudget(point, options.limits);
      const { spec, budget, measurements } = prepared;
      let isolateState: 'warm' | 'cold' = 'warm';
      /** A failure before the guest answered (bad input or settings, a stop, a crash of the isolate). */
      const fail = (error: unknown): InvocationResult<PointOutput<P>> => ({
        ok: false,
        error: TkError.from(error, 'unexpected runtime failure'),
        logs: [],
        logsTruncated: false,
        measurements,
      });

      try {
        const { inputJson, settingsRaw } = prepareInvocation(point, manifest, input, settings, prepared);
        const settingsJson = settingsJsonFor(settings, settingsRaw);

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
    const eventBudget = eventBudgetOf(options);
    async function handleEvent(event: TongkitEvent, settings: unknown, host: EventHost): Promise<EventResult> {
      let eventJson: string;
      let settingsJson: string;
      try {
        const prepared = prepareEvent(manifest, event, settings, eventBudget);
        eventJson = prepared.eventJson;
        settingsJson = settingsJsonFor(settings, prepared.settingsRaw);
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
