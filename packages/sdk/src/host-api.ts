import type { Permission } from './permissions.js';

/**
 * Which permission each host API namespace of an event handler's context needs (`null`: none).
 * The host enforces it on every call; review compares it with what a plugin asks for.
 */
export const HOST_API_PERMISSIONS = {
  kv: 'storage:kv',
  log: null,
  points: 'points:write',
  members: 'member:read',
  inventory: 'inventory:write',
  orders: 'orders:read',
  service: 'service:write',
  vouchers: 'vouchers:write',
  guides: 'guides:read',
  messages: 'messages:send',
  fetch: 'network:fetch',
} as const satisfies Record<string, Permission | null>;

/** A JSON value as plugin KV storage keeps it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Options of a mutating host call: the idempotency key makes a redelivered event change nothing twice. */
export interface MutationOptions {
  /** Scoped to (install, key); the same key with a different payload is TK_CONFLICT. Use the event id. */
  idempotencyKey?: string;
}

/** The install's own key-value storage (`storage:kv`), purged when the merchant uninstalls. */
export interface PluginKv {
  get(key: string): Promise<JsonValue | undefined>;
  set(key: string, value: JsonValue, options?: MutationOptions): Promise<void>;
  delete(key: string, options?: MutationOptions): Promise<void>;
  /** Adds `by` to a numeric value (0 when absent) and returns the new value. */
  increment(key: string, by: number, options?: MutationOptions): Promise<number>;
}

/** Structured logs the merchant and the developer see in `tongkit logs`. */
export interface PluginLogger {
  info(message: string, data?: JsonValue): void;
  warn(message: string, data?: JsonValue): void;
  error(message: string, data?: JsonValue): void;
}
