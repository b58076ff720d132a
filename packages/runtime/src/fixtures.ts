import { realpath } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Type } from '@sinclair/typebox';
import { EXTENSION_POINT_IDS, TkError, type ExtensionPointId, type TkErrorJSON } from '@tongkit/sdk';
import { assertMatches, nestsDeeperThan } from './internal/validation.js';
import { judgeOnAWarmCall, passedOnFirstCallAllowance } from './internal/warm-budget.js';
import {
  MAX_PROJECT_JSON_BYTES,
  isInside,
  labelOf,
  listJsonFiles,
  mapWithConcurrency,
  parseProjectJson,
  readProjectFile,
  realFolderInside,
} from './internal/project-files.js';
import type { InvocationResult, LoadedPlugin, Measurements } from './contract.js';

/**
 * A fixture file (`fixtures/*.json`): one input of one point, optional settings, and what the plugin
 * must answer — either an output (`expect`) or an error code (`expectError`).
 */
export const FixtureSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
    point: Type.Union(EXTENSION_POINT_IDS.map((id) => Type.Literal(id))),
    input: Type.Unknown(),
    settings: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    expect: Type.Optional(Type.Unknown()),
    expectError: Type.Optional(Type.String({ pattern: '^TK_[A-Z_]+$' })),
  },
  { additionalProperties: false },
);

/** A fixture read from disk. */
export interface Fixture {
  /** Path relative to the project, e.g. `fixtures/gold.json`. */
  file: string;
  description?: string;
  point: ExtensionPointId;
  input: unknown;
  settings?: Record<string, unknown>;
  expect?: unknown;
  expectError?: string;
}

/** How one fixture went, run on a warm isolate and on a fresh one. */
export interface FixtureResult {
  file: string;
  point: ExtensionPointId;
  passed: boolean;
  /** Why it failed, in a sentence; absent when passed. */
  failure?: string;
  expected: unknown;
  actual: unknown;
  error?: TkErrorJSON;
  /** True when the warm and fresh runs answered differently: the plugin keeps state between calls. */
  stateful: boolean;
  measurements: Measurements;
}

/** The most fixture files read from one folder. */
export const MAX_FIXTURES = 1000;
/** The deepest nesting of objects and arrays in a fixture (a host's deploy body allows 64 with its wrapper). */
export const MAX_FIXTURE_DEPTH = 60;
/** Fixture files read at once: a few hundred at once run out of file handles where the limit is 256 (macOS). */
const READ_CONCURRENCY = 16;
const FIXTURE_HINT = 'A fixture is { "point", "input", "settings"?, and exactly one of "expect" or "expectError" }.';

/**
 * Reads every `*.json` under `dir` (recursively) as a fixture. Fixtures are untrusted project files: a
 * file must be a regular file of at most 1 MB whose real path is inside the project (`root`, or `dir`
 * itself when it lies outside `root`); folders reached through symbolic links are not entered. Each
 * refused, unreadable or malformed file is TK_VALIDATION naming it (and the JSON path).
 */
export async function readFixtures(dir: string, root = process.cwd()): Promise<Fixture[]> {
  const absDir = resolve(dir);
  const absRoot = resolve(root);
  const dirLabel = labelOf(absRoot, absDir);
  let realRoot: string;
  try {
    realRoot = await realpath(isInside(absRoot, absDir) ? absRoot : absDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const realDir = await realFolderInside(absDir, realRoot, dirLabel);
  if (realDir === undefined) return [];
  const names = await listJsonFiles(realDir, dirLabel, { maxFiles: MAX_FIXTURES, maxEntries: 20 * MAX_FIXTURES });
  return mapWithConcurrency(names, READ_CONCURRENCY, async (name) => {
    const file = labelOf(absRoot, join(absDir, name));
    const text = await readProjectFile({ path: join(realDir, name), realRoot, label: file, maxBytes: MAX_PROJECT_JSON_BYTES });
    if (text === undefined) throw new TkError('TK_VALIDATION', `${file} is a symbolic link to nothing`, { fault: 'user', details: { file } });
    return checkFixture(parseProjectJson(text, file), file);
  });
}

/**
 * Checks one parsed fixture: its shape, its depth, and that it expects exactly one thing (an output or
 * an error code). TK_VALIDATION naming `file` and the JSON path otherwise. The host checks uploaded
 * fixtures with it too; `smoke: true` lets a fixture expect nothing (it passes on any valid output), as
 * the host's automated review allows, but never both an output and an error.
 */
export function checkFixture(json: unknown, file: string, options: { smoke?: boolean } = {}): Fixture {
  if (nestsDeeperThan(json, MAX_FIXTURE_DEPTH)) {
    throw new TkError('TK_VALIDATION', `fixture ${file} nests objects and arrays deeper than ${MAX_FIXTURE_DEPTH} levels`, { fault: 'user', path: '/', hint: FIXTURE_HINT });
  }
  try {
    assertMatches(FixtureSchema, json, 'TK_VALIDATION', `fixture ${file}`);
  } catch (error) {
    if (error instanceof TkError) throw new TkError('TK_VALIDATION', error.message, { path: error.path ?? '/', hint: FIXTURE_HINT });
    throw error;
  }
  const body = json as Omit<Fixture, 'file'>;
  // Both would let an error pass while `expect` is ignored; neither would pass any valid output.
  const hasExpect = Object.hasOwn(body, 'expect');
  const hasExpectError = Object.hasOwn(body, 'expectError');
  if (hasExpect === hasExpectError && (hasExpect || !options.smoke)) {
    throw new TkError('TK_VALIDATION', `fixture ${file} must have exactly one of "expect" and "expectError", not ${hasExpect ? 'both' : 'neither'}`, {
      path: hasExpect ? '/expectError' : '/',
      hint: FIXTURE_HINT,
      details: { file },
    });
  }
  return { file, ...body };
}

function outcomeOf(result: InvocationResult): { value: unknown; code?: string } {
  return result.ok ? { value: result.output } : { value: undefined, code: result.error.code };
}

/**
 * Runs fixtures through the real sandbox — twice on the warm isolate and once on a fresh one — and
 * compares with what they expect. A plugin whose two answers differ is flagged `stateful` (module
 * state leaking between calls breaks replay).
 */
export async function runFixtures(plugin: LoadedPlugin, fixtures: readonly Fixture[]): Promise<FixtureResult[]> {
  const results: FixtureResult[] = [];
  for (const fixture of fixtures) {
    const first = await plugin.invoke(fixture.point, fixture.input, fixture.settings);
    // A second warm call: on a just-loaded plugin the first warm call is a first call too, and would
    // agree with the fresh one even when the plugin carries state from call to call.
    const rewarm = await plugin.invoke(fixture.point, fixture.input, fixture.settings);
    const fresh = await plugin.invoke(fixture.point, fixture.input, fixture.settings, { fresh: true });
    // A pass over the CPU budget rode the first-call allowance (a pool may serve every call of a short
    // run from a new isolate): judge it on a warm call, as production serves nearly every call.
    const warm = passedOnFirstCallAllowance(first) ? await judgeOnAWarmCall(plugin, fixture.point, fixture.input, fixture.settings, first.measurements) : first;
    const reference = outcomeOf(fresh);
    const differs = (other: InvocationResult) => {
      const outcome = outcomeOf(other);
      return outcome.code !== reference.code || !isDeepStrictEqual(outcome.value, reference.value);
    };
    // Over the budget on warm calls is its own failure, not state: its warm calls time out, fresh ones pass.
    const stateful = warm === first || warm.ok ? differs(first) || differs(rewarm) : false;
    let failure: string | undefined;
    if (fixture.expectError !== undefined) {
      if (warm.ok) failure = `expected error ${fixture.expectError}, got an output`;
      else if (warm.error.code !== fixture.expectError) failure = `expected error ${fixture.expectError}, got ${warm.error.code}: ${warm.error.message}`;
    } else if (!warm.ok) {
      failure = `${warm.error.code}: ${warm.error.message}`;
    } else if (fixture.expect !== undefined && !isDeepStrictEqual(warm.output, fixture.expect)) {
      failure = 'the output differs from `expect`';
    }
    if (!failure && stateful) failure = 'the warm and fresh runs answered differently: the plugin keeps state between calls';
    results.push({
      file: fixture.file,
      point: fixture.point,
      passed: failure === undefined,
      ...(failure === undefined ? {} : { failure }),
      expected: fixture.expectError ?? fixture.expect,
      actual: warm.ok ? warm.output : undefined,
      ...(warm.ok ? {} : { error: warm.error.toJSON() }),
      stateful,
      measurements: warm.measurements,
    });
  }
  return results;
}
