import type { Permission } from '../permissions.js';
import { GUIDES_HOST_API } from './guides.js';
import { APPOINTMENTS_HOST_API } from './appointments.js';
import { INVENTORY_HOST_API } from './inventory.js';
import { KV_HOST_API } from './kv.js';
import { LOG_HOST_API } from './log.js';
import { MEMBERS_HOST_API } from './members.js';
import { ORDERS_HOST_API } from './orders.js';
import { POINTS_HOST_API } from './points.js';
import { SERVICE_HOST_API } from './service.js';
import { STORED_VALUE_HOST_API } from './stored-value.js';
import { VOUCHERS_HOST_API } from './vouchers.js';
import type { HostMethodSpec, HostNamespaceClient, HostNamespaceSpec } from './method.js';

export * from './method.js';
export { KvKeySchema, KvSetOptionsSchema, KV_HOST_API } from './kv.js';
export { INVENTORY_HOST_API, INVENTORY_REJECTIONS, InventoryBillResultSchema, SkuSchema, StockLevelSchema } from './inventory.js';
export { LOG_HOST_API } from './log.js';
export { Guide, GuideRelation, GUIDES_HOST_API } from './guides.js';
export { Member, MemberPii, MEMBERS_HOST_API } from './members.js';
export { Order, ORDERS_HOST_API, Refund } from './orders.js';
export { LedgerAccountSchema, LedgerResultSchema, MemberBalanceSchema, POINTS_HOST_API, type LedgerResultData, type MemberBalance } from './points.js';
export { STORED_VALUE_HOST_API, StoredValueBalanceSchema, type StoredValueBalance } from './stored-value.js';
export { Appointment, APPOINTMENTS_HOST_API, BOOKING_REJECTIONS, BookingResult, ServiceDay, ServiceTime, StoreRef } from './appointments.js';
export { Voucher, VoucherIssueResult, VoucherPrecheck, VoucherRedemptionResult, VOUCHER_REJECTIONS, VoucherSerial, VoucherTemplate, VoucherTemplateId, VOUCHERS_HOST_API } from './vouchers.js';
export { AdvanceTarget, PaymentCallbackRecord, PaymentIntent, ServiceMutationResult, ServiceOrder, ServiceStage, SERVICE_HOST_API, StageTransition } from './service.js';

/**
 * The host-API catalogue: every namespace of an event handler's `ctx`, each method with its permission
 * and the TypeBox schemas of its arguments and result. It is the one list of the `ctx` seam: it types
 * {@link EventContext}, the runtime generates the sandbox's `ctx` from it, the runtime and the host check
 * each call's permission against it, the host validates arguments with its schemas, and review's
 * "permissions used" scan reads it. A new namespace is one file here plus one host module.
 *
 * @example
 * HOST_API.kv.methods.increment.permission; // 'storage:kv'
 */
export const HOST_API = {
  kv: KV_HOST_API,
  log: LOG_HOST_API,
  members: MEMBERS_HOST_API,
  orders: ORDERS_HOST_API,
  points: POINTS_HOST_API,
  service: SERVICE_HOST_API,
  appointments: APPOINTMENTS_HOST_API,
  vouchers: VOUCHERS_HOST_API,
  inventory: INVENTORY_HOST_API,
  storedValue: STORED_VALUE_HOST_API,
  guides: GUIDES_HOST_API,
} as const satisfies Record<string, HostNamespaceSpec>;

type Catalogue = typeof HOST_API;
/** A namespace of `ctx`, e.g. `kv`. */
export type HostApiNamespace = keyof Catalogue;
/** The method names of namespace `N`. */
export type HostApiMethodName<N extends HostApiNamespace> = keyof Catalogue[N]['methods'] & string;
/** `ctx.<N>` as a plugin sees it. */
export type HostApiClient<N extends HostApiNamespace> = HostNamespaceClient<Catalogue[N]>;
/** The host APIs of an event handler's context, one property per namespace. */
export type HostApiContext = { readonly [N in HostApiNamespace]: HostApiClient<N> };

/** The install's own key-value storage (`storage:kv`), purged when the merchant uninstalls. */
export type PluginKv = HostApiClient<'kv'>;
/** Structured logs the merchant and the developer see in `tongkit logs`. */
export type PluginLogger = HostApiClient<'log'>;
/** Members' points and growth value (`points:write`; `balance`: `member:read`). */
export type PluginPoints = HostApiClient<'points'>;
/** Stock per store and SKU, and reservations for allocations (`inventory:read`, `inventory:write`). */
export type PluginInventory = HostApiClient<'inventory'>;

/** All namespaces, in catalogue order. */
export const HOST_API_NAMESPACES = Object.keys(HOST_API) as HostApiNamespace[];

/** Looks a method up; `undefined` when the namespace or the method is not catalogued. */
export function getHostMethod(namespace: string, method: string): HostMethodSpec | undefined {
  if (!Object.hasOwn(HOST_API, namespace)) return undefined;
  const methods: Readonly<Record<string, HostMethodSpec>> = (HOST_API as Record<string, HostNamespaceSpec>)[namespace]!.methods;
  return Object.hasOwn(methods, method) ? methods[method] : undefined;
}

/** The permissions the methods of a namespace need, without duplicates (empty for an unknown one). */
export function permissionsOfNamespace(namespace: string): Permission[] {
  if (!Object.hasOwn(HOST_API, namespace)) return [];
  const methods = Object.values((HOST_API as Record<string, HostNamespaceSpec>)[namespace]!.methods);
  return [...new Set(methods.flatMap((method) => (method.permission ? [method.permission] : [])))];
}

/**
 * The methods reached by a host call, per namespace (guest-side methods such as `log.*` left out):
 * what the sandbox's prelude builds `ctx` from.
 */
export function hostCallSurface(): Record<string, string[]> {
  const surface: Record<string, string[]> = {};
  for (const [namespace, spec] of Object.entries(HOST_API as Record<string, HostNamespaceSpec>)) {
    const methods = Object.entries(spec.methods).filter(([, method]) => method.runs !== 'guest');
    if (methods.length > 0) surface[namespace] = methods.map(([name]) => name);
  }
  return surface;
}

/** The guest-side methods per namespace (answered by the prelude itself, e.g. `log.info`). */
export function guestSideSurface(): Record<string, string[]> {
  const surface: Record<string, string[]> = {};
  for (const [namespace, spec] of Object.entries(HOST_API as Record<string, HostNamespaceSpec>)) {
    const methods = Object.entries(spec.methods).filter(([, method]) => method.runs === 'guest');
    if (methods.length > 0) surface[namespace] = methods.map(([name]) => name);
  }
  return surface;
}
