import type { Static, TObject, TSchema } from '@sinclair/typebox';
import type { ApiVersion, EventName, ExtensionPointId, PointInput, PointOutput, TongkitEvent } from './catalogue/index.js';
import type { HostApiContext } from './host-api/index.js';
import type { Permission } from './permissions.js';

/** What an extension handler receives besides its input. */
export interface ExtensionContext<S> {
  /** The install's effective settings (per store when the merchant overrides them), already validated. */
  readonly settings: Readonly<S>;
}

/**
 * What an event handler receives besides the event: settings and the host APIs of the catalogue
 * ({@link HOST_API}: `ctx.kv`, `ctx.log`, …), each call checked against the permissions the merchant
 * granted. Domain APIs (points, inventory, …) arrive with their primitives, as catalogue entries.
 */
export interface EventContext<S> extends HostApiContext {
  readonly settings: Readonly<S>;
  /** The merchant this install belongs to. */
  readonly merchantId: string;
}

/** The extension handlers of a plugin: at most one per catalogued point, each typed from its schemas. */
export type ExtensionHandlers<S> = {
  [P in ExtensionPointId]?: (input: PointInput<P>, context: ExtensionContext<S>) => PointOutput<P>;
};

/** The event handlers of a plugin: asynchronous, run at least once per event. */
export type EventHandlers<S> = {
  [E in EventName]?: (event: TongkitEvent<E>, context: EventContext<S>) => Promise<void> | void;
};

/**
 * A cron trigger: the host runs `handler` at least once per slot of `cron` (five fields, in the
 * merchant's time zone) with a `schedule.fired` event, through the same sandbox, budgets and `ctx` as an
 * event handler. After downtime only the latest missed slot runs (`event.data.missedSlots` counts the
 * skipped ones); see docs/schedules.md.
 */
export interface ScheduleDefinition<S> {
  /** Lowercase letters, digits and dashes, unique in the plugin. */
  name: string;
  /** e.g. `0 3 * * *` (03:00 every day in the merchant's time zone). */
  cron: string;
  handler: (event: TongkitEvent<'schedule.fired'>, context: EventContext<S>) => Promise<void> | void;
}

/** What `definePlugin` takes. `S` is the settings schema; handlers see `Static<S>`. */
export interface PluginDefinition<S extends TSchema = TObject> {
  /** Lowercase letters, digits and dashes, e.g. `acme-tiers`. */
  name: string;
  /** Semantic version of this plugin, e.g. `1.2.0`. */
  version: string;
  /** The contract version the plugin was written against, e.g. `2026-11`. */
  apiVersion: ApiVersion;
  description?: string;
  /** Host capabilities the plugin needs; the merchant consents to them at install. */
  permissions?: readonly Permission[];
  /** TypeBox schema of the merchant settings form (`Type.Object({...})`). Defaults fill missing values. */
  settings?: S;
  /** Synchronous, deterministic decisions: no clock, no randomness, no I/O. */
  extensions?: ExtensionHandlers<Static<S>>;
  /** Asynchronous event handlers. */
  events?: EventHandlers<Static<S>>;
  /** Cron triggers (`schedule.fired` handlers), e.g. a nightly reminder. */
  schedules?: readonly ScheduleDefinition<Static<S>>[];
}

/**
 * Declares a Tongkit plugin. Types flow from the catalogue and your settings schema: handler inputs and
 * outputs are checked against their extension points, `settings` is typed from your schema, and an
 * unknown point is a compile error.
 *
 * @example
 * export default definePlugin({
 *   name: 'acme-tiers', version: '1.0.0', apiVersion: '2026-11', permissions: ['member:read'],
 *   settings: Type.Object({ goldAtFen: Type.Integer({ minimum: 0, default: 500_000 }) }),
 *   extensions: {
 *     'member.tier.compute': (input, { settings }) => ({ tierId: 'gold', reason: '…' }),
 *   },
 * });
 */
export function definePlugin<const S extends TSchema = TObject>(definition: PluginDefinition<S>): PluginDefinition<S> {
  return definition;
}
