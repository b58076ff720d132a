// Shared helpers for the runtime tests: build and load the fixture plugins under ./plugins, build
// throwaway plugins from source strings, and read results.
import { mkdir, mkdtemp, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { PointInput } from '@tongkit/sdk';
import { TkError, createRuntime, type InvocationResult, type LoadOptions, type LoadedPlugin, type Runtime } from '@tongkit/runtime';
import { buildPlugin, type BuildOptions, type BuildResult } from '@tongkit/runtime/build';

export type TierInput = PointInput<'member.tier.compute'>;

const here = dirname(fileURLToPath(import.meta.url));
const goldFixture = join(here, '../../../templates/member-tier/fixtures/gold.json');

/** The folder of a checked-in fixture plugin (`test/plugins/NAME`). */
export function pluginDir(name: string): string {
  return join(here, 'plugins', name);
}

const builds = new Map<string, Promise<BuildResult>>();

/** Builds a fixture plugin once per test file (and per build options). */
export function buildFixture(name: string, options: BuildOptions = {}): Promise<BuildResult> {
  const key = `${name}:${JSON.stringify(options)}`;
  let build = builds.get(key);
  if (!build) {
    build = buildPlugin(pluginDir(name), options);
    builds.set(key, build);
  }
  return build;
}

/** Builds a fixture plugin and loads it into `runtime` (a new runtime by default). */
export async function loadFixture(name: string, runtime: Runtime = createRuntime(), options: LoadOptions = {}): Promise<LoadedPlugin> {
  const { bundle } = await buildFixture(name);
  return runtime.load(bundle, options);
}

let gold: TierInput | undefined;

/**
 * A valid member.tier.compute input (the member-tier template's gold fixture). The fixture plugins read
 * `member.id` to choose what to do, so `memberId` picks the behaviour under test.
 */
export async function tierInput(memberId?: string): Promise<TierInput> {
  gold ??= (JSON.parse(await readFile(goldFixture, 'utf8')) as { input: TierInput }).input;
  const input = structuredClone(gold);
  if (memberId !== undefined) input.member.id = memberId;
  return input;
}

/** Asserts that `result` failed with `code` and returns its error. */
export function expectFailure(result: InvocationResult, code: string): TkError {
  if (result.ok) throw new Error(`expected ${code}, got an output: ${JSON.stringify(result.output)}`);
  expect(result.error.code, result.error.message).toBe(code);
  return result.error;
}

/** Asserts that `result` succeeded and returns its output. */
export function expectOutput<O>(result: InvocationResult<O>): O {
  if (!result.ok) throw new Error(`expected an output, got ${result.error.code}: ${result.error.message}`);
  return result.output;
}

/** The parsed JSON of the `index`-th log line (the probe plugins report as JSON log lines). */
export function loggedJson<T = Record<string, unknown>>(result: InvocationResult, index = 0): T {
  const line = result.logs[index];
  if (!line) throw new Error(`no log line ${index}; logs: ${JSON.stringify(result.logs)}`);
  return JSON.parse(line.message) as T;
}

/** Awaits `promise` and returns what it rejected with; fails if it resolved. */
export async function rejectionOf(promise: Promise<unknown>): Promise<TkError> {
  try {
    await promise;
  } catch (error) {
    return error as TkError;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/**
 * Throwaway plugin projects written from source strings. They live under `test/.tmp/` so that esbuild
 * resolves `@tongkit/sdk` from the monorepo; call `cleanup()` in `afterAll`.
 */
export class TempPlugins {
  private readonly dirs: string[] = [];

  /** Writes `files` (path → content, e.g. `src/index.ts`) into a new project folder and returns it. */
  async write(files: Record<string, string>): Promise<string> {
    const parent = join(here, '.tmp');
    await mkdir(parent, { recursive: true });
    const dir = await mkdtemp(join(parent, 'plugin-'));
    this.dirs.push(dir);
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    return dir;
  }

  /** Writes `source` as `src/index.ts` of a new project and builds it. */
  async build(source: string, options: BuildOptions = {}): Promise<BuildResult> {
    return buildPlugin(await this.write({ 'src/index.ts': source }), options);
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
    // Remove the shared parent too once no other test file is using it.
    await rmdir(join(here, '.tmp')).catch(() => {});
  }
}

/**
 * The KV half of a fake EventHost: answers `ctx.kv.*` calls from a Map, the way the host's KvStore
 * does (without idempotency keys). Shared by the event and red-team tests.
 */
export function answerFromMemoryKv(kv: Map<string, unknown>, call: { namespace: string; method: string; args: unknown[] }): unknown {
  if (call.namespace !== 'kv') throw new TkError('TK_NOT_FOUND', `no ctx.${call.namespace}`);
  const key = String(call.args[0]);
  switch (call.method) {
    case 'get':
      return kv.get(key);
    case 'set':
      kv.set(key, call.args[1]);
      return undefined;
    case 'delete':
      kv.delete(key);
      return undefined;
    case 'increment': {
      const next = Number(kv.get(key) ?? 0) + Number(call.args[1]);
      kv.set(key, next);
      return next;
    }
    default:
      throw new TkError('TK_NOT_FOUND', `no kv.${call.method}`);
  }
}

/**
 * Every string inside `value` (keys included) — what an attack's result could leak through — with
 * `measurements` left out (host-made numbers). TkErrors are read through their JSON (code, message,
 * hint, path, details); other errors through their message and own properties.
 */
export function stringsOf(value: unknown, out: string[] = [], seen = new Set<unknown>()): string[] {
  if (typeof value === 'string') {
    out.push(value);
  } else if (value instanceof TkError) {
    stringsOf(value.toJSON(), out, seen);
  } else if (value instanceof Error) {
    out.push(value.message);
    stringsOf({ ...(value as unknown as Record<string, unknown>) }, out, seen);
  } else if (value !== null && typeof value === 'object' && !seen.has(value)) {
    seen.add(value);
    for (const [key, item] of Object.entries(value)) {
      if (key === 'measurements') continue;
      out.push(key);
      stringsOf(item, out, seen);
    }
  }
  return out;
}
