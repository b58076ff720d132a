/**
 * @tongkit/runtime — runs built Tongkit plugins in an isolated-vm sandbox with the platform's limits,
 * schema validation in and out, deterministic clocks and measurements.
 *
 * @example
 * import { createRuntime, readPluginDir } from '@tongkit/runtime';
 * const plugin = await createRuntime().load(await readPluginDir('dist'));
 * const result = await plugin.invoke('member.tier.compute', input, settings);
 *
 * @packageDocumentation
 */
export { createRuntime } from './runtime.js';
export {
  FIRST_CALL_CPU_FACTOR,
  MAX_BUNDLE_BYTES,
  type EventHost,
  type EventMeasurements,
  type EventResult,
  type InvocationResult,
  type InvokeOptions,
  type LoadOptions,
  type LoadedPlugin,
  type LogLine,
  type Measurements,
  type PluginBundle,
  type Runtime,
  type RuntimeOptions,
  type RuntimeStats,
} from './contract.js';
export { readPluginDir } from './read-plugin-dir.js';
export { eventFailure } from './contract.js';
export { findProblems as validateAgainst, type ValidationProblem } from './internal/validation.js';
export { TkError, isTkError, type TkErrorCode, type TkErrorJSON } from '@tongkit/sdk';
export { judgeOnAWarmCall, passedOnFirstCallAllowance } from './internal/warm-budget.js';
export { FixtureSchema, checkFixture, readFixtures, runFixtures, type Fixture, type FixtureResult } from './fixtures.js';
export {
  DEFAULT_TENANT_POLICY,
  createWorkerRuntime,
  type TenantPolicy,
  type WorkerExit,
  type WorkerPoolStats,
  type WorkerRuntime,
  type WorkerRuntimeOptions,
} from './workers/pool.js';
