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
  e?: { name: string; message: string; stack: string };
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

export interface PluginIsolateOptions {
  code: string;
  sha256: string;
  heapMb: number;
  codeCache: CodeCache;
  /** Only when the runtime was given one: without it isolated-vm aborts the process itself. */
  onCatastrophicError?: (message: string) => void;
}

const ns = (n: bigint) => Number(n / 1000n);

/**
 * One plugin bundle loaded into its own isolate and context. Only strings cross the boundary: the
 * host holds References to two prelude functions; the guest holds nothing of ours.
 */
export class PluginIsolate {
  readonly isolate: ivm.Isolate;
  readonly registration: GuestRegistration;
  private readonly context: ivm.Context;
  private readonly invokeRef: ivm.Reference<(...args: unknown[]) => string>;
  private calls = 0;
  private lastHeapUsedBytes = 0;

  constructor(options: PluginIsolateOptions) {
    this.isolate = new ivm.Isolate({
      memoryLimit: options.heapMb,
      ...(options.onCatastrophicError ? { onCatastrophicError: options.onCatastrophicError } : {}),
    });
    try {
      this.context = this.isolate.createContextSync();
      const prelude = options.codeCache.compile(this.isolate, PRELUDE_SOURCE, PRELUDE_FILENAME, 'prelude');
      prelude.runSync(this.context, { timeout: 1000 });
      const global = this.context.global;
      this.invokeRef = global.getSync('__tk_invoke', { reference: true }) as ivm.Reference<(...args: unknown[]) => string>;
      const registerRef = global.getSync('__tk_register', { reference: true }) as ivm.Reference<() => string>;
      // The plugin never sees the bridge functions: we hold References, the globals go away.
      this.context.evalSync('delete globalThis.__tk_invoke; delete globalThis.__tk_register;');

      const bundle = options.codeCache.compile(this.isolate, options.code, 'plugin.js', options.sha256);
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
      details: { stack: error instanceof Error ? (error.stack ?? '') : '' },
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
      throw this.callError(error, args, wallMicros);
    }
    const wallMicros = ns(process.hrtime.bigint() - wallBefore);
    const cpuMicros = ns(this.isolate.cpuTime - cpuBefore);
    // Reading heap statistics costs ~2 µs, a third of a warm call; V8 enforces the limit by itself, so
    // the figure is sampled: on the first calls of an isolate, then every 64th.
    if (this.calls++ % 64 === 0) this.lastHeapUsedBytes = this.isolate.getHeapStatisticsSync().used_heap_size;
    const heapUsedBytes = this.lastHeapUsedBytes;
    if (typeof raw !== 'string') {
      throw new TkError('TK_INTERNAL', 'the sandbox bridge returned a non-string');
    }
    if (raw.length > args.maxEnvelopeChars) {
      throw new TkError('TK_OUTPUT_TOO_LARGE', `the output is larger than the limit (${raw.length} characters before parsing)`, {
        details: { cpuMicros, wallMicros },
      });
    }
    return { envelope: JSON.parse(raw) as GuestEnvelope, envelopeChars: raw.length, cpuMicros, wallMicros, heapUsedBytes };
  }

  private callError(error: unknown, args: GuestCallArgs, wallMicros: number): TkError {
    const message = error instanceof Error ? error.message : String(error);
    if (this.isolate.isDisposed) {
      return new TkError('TK_MEMORY_LIMIT', `${args.point} ran out of its heap limit`, { details: { wallMicros } });
    }
    if (/timed out/i.test(message)) {
      this.dispose();
      return new TkError('TK_TIMEOUT', `${args.point} did not return within the ${args.wallMs} ms wall-clock limit`, {
        details: { wallMicros, wallLimitMs: args.wallMs },
      });
    }
    // Anything else escaped the prelude's own try/catch (e.g. a stack overflow inside it): the
    // context may be half-broken, so it is not reused.
    this.dispose();
    return new TkError('TK_PLUGIN_ERROR', `${args.point} failed: ${message}`);
  }

  dispose(): void {
    if (!this.isolate.isDisposed) this.isolate.dispose();
  }
}
