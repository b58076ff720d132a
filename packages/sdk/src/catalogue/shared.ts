import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { Permission } from '../permissions.js';

/** An opaque member ID: per merchant, never a phone number or name. */
export const MemberId = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9_-]+$',
  description: 'Opaque member ID (per merchant); never personal data',
});

/** An amount of money in integer fen (1 yuan = 100 fen). */
export const Fen = (options: { description?: string } = {}) => Type.Integer({ minimum: 0, ...options });

/** A ratio in integer basis points (10000 = 100%). */
export const BasisPoints = (options: { description?: string } = {}) => Type.Integer({ minimum: 0, maximum: 10_000, ...options });

/** An RFC 3339 timestamp, e.g. `2026-11-25T08:00:00Z`. */
export const Timestamp = (options: { description?: string } = {}) =>
  Type.String({ format: 'date-time', ...options });

/** How several installs of plugins on one merchant combine at a point. */
export type CombineMode = 'exclusive' | 'merge';

/** The limits one invocation of a point runs under. Platform-tunable; a plugin cannot raise them. */
export interface PointBudget {
  /** CPU time budget in milliseconds, measured from the isolate's cpuTime. */
  cpuMs: number;
  /** Hard wall-clock stop in milliseconds. */
  wallMs: number;
  /** Guest heap limit in MiB. */
  heapMb: number;
  /** Maximum input size in bytes (UTF-8 JSON). */
  inputBytes: number;
  /** Maximum output size in bytes (UTF-8 JSON). */
  outputBytes: number;
  /** Maximum captured console output per invocation, in bytes; the rest is dropped and flagged. */
  logBytes: number;
}

/** The DESIGN defaults for synchronous extension points. */
export const SYNC_POINT_BUDGET: PointBudget = {
  cpuMs: 20,
  wallMs: 100,
  heapMb: 16,
  inputBytes: 128 * 1024,
  outputBytes: 20 * 1024,
  logBytes: 1024,
};

/** Limits of one event handler invocation (asynchronous, with host calls). */
export interface EventBudget {
  wallMs: number;
  heapMb: number;
  /** Host calls (KV, points, …) per invocation. */
  hostCalls: number;
  /**
   * Largest arguments of one host call, in bytes of UTF-8 JSON. Bigger calls are refused with
   * TK_VALIDATION before they cross to the host. Room for the largest KV value (64 KB) with its key.
   */
  hostCallArgsBytes: number;
  inputBytes: number;
  logBytes: number;
}

/** The DESIGN defaults for event handlers. */
export const EVENT_HANDLER_BUDGET: EventBudget = {
  wallMs: 5000,
  heapMb: 64,
  hostCalls: 50,
  hostCallArgsBytes: 128 * 1024,
  inputBytes: 128 * 1024,
  logBytes: 4096,
};

/** A business-rule violation found in an output that matches its schema. */
export interface OutputProblem {
  path: string;
  message: string;
}

/**
 * One extension point of the catalogue: its contract (schemas), its budget, how installs combine, and
 * the platform default applied when a plugin fails.
 */
export interface ExtensionPointSpec<I extends TSchema = TSchema, O extends TSchema = TSchema> {
  id: string;
  apiVersion: string;
  primitive: '会员通' | '商品通' | '服务通' | '导购';
  title: string;
  description: string;
  input: I;
  output: O;
  budget: PointBudget;
  combine: CombineMode;
  /** What the host does instead when the plugin fails (never silently: logged and counted). */
  fallback: string;
  /** The platform default decision the host applies when the plugin fails or is paused. */
  fallbackOutput: (input: Static<I>) => Static<O>;
  /** Permissions the point's input implies (its data is personal or commercial); review counts them as used. */
  permissions: readonly Permission[];
  /** Checks that a schema cannot express (e.g. "the tier must be one of the input's tiers"). */
  checkOutput?: (input: unknown, output: unknown) => OutputProblem[];
}
