/**
 * A sandbox worker process: runs plugins for the pool in its parent (the host) and nothing else. It
 * holds no database connection and no secrets, so a guest that takes it down (V8's fatal out-of-memory,
 * isolated-vm's catastrophic errors abort the process) costs one restart, not the host.
 *
 * Requests are queued and run in slices so the event loop keeps turning: the worker's beats are the
 * pool's proof that it is not stuck in a guest call.
 */
import { TkError, type TongkitEvent } from '@tongkit/sdk';
import type { LoadedPlugin } from '../contract.js';
import { createRuntime } from '../runtime.js';
import { LRUCache } from 'lru-cache';
import { BEAT_MS, LOADED_BUNDLE_BYTES, NOT_LOADED, resultToWire, reviveError, type CacheFigures, type Done, type FromWorker, type HostResult, type Request, type ToWorker, type WorkerStartOptions } from './protocol.js';

const startOptions = JSON.parse(process.argv[2] ?? '{}') as WorkerStartOptions;
// No onCatastrophicError handler: isolated-vm then aborts this process itself, which is what we want.
const { maxLoadedBundleBytes: _bundleBytes, ...runtimeOptions } = startOptions;
const runtime = createRuntime(runtimeOptions);

const send = (message: FromWorker) => {
  if (process.connected) process.send!(message);
};

/**
 * Loaded plugins by the pool's key, bounded by the bytes of their bundles (each load brings its own copy
 * of the code). A failed load is kept so the invocations queued behind it fail alike. The pool reloads a
 * plugin this worker forgot when it hears {@link NOT_LOADED}.
 */
const loading = new LRUCache<string, { promise: Promise<LoadedPlugin>; bytes: number }>({
  maxSize: startOptions.maxLoadedBundleBytes ?? LOADED_BUNDLE_BYTES,
  sizeCalculation: (entry) => entry.bytes,
  // The loaded plugin goes with its entry, so its bundle can be collected.
  dispose: (_entry, key) => loaded.delete(key),
});
/** The plugins of `loading` whose load finished, for calls that need not wait a microtask. */
const loaded = new Map<string, LoadedPlugin>();

const hostCalls = new Map<number, { resolve: (value: unknown) => void; reject: (error: unknown) => void }>();
let nextCallId = 0;

function cache(): CacheFigures {
  const { isolatesAlive, isolateBytes, evictions, warmHits, coldStarts } = runtime.stats();
  return { isolatesAlive, isolateBytes, evictions, warmHits, coldStarts };
}

function reply(id: number, outcome: Promise<unknown>): void {
  const fail = (error: unknown) => {
    const failure = TkError.from(error, 'sandbox worker');
    send({ t: 'done', id, error: failure.toJSON(), cache: cache() } satisfies Done);
  };
  outcome.then((value) => {
    try {
      send({ t: 'done', id, value, cache: cache() } satisfies Done);
    } catch (error) {
      // An answer the channel cannot carry (not JSON): the pool must still hear that this request is done.
      fail(new TkError('TK_INTERNAL', `sandbox worker: the answer could not be sent: ${error instanceof Error ? error.message : String(error)}`));
    }
  }, fail);
}

function pluginFor(key: string): LoadedPlugin | Promise<LoadedPlugin> {
  const promise = loading.get(key)?.promise;
  const ready = loaded.get(key);
  if (promise && ready) return ready;
  loaded.delete(key);
  return promise ?? Promise.reject(new TkError('TK_INTERNAL', `sandbox worker: plugin ${key} is not loaded`, { details: { [NOT_LOADED]: true } }));
}

function handle(request: Request): void {
  switch (request.t) {
    case 'load': {
      send({ t: 'run', id: request.id });
      const promise = runtime.load(request.bundle, { installId: request.installId });
      loading.set(request.key, { promise, bytes: Math.max(1, request.bundle.code.length + (request.bundle.sourceMap?.length ?? 0)) });
      loaded.delete(request.key);
      promise.then((plugin) => loading.peek(request.key)?.promise === promise && loaded.set(request.key, plugin), () => undefined);
      reply(request.id, promise.then(() => null));
      return;
    }
    case 'invoke': {
      const run = (plugin: LoadedPlugin) => plugin.invoke(request.point as never, request.input, request.settings, { fresh: request.fresh });
      const plugin = pluginFor(request.key);
      // A warm plugin runs now, inside this slice, rather than in a later microtask.
      const announced = (ready: LoadedPlugin) => {
        send({ t: 'run', id: request.id });
        return run(ready);
      };
      const result = plugin instanceof Promise ? plugin.then(announced) : announced(plugin);
      reply(request.id, result.then(resultToWire));
      return;
    }
    case 'event': {
      const host = {
        merchantId: request.merchantId,
        permissions: request.permissions,
        call: (namespace: string, method: string, args: unknown[]) =>
          new Promise<unknown>((resolve, reject) => {
            const callId = nextCallId++;
            hostCalls.set(callId, { resolve, reject });
            send({ t: 'hostCall', id: request.id, callId, namespace, method, args });
          }),
      };
      const result = Promise.resolve(pluginFor(request.key)).then((plugin) => plugin.handleEvent(request.event as TongkitEvent, request.settings, host));
      reply(request.id, result.then(resultToWire));
      return;
    }
  }
}

function settle(message: HostResult): void {
  const call = hostCalls.get(message.callId);
  if (!call) return;
  hostCalls.delete(message.callId);
  if (message.ok) call.resolve(message.value);
  else call.reject(reviveError(message.error));
}

/**
 * Requests waiting, per tenant, and the tenants in the order they are served: one request of each in
 * turn, so a tenant with many calls queued makes another wait for one of its calls, not all of them.
 */
const queues = new Map<string, Request[]>();
const turns: string[] = [];
let scheduled = false;
/** How long one slice may run requests before the event loop gets a turn (beats, host results). */
const SLICE_MS = 5;

function enqueue(request: Request): void {
  const tenant = String(request.tenant);
  const waiting = queues.get(tenant);
  if (waiting) waiting.push(request);
  else {
    queues.set(tenant, [request]);
    turns.push(tenant);
  }
  schedule();
}

function next(): Request | undefined {
  const tenant = turns.shift();
  if (tenant === undefined) return undefined;
  const waiting = queues.get(tenant)!;
  const request = waiting.shift()!;
  if (waiting.length > 0) turns.push(tenant);
  else queues.delete(tenant);
  return request;
}

function drain(): void {
  scheduled = false;
  const until = performance.now() + SLICE_MS;
  while (turns.length > 0 && performance.now() < until) handle(next()!);
  if (turns.length > 0) schedule();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(drain);
}

process.on('message', (message: ToWorker) => {
  if (message.t === 'hostResult') settle(message);
  else enqueue(message);
});
// The pool is gone (the host exited or closed the channel): so is the reason to exist.
process.on('disconnect', () => process.exit(0));

const beat = () => send({ t: 'beat', rss: process.memoryUsage.rss(), ...cache() });
setInterval(beat, BEAT_MS);
beat();
