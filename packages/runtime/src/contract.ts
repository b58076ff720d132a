// The runtime's contract: what both runtimes — the in-process engine (`createRuntime`) and the worker
// pool (`createWorkerRuntime`) — implement, and the preparation of a load, an invocation and an event
// that both make the same way (budget choice, input and event encoding, settings encoding), so that
// they give the same answer by construction rather than by agreeing in comments. Nothing here runs a
// guest: the engines import this file, never the other way round.
import type { TSchema } from '@sinclair/typebox';
import {
  EVENT_HANDLER_BUDGET,
  SYNC_POINT_BUDGET,
  TkError,
  getExtensionPoint,
  type EventBudget,
  type ExtensionPointId,
  type Manifest,
  type Permission,
  type PointBudget,
  type PointOutput,
  type TongkitEvent,
} from '@tongkit/sdk';
import { encodeJsonValue, refuseDeepJson, MAX_MANIFEST_DEPTH } from './internal/json-depth.js';
import { verifyBundle, type PluginBundle } from './internal/load.js';
import { encodeSettings } from './internal/settings.js';
import { assertMatches } from './internal/validation.js';

export type { PluginBundle } from './internal/load.js';
/** The largest bundle a runtime loads (and `tongkit build` writes), in bytes. */
export { MAX_BUNDLE_BYTES } from './internal/load.js';

type ExtensionPointSpec = NonNullable<ReturnType<typeof getExtensionPoint>>;

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

/** What the host provides to one event invocation: who it runs for and the host APIs behind `ctx`. */
export interface EventHost {
  merchantId: string;
  /** Permissions the merchant granted this install; every host call is checked against them. */
  permissions: readonly Permission[];
  /**
   * Performs one host call (`kv.increment`, …) after the runtime checked its permission and the
   * per-invocation cap. Throw a TkError to fail it; its code and message (only) reach the plugin.
   */
  call(namespace: string, method: string, args: unknown[]): Promise<unknown>;
}

/** Costs of one event invocation. */
export interface EventMeasurements {
  cpuMicros: number;
  wallMicros: number;
  heapUsedBytes: number;
  hostCalls: number;
  inputBytes: number;
  isolate: 'warm' | 'cold';
}

/** The outcome of an event handler; failures never throw. */
export type EventResult =
  | { ok: true; logs: Array<{ level: string; message: string }>; logsTruncated: boolean; measurements: EventMeasurements }
  | { ok: false; error: TkError; logs: Array<{ level: string; message: string }>; logsTruncated: boolean; measurements: EventMeasurements };

/** A failed event result for a handler that never ran (refused before it, or its worker went): nothing measured. */
export function eventFailure(error: TkError, isolate: 'warm' | 'cold' = 'warm'): EventResult {
  return { ok: false, error, logs: [], logsTruncated: false, measurements: { cpuMicros: 0, wallMicros: 0, heapUsedBytes: 0, hostCalls: 0, inputBytes: 0, isolate } };
}

/** How much more CPU the first call on a new isolate may use (it also compiles the handler). */
export const FIRST_CALL_CPU_FACTOR = 5;

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
 * The checks before an extension call reaches the guest: the plugin implements the point, the input is
 * JSON nested no deeper than the runtime's limit, within the point's size limit, and matches its schema.
 * Returns the input as JSON and records its size in `measurements` (also when it is too large); throws
 * TkErrors. The worker pool runs it too, before the input is sent to a worker, so that both runtimes
 * give the same answer and nothing too deep or too large is serialised for the IPC channel.
 */
export function encodeInput(point: string, spec: ExtensionPointSpec | undefined, manifest: Manifest, input: unknown, budget: PointBudget, measurements: Measurements): string {
  if (!spec) throw new TkError('TK_NOT_FOUND', `unknown extension point "${point}"`);
  if (!(manifest.extensions as readonly string[]).includes(point)) {
    throw new TkError('TK_NOT_FOUND', `${manifest.name} does not implement ${point}`, {
      fault: 'user',
      hint: `It implements: ${manifest.extensions.join(', ') || 'no extension points'}.`,
    });
  }
  // Depth, JSON and size first: the schema check below is recursive.
  const inputJson = encodeJsonValue(input, {
    what: 'the input',
    limitBytes: budget.inputBytes,
    tooLarge: (bytes) => `the input is ${bytes} bytes, over the ${budget.inputBytes}-byte limit of ${point}`,
    onBytes: (bytes) => (measurements.inputBytes = bytes),
  });
  assertMatches(spec.input, input, 'TK_VALIDATION', `the ${point} input`);
  return inputJson;
}

/**
 * The checks before an event reaches the guest, made by both runtimes (the worker pool before the event
 * is sent to a worker): the plugin handles its type (else TK_NOT_FOUND), it is JSON nested no deeper
 * than the runtime's limit — depth first, as everything after it is recursive — and within the
 * handler's input limit. Returns the event as JSON; throws TK_VALIDATION with a path relative to the
 * event (and `details.bytes` when it is too large).
 */
export function encodeEvent(manifest: Manifest, event: TongkitEvent, budget: EventBudget): string {
  const scheduled = event?.type === 'schedule.fired' && (manifest.schedules?.length ?? 0) > 0;
  if (!scheduled && !manifest.events.includes(event?.type)) {
    throw new TkError('TK_NOT_FOUND', `${manifest.name} does not handle ${String(event?.type)}`, { fault: 'user' });
  }
  return encodeJsonValue(event, {
    what: `the ${String(event?.type)} event`,
    limitBytes: budget.inputBytes,
    tooLarge: (bytes) => `the ${event.type} event is ${bytes} bytes, over the ${budget.inputBytes}-byte limit`,
  });
}

/** A bundle checked as both runtimes check it before loading: manifest depth, schema, sha256, size. */
export function prepareLoad(bundle: PluginBundle, options: LoadOptions = {}): { manifest: Manifest; settingsSchema: TSchema; sha256: string; installId: string } {
  refuseDeepJson(bundle.manifest, 'the manifest', 'TK_MANIFEST_INVALID', MAX_MANIFEST_DEPTH);
  const { manifest, settingsSchema, sha256 } = verifyBundle(bundle);
  return { manifest, settingsSchema, sha256, installId: options.installId ?? 'local' };
}

/** The point's catalogue entry (undefined for an unknown point), its budget with the platform's overrides, and empty measurements. */
export function invocationBudget(point: string, limits: Partial<PointBudget> | undefined): { spec: ExtensionPointSpec | undefined; budget: PointBudget; measurements: Measurements } {
  const spec = getExtensionPoint(point);
  const budget = spec ? pointBudget(point, limits) : { ...SYNC_POINT_BUDGET, ...limits };
  return { spec, budget, measurements: emptyMeasurements(budget, 'warm') };
}

/**
 * The checks of an extension call before any guest sees it, the same in both runtimes: the input
 * ({@link encodeInput}) and the settings (JSON, depth, size). Returns both as JSON; throws TkErrors.
 */
export function prepareInvocation(
  point: string,
  manifest: Manifest,
  input: unknown,
  settings: unknown,
  prepared: { spec: ExtensionPointSpec | undefined; budget: PointBudget; measurements: Measurements },
): { inputJson: string; settingsRaw: string } {
  const inputJson = encodeInput(point, prepared.spec, manifest, input, prepared.budget, prepared.measurements);
  return { inputJson, settingsRaw: encodeSettings(settings) };
}

/** The event handler budget with the platform's overrides. */
export function eventBudgetOf(options: Pick<RuntimeOptions, 'eventLimits'>): EventBudget {
  return { ...EVENT_HANDLER_BUDGET, ...options.eventLimits };
}

/** The checks of an event before any guest sees it, the same in both runtimes. Returns the event and the settings as JSON; throws TkErrors. */
export function prepareEvent(manifest: Manifest, event: TongkitEvent, settings: unknown, budget: EventBudget): { eventJson: string; settingsRaw: string } {
  const eventJson = encodeEvent(manifest, event, budget);
  return { eventJson, settingsRaw: encodeSettings(settings) };
}
