import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Type } from '@sinclair/typebox';
import { EXTENSION_POINT_IDS, TkError, type ExtensionPointId, type TkErrorJSON } from '@tongkit/sdk';
import { assertMatches } from './internal/validation.js';
import type { InvocationResult, LoadedPlugin, Measurements } from './runtime.js';

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

/** Reads every `*.json` under `dir` (recursively) as a fixture; malformed files are TK_VALIDATION with the file and path. */
export async function readFixtures(dir: string, root = process.cwd()): Promise<Fixture[]> {
  let names: string[];
  try {
    names = (await readdir(dir, { recursive: true })).filter((name) => name.endsWith('.json')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return Promise.all(
    names.map(async (name) => {
      const path = join(dir, name);
      const file = relative(root, path) || path;
      let json: unknown;
      try {
        json = JSON.parse(await readFile(path, 'utf8'));
      } catch (error) {
        throw new TkError('TK_VALIDATION', `${file} is not JSON: ${(error as Error).message}`, { fault: 'user' });
      }
      try {
        assertMatches(FixtureSchema, json, 'TK_VALIDATION', `fixture ${file}`);
      } catch (error) {
        if (error instanceof TkError) throw new TkError('TK_VALIDATION', error.message, { path: error.path ?? '/', hint: 'A fixture is { "point", "input", "settings"?, "expect" | "expectError" }.' });
        throw error;
      }
      return { file, ...(json as Omit<Fixture, 'file'>) };
    }),
  );
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
    const warm = await plugin.invoke(fixture.point, fixture.input, fixture.settings);
    // A second warm call: on a just-loaded plugin the first warm call is a first call too, and would
    // agree with the fresh one even when the plugin carries state from call to call.
    const rewarm = await plugin.invoke(fixture.point, fixture.input, fixture.settings);
    const fresh = await plugin.invoke(fixture.point, fixture.input, fixture.settings, { fresh: true });
    const reference = outcomeOf(fresh);
    const differs = (other: InvocationResult) => {
      const outcome = outcomeOf(other);
      return outcome.code !== reference.code || !isDeepStrictEqual(outcome.value, reference.value);
    };
    const stateful = differs(warm) || differs(rewarm);
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
