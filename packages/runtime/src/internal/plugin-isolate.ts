import ivm from 'isolated-vm';
import { TkError } from '@tongkit/sdk';
import { BUNDLE_GLOBAL, PRELUDE_FILENAME, PRELUDE_SOURCE } from './prelude.js';
import type { CodeCache } from './code-cache.js';

/** What the guest reported about itself after the bundle ran. */
export interface GuestRegistration {
  extensions: string[];
  events: string[];
  name: string;
  version: string;
}

/** One guest call's raw result: the parsed envelope and the costs measured around it. */
export interface GuestCallResult {
  envelope: GuestEnvelope;
  envelopeChars: number;
  cpuMicros: number;
  wallMicros: number;
  heapUsedBytes: number;
}

/** The JSON the prelude returns: logs, and either an output (`o`), a thrown error (`e`), a bad output (`x`) or a bridge message (`m`). */
export interface GuestEnvelope {
  l: Array<{ level: string; message: string }>;
  t: boolean;
  o?: unknown;
  e?: { name: string; message: string; stack: string; code?: string };
  x?: string;
  m?: string;
}

/** Fixed per-call facts the guest receives. */
export interface GuestCallArgs {
  point: string;
  inputJson: string;
  settingsJson: string;
  nowMs: number;
  logCap: number;
  wallMs: number;
  /** Longest envelope the host will parse; longer means the output is too large. */
  maxEnvelopeChars: number;
}

/** Fixed per-call facts of an event invocation. */
export interface EventCallArgs {
  name: string;
  eventJson: string;
  settingsJson: string;
  merchantId: string;
  nowMs: number;
  logCap: number;
  wallMs: number;
  maxEnvelopeChars: number;
  /** Host calls allowed per invocation, and the largest arguments of one (UTF-8 JSON bytes): the prelude refuses beyond them without crossing. */
  maxHostCalls: number;
  maxHostCallArgsBytes: number;
}

/** The event invocation currently allowed to make host calls. */
interface ActiveEvent {
  token: number;
  onHostCall: HostCallHandler;
  /** When its wall-clock budget ends (Date.now() ms): guest work resumed by a host answer is bounded by it. */
  deadlineAt: number;
  /** Host calls started and not yet answered; the invocation ends only after them. */
  inFlight: Set<Promise<void>>;
  /** The handler returned: new host calls are refused while the ones in flight finish. */
  closing: boolean;
}

/** The host side of one host call: parsed and checked by the runtime, answered with a JSON-able value. */
export type HostCallHandler = (namespace: string, method: string, argsJson: string) => Promise<unknown>;

export interface PluginIsolateOptions {
  code: string;
  sha256: string;
  heapMb: number;
  codeCache: CodeCache;
  /** Only when the runtime was given one: without it isolated-vm aborts the process itself. */
  onCatastrophicError?: (message: string) => void;
}

const ns = (n: bigint) => Number(n / 1000n);

const LOG_LEVELS = new Set(['debug', 'info', 'warn', 'error']);

/**
 * The guest's part of a stack isolated-vm copied out of the isolate: it continues past
 * `<isolated-vm boundary>` with the host's own frames (file paths of this install), which are no
 * business of the plugin's developer; the prelude's frames go too.
 */
function guestStack(stack: string): string {
  const boundary = stack.indexOf('<isolated-vm boundary>');
  const guest = boundary === -1 ? stack : stack.slice(0, Math.max(0, stack.lastIndexOf('\n', boundary)));
  return guest
    .split('\n')
    .filter((line) => !line.includes(PRELUDE_FILENAME))
    .join('\n');
}

function tampered(what: string): TkError {
  return new TkError('TK_PLUGIN_ERROR', `the plugin tampered with the sandbox bridge: its report has ${what} (it changed built-ins the bridge relies on, such as Array.prototype.toJSON)`);
}

/**
 * Parses the envelope the prelude wrote. It was serialised inside the guest, so a plugin that replaced
 * built-ins (Object.prototype.toJSON, String.prototype.charCodeAt…) can shape it: its form is checked here
 * and the log cap enforced again host-side, with the byte count the host reports.
 */
export function readEnvelope(raw: string, logCap: number): GuestEnvelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw tampered('no JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw tampered('no envelope');
  const envelope = parsed as Record<string, unknown>;
  if (!Array.isArray(envelope.l) || typeof envelope.t !== 'boolean') throw tampered('no log list');
  const logs: GuestEnvelope['l'] = [];
  let truncated = envelope.t;
  let bytes = 0;
  for (const line of envelope.l as unknown[]) {
    const { level, message } = (line ?? {}) as { level?: unknown; message?: unknown };
    if (typeof level !== 'string' || !LOG_LEVELS.has(level) || typeof message !== 'string') throw tampered('a malformed log line');
    bytes += Buffer.byteLength(message) + 1;
    if (bytes > logCap) {
      truncated = true;
      break;
    }
    logs.push({ level, message });
  }
  const result: GuestEnvelope = { l: logs, t: truncated };
  if ('o' in envelope) result.o = envelope.o;
  if (envelope.e !== undefined) {
    const e = envelope.e as Record<string, unknown> | null;
    if (e === null || typeof e !== 'object' || typeof e.name !== 'string' || typeof e.message !== 'string' || typeof e.stack !== 'string') {
      throw tampered('a malformed error');
    }
    result.e = { name: e.name, message: e.message, stack: e.stack, ...(typeof e.code === 'string' ? { code: e.code } : {}) };
  }
  for (const key of ['x', 'm'] as const) {
    if (envelope[key] === undefined) continue;
    if (typeof envelope[key] !== 'string') throw tampered(`a malformed "${key}"`);
    result[key] = envelope[key];
  }
  return result;
}

/**
 * One plugin bundle loaded into its own isolate and context. Only strings cross the boundary: the
 * host holds References to two prelude functions; the guest holds nothing of ours.
 */
export class PluginIsolate {
  readonly isolate: ivm.Isolate;
  readonly registration: GuestRegistration;
  private readonly context: ivm.Context;
  private readonly invokeRef: ivm.Reference<(...args: unknown[]) => string>;
  private readonly eventRef: ivm.Reference<(...args: unknown[]) => Promise<string>>;
  private readonly settleRef: ivm.Reference<(callId: number, ok: string | null, error: string | null) => void>;
  private calls = 0;

  /** True until the first call on this isolate, which also pays for compiling the handler lazily. */
  get fresh(): boolean {
    return this.calls === 0;
  }
  private lastHeapUsedBytes = 0;
  /** The event invocation allowed to make host calls now; calls with another token are refused. */
  private activeEvent: ActiveEvent | null = null;
  private nextToken = 0;
  /** Event invocations run one at a time per isolate, so host calls always belong to the active one. */
  private eventQueue: Promise<unknown> = Promise.resolve();
  private eventsInFlight = 0;
  /** Evicted while events were in flight: disposed when the last one ends. */
  private retiring = false;

  constructor(options: PluginIsolateOptions) {
    this.isolate = new ivm.Isolate({
      memoryLimit: options.heapMb,
      ...(options.onCatastrophicError ? { onCatastrophicError: options.onCatastrophicError } : {}),
    });
    try {
      this.context = this.isolate.createContextSync();
      // The one function of ours the guest may call (a copied-arguments Callback, not a Reference):
      // it only queues a host call, which is answered later through __tk_settle.
      this.context.global.setSync(
        '__tk_hostcall',
        new ivm.Callback((token: number, callId: number, namespace: string, method: string, argsJson: string) => this.hostCall(token, callId, namespace, method, argsJson), {
          ignored: true,
        }),
      );
      const prelude = options.codeCache.compile(this.isolate, PRELUDE_SOURCE, PRELUDE_FILENAME, 'prelude');
      prelude.runSync(this.context, { timeout: 1000 });
      const global = this.context.global;
      this.invokeRef = global.getSync('__tk_invoke', { reference: true }) as ivm.Reference<(...args: unknown[]) => string>;
      const registerRef = global.getSync('__tk_register', { reference: true }) as ivm.Reference<() => string>;
      this.eventRef = global.getSync('__tk_event', { reference: true }) as ivm.Reference<(...args: unknown[]) => Promise<string>>;
      this.settleRef = global.getSync('__tk_settle', { reference: true }) as ivm.Reference<(callId: number, ok: string | null, error: string | null) => void>;
      // The plugin never sees the bridge functions: we hold References, the globals go away.
      this.context.evalSync(
        'delete globalThis.__tk_invoke; delete globalThis.__tk_register; delete globalThis.__tk_event; delete globalThis.__tk_settle; delete globalThis.__tk_hostcall;',
      );

      let bundle: ivm.Script;
      try {
        bundle = options.codeCache.compile(this.isolate, options.code, 'plugin.js', options.sha256);
      } catch (error) {
        // Not JavaScript at all: it is no plugin bundle (and no plugin fault the runtime should blame on itself).
        throw new TkError('TK_MANIFEST_INVALID', `the bundle is not valid JavaScript: ${error instanceof Error ? error.message : String(error)}`, {
          path: '/bundle',
          hint: 'Upload the plugin.js that `tongkit build` wrote, unchanged.',
        });
      }
      try {
        bundle.runSync(this.context, { timeout: 1000 });
      } catch (error) {
        throw this.loadError(error, 'while loading the bundle');
      }
      let registration: unknown;
      try {
        registration = JSON.parse(String(registerRef.applySync(undefined, [], { timeout: 1000 })));
      } catch (error) {
        throw this.loadError(error, 'while reading the plugin definition');
      }
      registerRef.release();
      if (!registration || typeof registration !== 'object' || 'error' in registration) {
        const reason = (registration as { error?: string } | null)?.error ?? 'unreadable plugin definition';
        throw new TkError('TK_MANIFEST_INVALID', `the bundle is not a Tongkit plugin: ${reason}`);
      }
      this.registration = registration as GuestRegistration;
      this.context.evalSync(`delete globalThis.${BUNDLE_GLOBAL};`);
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  private loadError(error: unknown, when: string): TkError {
    if (error instanceof TkError) return error;
    if (this.isolate.isDisposed) return new TkError('TK_MEMORY_LIMIT', `the plugin ran out of memory ${when}`);
    const message = error instanceof Error ? error.message : String(error);
    if (/timed out/i.test(message)) return new TkError('TK_TIMEOUT', `the plugin's top-level code ran too long ${when}`);
    return new TkError('TK_PLUGIN_ERROR', `the plugin threw ${when}: ${message}`, {
      details: { stack: error instanceof Error ? guestStack(error.stack ?? '') : '' },
    });
  }

  get disposed(): boolean {
    return this.isolate.isDisposed;
  }

  /** Bytes this isolate holds, for the byte-bounded LRU. */
  heapBytes(): number {
    if (this.isolate.isDisposed) return 0;
    const stats = this.isolate.getHeapStatisticsSync();
    return stats.total_heap_size + stats.externally_allocated_size;
  }

  /**
   * Calls the point's handler. Throws TK_TIMEOUT / TK_MEMORY_LIMIT / TK_OUTPUT_TOO_LARGE /
   * TK_PLUGIN_ERROR for failures the guest could not report itself; the isolate is then unusable.
   */
  call(args: GuestCallArgs): GuestCallResult {
    const cpuBefore = this.isolate.cpuTime;
    const wallBefore = process.hrtime.bigint();
    let raw: unknown;
    try {
      raw = this.invokeRef.applySync(
        undefined,
        [args.point, args.inputJson, args.settingsJson, args.nowMs, args.logCap],
        { timeout: args.wallMs },
      );
    } catch (error) {
      const wallMicros = ns(process.hrtime.bigint() - wallBefore);
      const cpuMicros = this.isolate.isDisposed ? 0 : ns(this.isolate.cpuTime - cpuBefore);
      throw this.callError(error, args, wallMicros, cpuMicros);
    }
    const wallMicros = ns(process.hrtime.bigint() - wallBefore);
    const cpuMicros = ns(this.isolate.cpuTime - cpuBefore);
    // Reading heap statistics costs ~2 µs, a third of a warm call; V8 enforces the limit by itself, so
    // the figure is sampled: on the first calls of an isolate, then every 64th.
    if (this.calls++ % 64 === 0) this.lastHeapUsedBytes = this.isolate.getHeapStatisticsSync().used_heap_size;
    const heapUsedBytes = this.lastHeapUsedBytes;
    return this.finish(raw, args, { cpuMicros, wallMicros, heapUsedBytes });
  }

  /**
   * Turns what the guest returned into a checked envelope: a string, within the size the host will
   * parse, with the shape and log cap the host expects (it was built guest-side, where the plugin can
   * change built-ins). A malformed envelope disposes the isolate: its realm is no longer what the bridge
   * needs, so the next call gets a new one.
   */
  private finish(
    raw: unknown,
    args: { maxEnvelopeChars: number; logCap: number },
    measured: { cpuMicros: number; wallMicros: number; heapUsedBytes: number },
  ): GuestCallResult {
    if (typeof raw !== 'string') throw new TkError('TK_INTERNAL', 'the sandbox bridge returned a non-string');
    if (raw.length > args.maxEnvelopeChars) {
      throw new TkError('TK_OUTPUT_TOO_LARGE', `the output is larger than the limit (${raw.length} characters before parsing)`, {
        details: { cpuMicros: measured.cpuMicros, wallMicros: measured.wallMicros },
      });
    }
    try {
      return { envelope: readEnvelope(raw, args.logCap), envelopeChars: raw.length, ...measured };
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  private callError(error: unknown, args: { point: string; wallMs: number }, wallMicros: number, cpuMicros = 0): TkError {
    const message = error instanceof Error ? error.message : String(error);
    if (this.isolate.isDisposed) {
      return new TkError('TK_MEMORY_LIMIT', `${args.point} ran out of its heap limit`, { details: { wallMicros } });
    }
    if (/timed out/i.test(message)) {
      this.dispose();
      return new TkError('TK_TIMEOUT', `${args.point} did not return within the ${args.wallMs} ms wall-clock limit`, {
        details: { wallMicros, cpuMicros, wallLimitMs: args.wallMs },
      });
    }
    // Anything else escaped the prelude's own try/catch (e.g. a stack overflow inside it): the
    // context may be half-broken, so it is not reused.
    this.dispose();
    return new TkError('TK_PLUGIN_ERROR', `${args.point} failed: ${message}`);
  }

  /**
   * Runs an event handler (asynchronous, with host calls). Resolves with the envelope; throws
   * TK_TIMEOUT (wall clock, the isolate is disposed) or TK_MEMORY_LIMIT like {@link call}.
   */
  callEvent(args: EventCallArgs, onHostCall: HostCallHandler): Promise<GuestCallResult> {
    this.eventsInFlight++;
    const run = this.eventQueue
      .then(() => this.runEvent(args, onHostCall))
      .finally(() => {
        if (--this.eventsInFlight === 0 && this.retiring) this.dispose();
      });
    this.eventQueue = run.catch(() => undefined);
    return run;
  }

  /** Disposes the isolate now, or once the event invocations in flight have finished (LRU eviction). */
  retire(): void {
    if (this.eventsInFlight === 0) this.dispose();
    else this.retiring = true;
  }

  private async runEvent(args: EventCallArgs, onHostCall: HostCallHandler): Promise<GuestCallResult> {
    if (this.isolate.isDisposed) throw new TkError('TK_MEMORY_LIMIT', 'the event isolate was disposed');
    const token = ++this.nextToken;
    const active: ActiveEvent = { token, onHostCall, deadlineAt: Date.now() + args.wallMs, inFlight: new Set(), closing: false };
    this.activeEvent = active;
    const cpuBefore = this.isolate.cpuTime;
    const wallBefore = process.hrtime.bigint();
    let timer: NodeJS.Timeout | undefined;
    try {
      const guest = this.eventRef.apply(
        undefined,
        [args.name, args.eventJson, args.settingsJson, args.merchantId, args.nowMs, args.logCap, token, args.maxHostCalls, args.maxHostCallArgsBytes],
        // `timeout` bounds each synchronous slice (a microtask flood included); the race below bounds
        // the whole handler, host calls included, by the wall clock.
        { timeout: args.wallMs, result: { promise: true } },
      );
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TkError('TK_TIMEOUT', `${args.name} did not finish within ${args.wallMs} ms`, { details: { wallLimitMs: args.wallMs } })), args.wallMs);
      });
      let raw: unknown;
      try {
        raw = await Promise.race([guest, deadline]);
        // A host call the handler started but did not await still belongs to this invocation: it
        // finishes before the invocation reports (and before the host commits its delivery).
        if (active.inFlight.size > 0) {
          active.closing = true;
          await Promise.race([Promise.all(active.inFlight), deadline]);
        }
      } catch (error) {
        const wallMicros = ns(process.hrtime.bigint() - wallBefore);
        if (error instanceof TkError) {
          const cpuMicros = this.isolate.isDisposed ? 0 : ns(this.isolate.cpuTime - cpuBefore);
          this.dispose();
          throw new TkError(error.code, error.message, { details: { ...error.details, wallMicros, cpuMicros } });
        }
        throw this.callError(error, { point: args.name, wallMs: args.wallMs }, wallMicros);
      }
      const wallMicros = ns(process.hrtime.bigint() - wallBefore);
      const cpuMicros = ns(this.isolate.cpuTime - cpuBefore);
      const heapUsedBytes = this.isolate.isDisposed ? 0 : this.isolate.getHeapStatisticsSync().used_heap_size;
      return this.finish(raw, args, { cpuMicros, wallMicros, heapUsedBytes });
    } finally {
      clearTimeout(timer);
      this.activeEvent = null;
    }
  }

  /** A host call from the guest: routed to the active event invocation, answered through __tk_settle. */
  private hostCall(token: number, callId: number, namespace: string, method: string, argsJson: string): void {
    const active = this.activeEvent;
    const settle = (ok: string | null, error: { code: string; message: string } | null) => {
      if (this.isolate.isDisposed) return;
      // The answer resumes guest code: bound it by what is left of the invocation's wall clock.
      const timeout = active && this.activeEvent === active ? Math.max(1, active.deadlineAt - Date.now()) : 1000;
      this.settleRef.apply(undefined, [callId, ok, error === null ? null : JSON.stringify(error)], { timeout }).catch(() => undefined);
    };
    if (!active || active.token !== token || active.closing || typeof namespace !== 'string' || typeof method !== 'string' || typeof argsJson !== 'string') {
      settle(null, { code: 'TK_PERMISSION_DENIED', message: 'this context belongs to an invocation that has ended' });
      return;
    }
    const answered = active.onHostCall(String(namespace), String(method), argsJson).then(
      (result) => {
        // A host answer that is not JSON (a BigInt, a cycle, a function) must still settle the guest's
        // promise, and must not become an unhandled rejection in the host process.
        let json: string | null;
        try {
          json = result === undefined ? null : (JSON.stringify(result) ?? null);
        } catch {
          settle(null, { code: 'TK_INTERNAL', message: 'the host call failed' });
          return;
        }
        settle(json, null);
      },
      (error: unknown) => {
        const failure = TkError.from(error, 'the host call failed', { opaque: true });
        settle(null, { code: failure.code, message: failure.message });
      },
    );
    active.inFlight.add(answered);
    const done = () => void active.inFlight.delete(answered);
    answered.then(done, done);
  }

  dispose(): void {
    if (!this.isolate.isDisposed) this.isolate.dispose();
  }
}
