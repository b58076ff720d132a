import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { SYNC_POINT_BUDGET, TkError, getExtensionPoint, type EventBudget, type ExtensionPointId, type Permission, type PointOutput, type TongkitEvent } from '@tongkit/sdk';
import { checkOutput } from '../internal/extension-invocation.js';
import { resolveSettingsWith } from '../internal/settings.js';
import { refuseHostCall } from '../internal/event-invocation.js';
import {
  eventBudgetOf,
  eventFailure,
  invocationBudget,
  pointBudget,
  prepareEvent,
  prepareInvocation,
  prepareLoad,
  type EventHost,
  type EventResult,
  type InvocationResult,
  type InvokeOptions,
  type LoadOptions,
  type LoadedPlugin,
  type LogLine,
  type PluginBundle,
  type Runtime,
  type RuntimeOptions,
  type RuntimeStats,
} from '../contract.js';
import { NOT_LOADED, resultFromWire, type WorkerStartOptions } from './protocol.js';
import { DEFAULT_TENANT_POLICY, TenantGuard, type TenantPolicy } from './tenant-guard.js';
import { WorkerProcess, type WorkerExit } from './worker-process.js';

export type { WorkerExit } from './worker-process.js';
export { DEFAULT_TENANT_POLICY, type TenantPolicy } from './tenant-guard.js';

/** Options of {@link createWorkerRuntime}. */
export interface WorkerRuntimeOptions extends Omit<RuntimeOptions, 'onCatastrophicError'> {
  /** Shared sandbox worker processes; tenants are sharded across them. Default: the machine's cores, at least 2. */
  workers?: number;
  /**
   * The isolate cache of each worker (see {@link RuntimeOptions.maxIsolateBytes}). Default: 2 GiB split
   * between the shared workers (at least 256 MiB each): 1 GiB each with 2 workers.
   */
  maxIsolateBytes?: number;
  /** Worker processes for quarantined tenants (each such tenant gets one to itself while there are enough). Default 2. */
  quarantineWorkers?: number;
  /** Worker processes for heavy tenants (see `tenants.heavyCpuMs`), apart from the shared and quarantine ones. Default 1. */
  apartWorkers?: number;
  /** Per-tenant fairness limits. */
  tenants?: Partial<TenantPolicy>;
  /** A worker whose event loop has not turned for this long while it has work is killed. Default 3,000 ms. */
  hangMs?: number;
  /** A worker above this resident size is recycled once its calls in flight finish. Default: the isolate cache plus 3 × the largest heap limit × 8, plus 256 MiB. */
  workerMemoryBytes?: number;
  /** Told about every worker that went (crash, hang, memory, close), with the end of its stderr. */
  onWorkerExit?: (exit: WorkerExit) => void;
  /** Bytes of bundles (code and source maps) each worker keeps loaded; it reloads the least recently used on demand. Default 128 MiB. */
  maxLoadedBundleBytes?: number;
  /** The worker's entry script. Default: `worker.js` beside this module (the built package). */
  workerEntry?: string;
}

/** What the pool counts, beside the usual {@link RuntimeStats}. */
export interface WorkerPoolStats {
  /** Worker slots tenants are sharded across, slots for quarantined tenants, and for heavy ones. */
  sharedWorkers: number;
  quarantineWorkers: number;
  apartWorkers: number;
  /** Worker processes running now (slots start their process on first use). */
  alive: number;
  started: number;
  crashed: number;
  hung: number;
  recycled: number;
  rateLimited: number;
  /** Tenants in quarantine (their plugin had to be stopped), and tenants moved apart for their CPU use. */
  quarantinedTenants: number;
  heavyTenants: number;
  /** Resident memory of the live workers, from their last beats. */
  rssBytes: number;
  /** The isolate cache each worker may fill (`maxIsolateBytes`). */
  isolateBytesPerWorker: number;
}

/** A {@link Runtime} whose plugins run in supervised worker processes. */
export interface WorkerRuntime extends Runtime {
  poolStats(): WorkerPoolStats;
}

interface Handle {
  key: string;
  bundle: PluginBundle;
  installId: string;
  tenant: string;
}

/** Worker slots, each started on first use and replaced when its worker retires; tenants are assigned to the least loaded. */
class SlotGroup {
  private readonly workers: Array<WorkerProcess | undefined>;
  private readonly assigned = new Map<string, number>();

  constructor(
    size: number,
    private readonly spawn: () => WorkerProcess,
  ) {
    this.workers = new Array<WorkerProcess | undefined>(size).fill(undefined);
  }

  /** The worker of slot `index`: a new one if it has none, or its worker is retiring. */
  slot(index: number): WorkerProcess {
    const current = this.workers[index];
    if (current && !current.retiring) return current;
    const worker = this.spawn();
    this.workers[index] = worker;
    return worker;
  }

  /** The worker `tenant` is assigned to, assigning it to the slot with the fewest tenants first. */
  workerOf(tenant: string): WorkerProcess {
    let index = this.assigned.get(tenant);
    if (index === undefined) {
      const load = new Array<number>(this.workers.length).fill(0);
      for (const slot of this.assigned.values()) load[slot]!++;
      index = load.indexOf(Math.min(...load));
      this.assigned.set(tenant, index);
    }
    return this.slot(index);
  }

  release(tenant: string): void {
    this.assigned.delete(tenant);
  }

  /** Starts a worker in every slot that has none. */
  prestart(): void {
    for (let index = 0; index < this.workers.length; index++) this.slot(index);
  }
}

/** The warm isolates all shared workers may hold together by default. */
export const POOL_ISOLATE_BYTES = 2 * 1024 * 1024 * 1024;

const MONITOR_MS = 100;
/** How long a new worker may take to start (Node, isolated-vm, ICU) before it counts as hung. */
const STARTUP_MS = 30_000;

/** FNV-1a: a stable, cheap shard for a tenant id. */
function shardOf(tenant: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < tenant.length; i++) hash = Math.imul(hash ^ tenant.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % shards;
}

/** Errors after which a tenant is quarantined: its guest had to be stopped by force or ran out of memory. */
function forcedStop(error: TkError): boolean {
  return error.code === 'TK_MEMORY_LIMIT' || (error.code === 'TK_TIMEOUT' && typeof error.details?.['wallLimitMs'] === 'number');
}

/**
 * The host as a worker may use it: the worker's runtime already checked each host call (namespace,
 * permission granted and declared, the per-event cap, argument size), and this process checks them again,
 * so that a worker whose sandbox had been escaped still gets nothing it could not have asked for.
 */
function checkedHost(host: EventHost, eventType: string, declared: readonly Permission[], budget: EventBudget): EventHost {
  let count = 0;
  return {
    merchantId: host.merchantId,
    permissions: host.permissions,
    call(namespace, method, args) {
      count++;
      const refusal = refuseHostCall({ event: eventType, count, namespace, method, argsBytes: Buffer.byteLength(JSON.stringify(args)) }, host.permissions, declared, budget);
      if (refusal) throw refusal.error;
      return host.call(namespace, method, args);
    },
  };
}

/** At most `capBytes` of log messages (the sandbox's own cap, so a worker's honest answer passes unchanged). */
function capLogs(lines: LogLine[], capBytes: number): { lines: LogLine[]; truncated: boolean } {
  const kept: LogLine[] = [];
  let bytes = 0;
  for (const line of lines) {
    const message = typeof line?.message === 'string' ? line.message : String(line?.message);
    bytes += Buffer.byteLength(message) + 1;
    if (bytes > capBytes + 1024) return { lines: kept, truncated: true };
    kept.push({ level: LOG_LEVELS.has(line?.level) ? line.level : 'info', message });
  }
  return { lines: kept, truncated: false };
}
const LOG_LEVELS = new Set<unknown>(['debug', 'info', 'warn', 'error']);

const asTkError = (error: unknown) => TkError.from(error, 'sandbox worker pool');

/**
 * Creates a runtime that runs every guest in supervised worker processes instead of this one — what a
 * host serving an HTTP API must do, since V8 and isolated-vm abort the whole process on some guest
 * faults. Same API as {@link createRuntime}, plus:
 *
 * - tenants are sharded across `workers` processes (FNV-1a of the tenant id);
 * - a worker that dies (a guest aborted it), stops turning its event loop for `hangMs`, or grows past
 *   its memory budget is replaced; its calls in flight are answered `TK_WORKER_CRASHED`;
 * - per tenant: at most `tenants.concurrency` calls in flight and a CPU token bucket, else
 *   `TK_RATE_LIMITED`; a tenant whose guest had to be stopped (wall clock, memory, running when its
 *   worker died or hung) is quarantined for `tenants.quarantineMs`, and one using much CPU runs on a
 *   worker apart for `tenants.heavyMs`; queued calls are taken in turn per tenant;
 * - what a worker answers is checked again here (host calls, outputs, logs): a worker is not trusted.
 *
 * @example
 * const runtime = createWorkerRuntime({ workers: 2 });
 * const plugin = await runtime.load(bundle, { installId: 'ins_1', tenant: 'brand-a' });
 * const result = await plugin.invoke('member.tier.compute', input, settings);
 * await runtime.dispose();
 */
export function createWorkerRuntime(options: WorkerRuntimeOptions = {}): WorkerRuntime {
  const sharedCount = Math.max(1, options.workers ?? Math.max(2, availableParallelism()));
  const quarantineCount = Math.max(1, options.quarantineWorkers ?? 2);
  const apartCount = Math.max(1, options.apartWorkers ?? 1);
  const hangMs = options.hangMs ?? 3_000;
  // The shared workers split one isolate budget between them by default, so that a host's warm isolates
  // are bounded whatever its core count (1,000 installs of a small plugin stay warm in it).
  const maxIsolateBytes = options.maxIsolateBytes ?? Math.max(256 * 1024 * 1024, Math.floor(POOL_ISOLATE_BYTES / sharedCount));
  const eventBudget = eventBudgetOf(options);
  const eventHeapMb = eventBudget.heapMb;
  // isolated-vm notes a guest can overshoot its heap limit 2–3×: budget 3× the largest limit for a few
  // calls at once (one sync call at a time, events concurrently), over the warm isolate cache.
  const memoryBudget = options.workerMemoryBytes ?? maxIsolateBytes + 3 * Math.max(eventHeapMb, SYNC_POINT_BUDGET.heapMb) * 1024 * 1024 * 8 + 256 * 1024 * 1024;
  const entry = options.workerEntry ?? fileURLToPath(new URL('./worker.js', import.meta.url));
  const startOptions: WorkerStartOptions = {
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.eventLimits ? { eventLimits: options.eventLimits } : {}),
    maxIsolateBytes,
    ...(options.maxLoadedBundleBytes ? { maxLoadedBundleBytes: options.maxLoadedBundleBytes } : {}),
  };
  const guard = new TenantGuard({ ...DEFAULT_TENANT_POLICY, ...options.tenants });
  const shared = new SlotGroup(sharedCount, spawn);
  // Misbehaving tenants and merely heavy ones are kept apart from each other too.
  const quarantine = new SlotGroup(quarantineCount, spawn);
  const apart = new SlotGroup(apartCount, spawn);
  const live = new Set<WorkerProcess>();
  const counters = { started: 0, crashed: 0, hung: 0, recycled: 0, rateLimited: 0 };
  /** Cache counters of workers that have exited, so the totals survive restarts. */
  const gone = { warmHits: 0, coldStarts: 0, evictions: 0 };
  let nextWorkerId = 0;
  let disposed = false;

  function onExit(worker: WorkerProcess, exit: WorkerExit): void {
    live.delete(worker);
    gone.warmHits += worker.lastBeat?.warmHits ?? 0;
    gone.coldStarts += worker.lastBeat?.coldStarts ?? 0;
    gone.evictions += worker.lastBeat?.evictions ?? 0;
    if (exit.reason === 'crashed' || exit.reason === 'start-failed') counters.crashed++;
    if (exit.reason === 'hung') counters.hung++;
    // The tenants whose code was running go to quarantine; those only queued behind them stay.
    if (exit.reason === 'crashed' || exit.reason === 'hung') for (const tenant of exit.culprits) guard.quarantine(tenant);
    options.onWorkerExit?.(exit);
  }

  function spawn(): WorkerProcess {
    const worker = new WorkerProcess(nextWorkerId++, entry, startOptions, onExit);
    live.add(worker);
    counters.started++;
    return worker;
  }

  function workerFor(tenant: string): WorkerProcess {
    if (disposed) throw new TkError('TK_INTERNAL', 'the sandbox worker pool has been disposed');
    if (guard.isQuarantined(tenant)) {
      apart.release(tenant);
      return quarantine.workerOf(tenant);
    }
    quarantine.release(tenant);
    if (guard.isHeavy(tenant)) return apart.workerOf(tenant);
    apart.release(tenant);
    // A tenant half way to heavy: have the workers apart started now, so that its move, if it comes,
    // does not wait for a process to start.
    if (guard.isWarming(tenant)) apart.prestart();
    return shared.slot(shardOf(tenant, sharedCount));
  }

  // Supervision: kill workers whose event loop stopped turning while they had work; recycle those over
  // their memory budget once their calls in flight are done.
  let lastTick = performance.now();
  const monitor = setInterval(() => {
    const now = performance.now();
    const stalled = now - lastTick > MONITOR_MS + hangMs / 2;
    lastTick = now;
    // This process's own event loop was stuck: the workers' beats may be waiting unread in the pipe.
    if (stalled) return;
    for (const worker of live) {
      // Before its first beat a worker is still starting (slow on a busy machine): it gets longer.
      const silentFor = now - worker.lastBeatAt;
      if (worker.inFlight > 0 && (worker.lastBeat ? silentFor > hangMs : silentFor > Math.max(hangMs, STARTUP_MS))) worker.kill('hung');
      else if (!worker.retiring && (worker.lastBeat?.rss ?? 0) > memoryBudget) {
        worker.retiring = true;
        counters.recycled++;
      }
      if (worker.retiring && worker.inFlight === 0 && !worker.exited) worker.kill('memory');
    }
  }, MONITOR_MS);
  monitor.unref();

  /** Loads the plugin into `worker` (runs its top level there); forgotten again if that fails. */
  function loadInto(worker: WorkerProcess, handle: Handle): Promise<unknown> {
    worker.loaded.add(handle.key);
    return worker.request({ t: 'load', key: handle.key, bundle: handle.bundle, installId: handle.installId }, handle.tenant).catch((error: unknown) => {
      worker.loaded.delete(handle.key);
      throw asTkError(error);
    });
  }

  /**
   * Makes sure `worker` has the plugin: a restarted worker, or another one the tenant moved to, loads it
   * on first use. Not awaited: the worker takes the load before the call queued behind it, and a failed
   * load fails that call with the load's error.
   */
  function ensureLoaded(worker: WorkerProcess, handle: Handle): void {
    if (!worker.loaded.has(handle.key)) loadInto(worker, handle).catch(() => undefined);
  }

  /** Runs one request for a tenant under its limits; charges the CPU the result reports. */
  async function guarded<R>(handle: Handle, run: (worker: WorkerProcess) => Promise<unknown>, failed: (error: TkError) => R): Promise<R> {
    try {
      guard.enter(handle.tenant);
    } catch (error) {
      counters.rateLimited++;
      return failed(asTkError(error));
    }
    const started = performance.now();
    let cpuMicros = 0;
    try {
      const worker = workerFor(handle.tenant);
      ensureLoaded(worker, handle);
      let wire: unknown;
      try {
        wire = await run(worker);
      } catch (error) {
        // The worker forgot the plugin (its cache of loaded bundles is bounded): load it again, once.
        if (!(error instanceof TkError && error.details?.[NOT_LOADED] === true)) throw error;
        worker.loaded.delete(handle.key);
        ensureLoaded(worker, handle);
        wire = await run(worker);
      }
      const result = resultFromWire<R & { ok: boolean; error?: TkError; measurements: { cpuMicros: number; wallMicros: number } }>(wire);
      cpuMicros = result.measurements.cpuMicros;
      if (!result.ok && forcedStop(result.error!)) {
        guard.quarantine(handle.tenant);
        // A stopped guest held the worker for its wall time, whatever CPU it reports (a heap bomb reports none).
        cpuMicros = Math.max(cpuMicros, result.measurements.wallMicros);
      }
      return result;
    } catch (error) {
      const failure = asTkError(error);
      // The worker died running this call: charge the wall time it held the worker. A call that was
      // only queued behind the one that killed it costs its tenant nothing.
      if (failure.details?.['culprit'] === true) cpuMicros = Math.round((performance.now() - started) * 1000);
      return failed(failure);
    } finally {
      guard.leave(handle.tenant, cpuMicros);
    }
  }

  async function load(bundle: PluginBundle, loadOptions: LoadOptions = {}): Promise<LoadedPlugin> {
    const { manifest, settingsSchema, sha256, installId } = prepareLoad(bundle, loadOptions);
    const handle: Handle = { key: `${installId}@${sha256}`, bundle, installId, tenant: loadOptions.tenant ?? installId };
    // The first load runs the plugin's top level in a worker: a bundle that fails to load, or lies in its
    // manifest, is refused here; one that kills the worker is refused with TK_WORKER_CRASHED.
    await loadInto(workerFor(handle.tenant), handle);

    function invoke<P extends ExtensionPointId>(point: P, input: unknown, settings?: unknown, invokeOptions: InvokeOptions = {}): Promise<InvocationResult<PointOutput<P>>> {
      const prepared = invocationBudget(point, options.limits);
      const { measurements } = prepared;
      const failed = (error: TkError): InvocationResult<PointOutput<P>> => ({ ok: false, error, logs: [], logsTruncated: false, measurements });
      // The in-process runtime's checks of input and settings, made here too: the same answer, and
      // nothing too deep or too large is serialised for a worker (nor holds one of the tenant's slots).
      try {
        prepareInvocation(point, manifest, input, settings, prepared);
      } catch (error) {
        return Promise.resolve(failed(asTkError(error)));
      }
      return guarded(
        handle,
        (w) => w.request({ t: 'invoke', key: handle.key, point, input, settings: settings ?? {}, fresh: invokeOptions.fresh === true }, handle.tenant),
        failed,
      ).then((result) => recheck(point, input, result));
    }

    function handleEvent(event: TongkitEvent, settings: unknown, eventHost: EventHost): Promise<EventResult> {
      try {
        prepareEvent(manifest, event, settings, eventBudget);
      } catch (error) {
        return Promise.resolve(eventFailure(asTkError(error)));
      }
      const host = checkedHost(eventHost, event.type, manifest.permissions, eventBudget);
      return guarded(
        handle,
        (w) => w.request({ t: 'event', key: handle.key, event, settings: settings ?? {}, merchantId: host.merchantId, permissions: [...host.permissions] }, handle.tenant, host),
        (error) => eventFailure(error),
      );
    }

    return {
      manifest,
      sha256,
      installId,
      settingsSchema,
      invoke,
      resolveSettings: (settings?: unknown) => resolveSettingsWith(settingsSchema, settings),
      handleEvent,
    };
  }

  /**
   * What a worker answered, checked again here (a worker taken over by an escaped guest could answer
   * anything): the output against the point's rules, the logs against the cap.
   */
  function recheck<O>(point: string, input: unknown, result: InvocationResult<O>): InvocationResult<O> {
    const spec = getExtensionPoint(point);
    if (!spec) return result;
    const budget = pointBudget(point, options.limits);
    const logs = Array.isArray(result.logs) ? capLogs(result.logs, budget.logBytes) : { lines: [], truncated: true };
    const checked: InvocationResult<O> = { ...result, logs: logs.lines, logsTruncated: result.logsTruncated === true || logs.truncated };
    if (!checked.ok) return checked;
    const problem = checkOutput(point, spec, input, checked.output, budget).error;
    return problem ? { ok: false, error: problem, logs: checked.logs, logsTruncated: checked.logsTruncated, measurements: checked.measurements } : checked;
  }

  function stats(): RuntimeStats {
    const beats = [...live].map((w) => w.lastBeat).filter((b) => b !== undefined);
    const sum = (pick: (b: (typeof beats)[number]) => number) => beats.reduce((total, b) => total + pick(b), 0);
    const warmHits = gone.warmHits + sum((b) => b.warmHits);
    const coldStarts = gone.coldStarts + sum((b) => b.coldStarts);
    return {
      isolatesAlive: sum((b) => b.isolatesAlive),
      isolateBytes: sum((b) => b.isolateBytes),
      warmHits,
      coldStarts,
      evictions: gone.evictions + sum((b) => b.evictions),
      hitRate: warmHits + coldStarts === 0 ? 0 : warmHits / (warmHits + coldStarts),
      // Each worker has its own code cache; the pool does not collect their counters.
      codeCacheHits: 0,
      codeCacheMisses: 0,
    };
  }

  return {
    load,
    stats,
    poolStats() {
      return {
        sharedWorkers: sharedCount,
        quarantineWorkers: quarantineCount,
        apartWorkers: apartCount,
        alive: live.size,
        ...counters,
        quarantinedTenants: guard.quarantined().length,
        heavyTenants: guard.heavy().length,
        rssBytes: [...live].reduce((total, w) => total + (w.lastBeat?.rss ?? 0), 0),
        isolateBytesPerWorker: maxIsolateBytes,
      };
    },
    async dispose() {
      disposed = true;
      clearInterval(monitor);
      const exits = [...live].map((worker) => new Promise<void>((resolve) => (worker.exited ? resolve() : worker.child.once('exit', () => resolve()))));
      for (const worker of live) worker.close();
      await Promise.all(exits);
    },
  };
}
