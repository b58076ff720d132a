import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { Permission } from '../permissions.js';

/** One positional argument of a host-API method. */
export interface HostMethodParam {
  /** The argument's name, as documentation and error messages show it. */
  readonly name: string;
  readonly schema: TSchema;
  /** Trailing arguments may be left out; across the sandbox boundary a left-out argument arrives as `null`. */
  readonly optional?: boolean;
}

/**
 * One method of a host-API namespace: the permission a call needs, the TypeBox schemas of its arguments
 * and result, and where it runs. The host validates every call's arguments against `params` before a
 * handler sees them; `result` documents (and types) what the plugin gets back.
 */
export interface HostMethodSpec {
  /** One line for docs and the review report. */
  readonly summary: string;
  /** What the install must be granted (and the manifest declare) to call it; `null`: nothing. */
  readonly permission: Permission | null;
  readonly params: readonly HostMethodParam[];
  readonly result: TSchema;
  /**
   * `host` (default): the call crosses to the host and resolves to a Promise. `guest`: the sandbox's
   * prelude answers it itself, synchronously (logging, which is buffered guest-side).
   */
  readonly runs?: 'host' | 'guest';
  /** True when the method changes state: it takes an idempotency key (see {@link MutationOptionsSchema}). */
  readonly mutates?: boolean;
}

/** A namespace of `ctx`: its methods by name. */
export interface HostNamespaceSpec {
  readonly summary: string;
  readonly methods: Readonly<Record<string, HostMethodSpec>>;
}

/** Declares a host-API namespace; `const` keeps its method names and schemas literal for the types. */
export function defineHostNamespace<const N extends HostNamespaceSpec>(namespace: N): N {
  return namespace;
}

/**
 * A JSON value as it crosses the sandbox boundary and as plugin KV storage keeps it.
 * (Nesting is bounded by the runtime before any schema check sees it.)
 */
export const JsonValueSchema = Type.Recursive(
  (Self) => Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null(), Type.Array(Self), Type.Record(Type.String(), Self)]),
  { $id: 'JsonValue' },
);

/** A JSON value as plugin KV storage keeps it. */
export type JsonValue = Static<typeof JsonValueSchema>;

/** An idempotency key: scoped to (install, key). */
export const IdempotencyKeySchema = Type.String({ minLength: 1, maxLength: 256, description: 'Scoped to (install, key); use the event id and what it changes.' });

/**
 * Options of a mutating host call. Further properties are ignored (not refused): a plugin built
 * against a newer SDK keeps working on an older host.
 */
export const MutationOptionsSchema = Type.Object(
  {
    /** The same key with a different payload is TK_CONFLICT; the same key and payload returns the first result. */
    idempotencyKey: Type.Optional(IdempotencyKeySchema),
  },
  { additionalProperties: true },
);

/** Options of a mutating host call: the idempotency key makes a redelivered event change nothing twice. */
export type MutationOptions = Static<typeof MutationOptionsSchema>;

/** The argument list of a method, as a TypeScript tuple (optional arguments trailing). */
export type HostMethodArgs<P extends readonly HostMethodParam[]> = P extends readonly [infer H extends HostMethodParam, ...infer T extends readonly HostMethodParam[]]
  ? H['optional'] extends true
    ? [Static<H['schema']>?, ...HostMethodArgs<T>]
    : [Static<H['schema']>, ...HostMethodArgs<T>]
  : [];

/** The function a plugin calls for a method: a Promise of its result, or (guest-side methods) its result at once. */
export type HostMethodFunction<M extends HostMethodSpec> = M['runs'] extends 'guest'
  ? (...args: HostMethodArgs<M['params']>) => Static<M['result']>
  : (...args: HostMethodArgs<M['params']>) => Promise<Static<M['result']>>;

/** A namespace as `ctx` presents it to a plugin. */
export type HostNamespaceClient<N extends HostNamespaceSpec> = { readonly [K in keyof N['methods']]: HostMethodFunction<N['methods'][K]> };
