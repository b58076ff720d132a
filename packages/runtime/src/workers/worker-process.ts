import { fork, type ChildProcess } from 'node:child_process';
import { TkError } from '@tongkit/sdk';
import type { EventHost } from '../contract.js';
import { MAX_JSON_DEPTH } from '../internal/json-depth.js';
import { SANDBOX_PROCESS_ENV } from '../internal/sandbox-env.js';
import { reviveError, type Beat, type FromWorker, type HostResult, type Request } from './protocol.js';

/** Why a worker process went away. */
export interface WorkerExit {
  workerId: number;
  /**
   * `crashed`: it died by itself (a guest aborted it); `hung`: its event loop stopped turning and it was
   * killed; `memory`: it went over its memory budget and was recycled; `closed`: the pool shut it down;
   * `start-failed`: it died before it was ready (the platform's problem, not a plugin's).
   */
  reason: 'crashed' | 'hung' | 'memory' | 'closed' | 'start-failed';
  exitCode: number | null;
  signal: string | null;
  /** The end of what the worker wrote to stderr (V8 and isolated-vm explain fatal errors there). */
  stderrTail: string;
  /** Tenants that had calls in flight when it went. */
  tenantsInFlight: string[];
  /**
   * Of those, the tenants whose code was running: the extension call or load holding the worker's
   * thread, and every event handler in flight not waiting on a host call (they run side by side). The
   * others were only queued, or waiting.
   */
  culprits: string[];
}

interface Pending {
  tenant: string;
  kind: Request['t'];
  /** Host calls of this event being answered here: while one is, the handler is waiting, not running. */
  hostCallsOutstanding: number;
  resolve: (value: unknown) => void;
  reject: (error: TkError) => void;
  host?: EventHost;
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;
const STDERR_TAIL_BYTES = 4096;

/**
 * The pool's side of one sandbox worker process: requests in flight, the plugins loaded in it, its
 * last beat. When the process goes, every request in flight is answered TK_WORKER_CRASHED.
 */
export class WorkerProcess {
  readonly child: ChildProcess;
  /** Keys of the plugins this process has been asked to load. */
  readonly loaded = new Set<string>();
  readonly startedAt = performance.now();
  lastBeatAt = this.startedAt;
  lastBeat: Beat | undefined;
  /** Set once the pool stopped sending it work (recycling or closing). */
  retiring = false;
  exited = false;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  /** The request holding the worker's thread now, as the worker announced it. */
  private running: number | undefined;
  private stderrTail = '';
  private exitReason: WorkerExit['reason'] = 'crashed';

  constructor(
    readonly workerId: number,
    entry: string,
    startOptions: unknown,
    private readonly onExit: (worker: WorkerProcess, exit: WorkerExit) => void,
  ) {
    this.child = fork(entry, [JSON.stringify(startOptions)], {
      execArgv: ['--no-node-snapshot'],
      serialization: 'json',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { PATH: process.env['PATH'] ?? '', NODE_ENV: process.env['NODE_ENV'] ?? 'production', ...SANDBOX_PROCESS_ENV },
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
    });
    this.child.on('message', (message: FromWorker) => this.receive(message));
    // A process that could not be started emits 'error' and never 'exit'; otherwise 'exit' follows.
    this.child.on('error', () => {
      if (this.child.pid === undefined) this.exit(null, null);
    });
    this.child.on('exit', (code, signal) => this.exit(code, signal));
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Sends a request and resolves with the worker's `value` (or rejects with its error). A request that
   * cannot be sent is answered at once: nothing else would ever answer it, since the worker, alive and
   * beating, never heard of it.
   */
  request(request: DistributiveOmit<Request, 'id' | 'tenant'>, tenant: string, host?: EventHost): Promise<unknown> {
    if (this.exited || !this.child.connected) return Promise.reject(this.crashError(false));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { tenant, kind: request.t, hostCallsOutstanding: 0, resolve, reject, ...(host ? { host } : {}) });
      try {
        this.child.send({ ...request, id, tenant } as Request);
      } catch (error) {
        this.pending.delete(id);
        reject(this.unsendable(error));
      }
    });
  }

  /**
   * Why a request could not be sent: the channel closed under us (the process is going), or the request
   * is not JSON the channel can carry — too deep for JSON.stringify's stack, a BigInt, a cycle. The
   * runtime refuses such input, settings and events before they get here; this is the backstop.
   */
  private unsendable(error: unknown): TkError {
    if (this.exited || !this.child.connected) return this.crashError(false);
    const why = error instanceof RangeError ? 'it nests too deeply' : error instanceof Error ? error.message : String(error);
    return new TkError('TK_VALIDATION', `the request could not be sent to the sandbox worker: ${why}`, {
      hint: `Pass plain JSON nested at most ${MAX_JSON_DEPTH} levels deep.`,
      details: { workerId: this.workerId },
    });
  }

  /** Stops the process now; requests in flight are answered TK_WORKER_CRASHED. */
  kill(reason: WorkerExit['reason']): void {
    if (this.exited) return;
    this.exitReason = reason;
    this.retiring = true;
    this.child.kill('SIGKILL');
  }

  /** Tenants with requests in flight. */
  tenantsInFlight(): string[] {
    return [...new Set([...this.pending.values()].map((p) => p.tenant))];
  }

  private receive(message: FromWorker): void {
    // The worker is not trusted (a guest may have taken it over): anything malformed is dropped.
    if (typeof message !== 'object' || message === null) return;
    switch (message.t) {
      case 'beat':
        this.lastBeatAt = performance.now();
        this.lastBeat = message;
        return;
      case 'run':
        this.running = message.id;
        return;
      case 'done': {
        if (this.running === message.id) this.running = undefined;
        // Fresher than the last beat: stats() read right after this answer count it.
        if (this.lastBeat && typeof message.cache === 'object' && message.cache !== null) {
          const { isolatesAlive, isolateBytes, evictions, warmHits, coldStarts } = message.cache;
          this.lastBeat = { ...this.lastBeat, isolatesAlive, isolateBytes, evictions, warmHits, coldStarts };
        }
        const pending = this.pending.get(message.id);
        if (!pending) return;
        this.pending.delete(message.id);
        if (message.error) pending.reject(reviveError(message.error));
        else pending.resolve(message.value);
        return;
      }
      case 'hostCall': {
        const pending = this.pending.get(message.id);
        const host = pending?.host;
        if (pending) pending.hostCallsOutstanding++;
        const answer = (result: Omit<HostResult, 't' | 'callId'>) => {
          if (pending) pending.hostCallsOutstanding--;
          if (this.exited || !this.child.connected) return;
          try {
            this.child.send({ t: 'hostResult', callId: message.callId, ...result } satisfies HostResult);
          } catch {
            // A host answer the channel cannot carry: the plugin gets an error rather than waiting forever.
            const error = new TkError('TK_INTERNAL', 'the host call\'s answer could not be sent to the sandbox worker').toJSON();
            this.child.send({ t: 'hostResult', callId: message.callId, ok: false, error } satisfies HostResult);
          }
        };
        if (!host) return answer({ ok: false, error: new TkError('TK_INTERNAL', 'a host call arrived for no event in flight').toJSON() });
        Promise.resolve()
          .then(() => host.call(String(message.namespace), String(message.method), Array.isArray(message.args) ? message.args : []))
          .then(
            (value) => answer({ ok: true, value }),
            // Only a TkError's code and message reach the plugin (as in-process): never a host error's text.
            (error: unknown) => {
              // Only the code and message cross back to the guest: the host's details stay in the host.
              const failure = TkError.from(error, 'the host call failed', { opaque: true });
              answer({ ok: false, error: new TkError(failure.code, failure.message).toJSON() });
            },
          );
        return;
      }
    }
  }

  /**
   * Whether a request's code may have been running when the worker went: the call the worker announced
   * as holding its thread, and any event handler not waiting on a host call (they run side by side).
   */
  private mayHaveRun(id: number, pending: Pending): boolean {
    return id === this.running || (pending.kind === 'event' && pending.hostCallsOutstanding === 0);
  }

  /** Tenants whose code was running when the worker went (see {@link WorkerExit.culprits}). */
  private culprits(): Set<string> {
    const culprits = new Set<string>();
    for (const [id, pending] of this.pending) if (this.mayHaveRun(id, pending)) culprits.add(pending.tenant);
    return culprits;
  }

  private crashError(culprit: boolean): TkError {
    const what = {
      hung: 'stopped responding and was killed',
      memory: 'went over its memory budget and was recycled',
      crashed: 'crashed',
      closed: 'was shut down with the sandbox',
      'start-failed': 'could not start',
    }[this.exitReason];
    const cause =
      this.exitReason === 'hung'
        ? 'one native operation that cannot be interrupted (a huge Array fill, sort or join)'
        : 'memory exhausted beyond recovery (a Map, Set, object or string grown without bound)';
    const details = { workerId: this.workerId, reason: this.exitReason, culprit };
    if (this.exitReason === 'closed' || this.exitReason === 'start-failed') {
      return new TkError('TK_WORKER_CRASHED', `the sandbox worker for this call ${what}`, { hint: 'Retry; if it keeps happening, the host needs attention.', details });
    }
    if (!culprit) {
      return new TkError('TK_WORKER_CRASHED', `the sandbox worker ${what} while running another call; this one had not started`, { hint: 'Retry: a new worker serves it.', details });
    }
    // The worker went while this call's code held its thread (or, for an event handler, was running
    // beside it): the plugin's doing, as a contained TK_MEMORY_LIMIT or TK_TIMEOUT would be.
    return new TkError('TK_WORKER_CRASHED', `the sandbox worker running this call ${what}; it has been restarted`, {
      fault: 'plugin',
      hint: `Retry. If it happens again with the same plugin, that plugin is the cause: look for ${cause}.`,
      details,
    });
  }

  private exit(exitCode: number | null, signal: string | null): void {
    if (this.exited) return;
    this.exited = true;
    this.retiring = true;
    // Gone before its first beat: it never got to run a plugin.
    if (!this.lastBeat && this.exitReason !== 'closed') this.exitReason = 'start-failed';
    const tenantsInFlight = this.tenantsInFlight();
    const culprits = this.exitReason === 'start-failed' ? new Set<string>() : this.culprits();
    for (const [id, pending] of this.pending) pending.reject(this.crashError(this.mayHaveRun(id, pending)));
    this.pending.clear();
    this.onExit(this, { workerId: this.workerId, reason: this.exitReason, exitCode, signal, stderrTail: this.stderrTail, tenantsInFlight, culprits: [...culprits] });
  }

  /** Marks a deliberate shutdown, so the exit is reported as `closed`. */
  close(): void {
    if (this.exited) return;
    this.exitReason = 'closed';
    this.retiring = true;
    if (this.child.connected) this.child.disconnect();
    // A worker stuck in a guest call cannot see the disconnect.
    setTimeout(() => this.child.kill('SIGKILL'), 2_000).unref();
  }
}
