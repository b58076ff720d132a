import type { FastifyPluginAsync } from 'fastify';
import type { Static } from '@sinclair/typebox';
import type { EventName, HOST_API, HostApiNamespace, HostMethodArgs, HostMethodSpec } from '@tongkit/sdk';
import type { Database, Queryable } from '../storage/database.js';
import type { HostKeyRing } from '../host-keys.js';

/** Who a host call is made for: the install (the tenant of its idempotency keys) and its merchant. */
export interface HostCallScope {
  readonly installId: string;
  readonly merchantId: string;
  readonly plugin: string;
  /** The event whose handler made the call. */
  readonly eventId: string;
  /** That event's causation depth (0 for a fact from outside); absent where no event is known: 0. */
  readonly causationDepth?: number | undefined;
}

/**
 * A host call answered inside the delivery batch's transaction: its writes commit with the delivery's
 * ack (or not at all). Only for a namespace that takes no row lock another request waits for — plugin
 * KV, whose rows are the install's own — since the batch holds its locks for up to 50 handlers of 5 s.
 */
export interface BatchHostCall extends HostCallScope {
  /** The batch's transaction; a statement that fails here fails the delivery (see HostCallTransaction). */
  readonly tx: Queryable;
}

/**
 * A host call that commits in its own short transaction, with its idempotency record
 * ({@link runHostCall}): what every domain namespace (points, inventory, …) uses, so an event handler
 * never holds a member's or a SKU's row lock while a till waits.
 */
export interface OwnHostCall extends HostCallScope {
  readonly db: Database;
}

type Catalogue = typeof HOST_API;
type Methods<N extends HostApiNamespace> = Catalogue[N]['methods'];
/** The methods of a namespace that cross to the host (not the guest-side ones such as `log.*`). */
export type HostCallMethodName<N extends HostApiNamespace> = {
  [M in keyof Methods<N>]: Methods<N>[M] extends { runs: 'guest' } ? never : M;
}[keyof Methods<N>] &
  string;
/** The namespaces with at least one method that crosses to the host: each needs one module's handlers. */
export type HostCallNamespace = { [N in HostApiNamespace]: HostCallMethodName<N> extends never ? never : N }[HostApiNamespace];

/**
 * The handlers of one namespace, typed from the catalogue: each receives the call's scope and the
 * arguments as the catalogue's schemas validated them (a left-out optional argument is `undefined`).
 */
export type HostApiHandlers<N extends HostApiNamespace, Call> = {
  readonly [M in HostCallMethodName<N>]: HostMethodHandler<Methods<N>[M], Call>;
};
/** The handler of one method (`null` where the result is void: a stored idempotent result comes back as JSON null). */
type HostMethodHandler<S, Call> = S extends HostMethodSpec ? (call: Call, ...args: HostMethodArgs<S['params']>) => Promise<Static<S['result']> | null> : never;

/** How a module answers one namespace of `ctx`, and in which transaction. */
export type HostApiBinding<N extends HostApiNamespace> =
  | { readonly transaction: 'delivery-batch'; readonly handlers: HostApiHandlers<N, BatchHostCall> }
  | { readonly transaction: 'own'; readonly handlers: HostApiHandlers<N, OwnHostCall> };

/**
 * A cron trigger a module runs (points expiry, tier downgrade, reminders), by the host's ScheduleRunner
 * (`platform/schedules/`): once per slot across all host processes, claimed in `schedule_claims`.
 */
export interface HostSchedule {
  readonly name: string;
  /** Five-field cron, evaluated in UTC: a host schedule works across merchants (a merchant's calendar is the module's to apply). */
  readonly cron: string;
  run(platform: HostPlatform, firedAt: Date): Promise<void>;
}

/** What a module is built from: the platform services it may use. */
export interface HostPlatform {
  readonly db: Database;
  /**
   * Writes an event to the outbox inside the caller's transaction, so it exists only if the change it
   * announces commits.
   */
  publishIn(
    tx: Queryable,
    merchantId: string,
    event: { id?: string | undefined; type: EventName; data: Record<string, unknown>; occurredAt?: Date | undefined },
    causationDepth?: number,
  ): Promise<{ id: string; duplicate: boolean }>;
  /**
   * The host key ring (members' personal data and phone digests). `startHost` loads it from
   * configuration or the key file. Without one, a random in-memory key is used: for tests only, since
   * what it encrypted cannot be read by another process.
   */
  readonly hostKeys?: HostKeyRing | undefined;
  /**
   * Whether the merchant has this member, asked of the members service in the caller's transaction:
   * for modules that key their data by member (points) and must not read the members' tables. Absent
   * where no members service runs (a bare dispatcher in tests): every member id is then accepted.
   */
  readonly memberExists?: (tx: Queryable, merchantId: string, memberId: string) => Promise<boolean>;
  /**
   * Runs an extension point for a merchant (the host's extension invoker: the serving install, or the
   * point's fallback, logged). Absent in a platform built without plugins: modules use the fallback.
   */
  readonly invokePoint?:
    | ((merchantId: string, point: string, input: unknown, storeId: string | undefined) => Promise<{ output: unknown; source: 'plugin' | 'fallback' | 'platform'; installId: string | null }>)
    | undefined;
  /**
   * Writes the invocation log rows this process still buffers (the invoke route logs behind): called
   * before purging what the log holds about a member.
   */
  readonly flushInvocationLog?: (() => Promise<void>) | undefined;
  /**
   * The tier the host applied to a member (the tiers service), for the members routes to show without
   * reading the tiers' tables; null while the merchant has no ladder.
   */
  readonly memberTier?:
    | ((merchantId: string, memberId: string) => Promise<{ tierId: string; name: string; rank: number; assigned: boolean; since: string | null; expiresAt: string | null; protectedUntil: string | null } | null>)
    | undefined;
  /**
   * Like `invokePoint`, but leaves writing the invocation's log to the caller (`logIn(tx)`), in the
   * transaction that applies the decision (tiers: the history row and its invocation commit together).
   */
  readonly decidePoint?:
    | ((
        merchantId: string,
        point: string,
        input: unknown,
      ) => Promise<{ output: unknown; source: 'plugin' | 'fallback' | 'platform'; installId: string | null; invocationId: string; version: string | null; logIn(tx: Queryable): Promise<void> }>)
    | undefined;
  /**
   * Runs a `merge` point on every install serving it (the extension invoker's `invokeEach`): each
   * answer, or `ok: false` for an install that failed, is logged. Absent without plugins: no answers.
   */
  readonly invokeEachPoint?:
    | ((merchantId: string, point: string, input: unknown, storeId: string | undefined) => Promise<Array<{ installId: string | null; plugin: string | null; output: unknown; error: { code: string } | null }>>)
    | undefined;
}

/**
 * One primitive of the host (KV, members, points, orders, …) as a unit the platform plugs in. Everything
 * a primitive adds is declared here, so a newcomer finds it in one place (see docs/architecture.md):
 *
 * - `migrations`: the files of the host's one numbered sequence (`packages/host/migrations`) that
 *   create or change this module's tables (the sequence itself stays one, applied in order by `migrate`).
 * - `routes`: a Fastify plugin registered on the host's app (auth declared per route, as everywhere).
 * - `hostApis`: the handlers of its `ctx` namespaces, keyed by namespace of the SDK's `HOST_API`.
 * - `emits`: the events it writes to the outbox (with `platform.publishIn`, in the change's transaction).
 * - `schedules`: its cron triggers.
 */
export interface HostModule {
  /** The primitive's name, the folder under `src/domains/`. */
  readonly name: string;
  readonly migrations: readonly string[];
  readonly routes?: FastifyPluginAsync;
  readonly hostApis?: { readonly [N in HostCallNamespace]?: HostApiBinding<N> };
  readonly emits?: readonly EventName[];
  readonly schedules?: readonly HostSchedule[];
}

/** Builds a module on the platform's services (its service objects shared by its routes and handlers). */
export type HostModuleFactory = (platform: HostPlatform) => HostModule;
