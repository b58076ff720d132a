import { TkError, type Permission, type TkErrorJSON, type TongkitEvent } from '@tongkit/sdk';
import type { PluginBundle, RuntimeOptions } from '../contract.js';

// The messages between the pool (the host process) and a sandbox worker process, sent as JSON over
// Node's IPC channel. Results carry TkErrors as their JSON and are revived on the other side; nothing
// but plain data crosses.

/**
 * What the pool asks of a worker. Every request is answered by one {@link Done}. `tenant` is whom it
 * runs for: the worker takes its queued requests in turn per tenant, not first come first served.
 */
export type Request =
  | { t: 'load'; id: number; tenant: string; key: string; bundle: PluginBundle; installId: string }
  | { t: 'invoke'; id: number; tenant: string; key: string; point: string; input: unknown; settings: unknown; fresh: boolean }
  | { t: 'event'; id: number; tenant: string; key: string; event: TongkitEvent; settings: unknown; merchantId: string; permissions: readonly Permission[] };

/** The pool's answer to a worker's host call, made on behalf of the event request `id`. */
export interface HostResult {
  t: 'hostResult';
  callId: number;
  ok: boolean;
  value?: unknown;
  error?: TkErrorJSON;
}

export type ToWorker = Request | HostResult;

/** A request's outcome: `value` is the runtime's result with its error as JSON, or `error` when the request itself failed. */
export interface Done {
  t: 'done';
  id: number;
  value?: unknown;
  error?: TkErrorJSON;
  /** The worker's cache figures after this request, so the pool's stats() count it as soon as it is answered. */
  cache: CacheFigures;
}

/** A worker's isolate cache figures (its runtime's stats). */
export interface CacheFigures {
  isolatesAlive: number;
  isolateBytes: number;
  evictions: number;
  warmHits: number;
  coldStarts: number;
}

/** A host call from an event handler running in the worker. */
export interface HostCall {
  t: 'hostCall';
  id: number;
  callId: number;
  namespace: string;
  method: string;
  args: unknown[];
}

/**
 * Sent just before the worker runs a request that holds its thread (a load or an extension call): if
 * the worker dies or hangs, the pool then knows whose call did it, and spares the others in flight.
 */
export interface Running {
  t: 'run';
  id: number;
}

/** Sent every {@link BEAT_MS} while the worker's event loop turns: liveness, memory and cache figures. */
export interface Beat extends CacheFigures {
  t: 'beat';
  rss: number;
}

export type FromWorker = Done | HostCall | Beat | Running;

/** The bytes of bundles (code and source maps) a worker keeps loaded by default; the least recently used go beyond it. */
export const LOADED_BUNDLE_BYTES = 128 * 1024 * 1024;

/** Set in the details of the error a worker answers for a plugin it does not hold (any more): the pool reloads it and retries. */
export const NOT_LOADED = 'notLoaded';

/** How often a worker reports in. */
export const BEAT_MS = 200;

/** What a worker is started with (argv[2], JSON). */
export type WorkerStartOptions = Pick<RuntimeOptions, 'limits' | 'eventLimits' | 'maxIsolateBytes'> & { maxLoadedBundleBytes?: number };

/** A TkError rebuilt from its JSON (an unknown code becomes TK_INTERNAL: the wire is not trusted blindly). */
export function reviveError(json: TkErrorJSON | undefined): TkError {
  return TkError.fromJSON(json, 'a sandbox worker');
}

/** A runtime result (`{ ok, error?, … }`) with its TkError as JSON, for the wire. */
export function resultToWire<R extends { ok: boolean; error?: TkError }>(result: R): unknown {
  return result.ok ? result : { ...result, error: result.error!.toJSON() };
}

/** The inverse of {@link resultToWire}. */
export function resultFromWire<R>(wire: unknown): R {
  const result = wire as { ok: boolean; error?: TkErrorJSON };
  return (result.ok ? result : { ...result, error: reviveError(result.error) }) as R;
}
