/**
 * @tongkit/runtime/build — turns a plugin project into a bundle the sandbox runs.
 *
 * Two esbuild passes, both in memory:
 * 1. a manifest pass with the real SDK (TypeBox included), evaluated in a throwaway isolate in a child
 *    process (top-level code can abort the process that runs it) to read the plugin definition: name,
 *    version, permissions, settings schema (to JSON), points, events;
 * 2. the guest pass, where `@tongkit/sdk` resolves to its guest entry (no TypeBox), minified, with a
 *    source map so sandbox stacks point at the plugin's own files.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { ManifestSchema, SDK_VERSION, TkError, type Manifest } from '@tongkit/sdk';
import { extractDefinition } from './internal/extract-definition.js';
import { BUNDLE_GLOBAL } from './internal/prelude.js';
import { MAX_BUNDLE_BYTES, type PluginBundle } from './internal/load.js';
import { settingsSchemaFromJson } from './internal/settings-schema.js';
import { checkCatalogueNames } from './internal/catalogue-names.js';
import { checkSchedules } from './internal/schedules.js';
import { assertMatches } from './internal/validation.js';
import { MAX_PROJECT_JSON_BYTES, isInside, parseProjectJson, readProjectFile } from './internal/project-files.js';
import { NOT_A_SOURCE_FILE, OUTSIDE_PROJECT, sourceGuardPlugin } from './internal/source-guard.js';
import { writeOutputFiles } from './internal/output-files.js';

export { MAX_BUNDLE_BYTES } from './internal/load.js';

/** Options of {@link buildPlugin}. */
export interface BuildOptions {
  /** Entry file relative to the project; default `package.json#tongkit.entry` or `src/index.ts`. */
  entry?: string;
  /** Minify the guest bundle (default true; the source map keeps stacks readable). */
  minify?: boolean;
  /**
   * Bundle the real SDK (with TypeBox) into the guest instead of its guest entry. Only for measuring
   * what the guest entry saves; such bundles are larger and slower to start.
   */
  guestWithTypeBox?: boolean;
}

/** What {@link buildPlugin} produced, and how big it is against the limit. */
export interface BuildResult {
  bundle: PluginBundle & { sourceMap: string };
  bytes: number;
  limitBytes: number;
  entry: string;
  durationMs: number;
}

/** The `tongkit` section of package.json: where the plugin's entry is. */
interface ProjectSettings {
  entry?: string;
}

function invalidPackageJson(message: string, path: string): TkError {
  return new TkError('TK_VALIDATION', `package.json ${message}`, {
    fault: 'user',
    path,
    hint: 'Fix package.json: { "name", "version", "tongkit"?: { "entry"?: "src/index.ts" } }.',
    details: { file: 'package.json' },
  });
}

/** Reads `package.json#tongkit` (absent file: no settings); a malformed file is TK_VALIDATION with its JSON path. */
async function readProjectSettings(root: string, realRoot: string): Promise<ProjectSettings> {
  const text = await readProjectFile({ path: join(root, 'package.json'), realRoot, label: 'package.json', maxBytes: MAX_PROJECT_JSON_BYTES });
  if (text === undefined) return {};
  const pkg = parseProjectJson(text, 'package.json');
  if (typeof pkg !== 'object' || pkg === null || Array.isArray(pkg)) throw invalidPackageJson('must be a JSON object', '/');
  const tongkit = (pkg as { tongkit?: unknown }).tongkit;
  if (tongkit === undefined) return {};
  if (typeof tongkit !== 'object' || tongkit === null || Array.isArray(tongkit)) throw invalidPackageJson('"tongkit" must be an object', '/tongkit');
  const entry = (tongkit as { entry?: unknown }).entry;
  if (entry === undefined) return {};
  if (typeof entry !== 'string' || entry.length === 0) throw invalidPackageJson('"tongkit.entry" must be a path such as "src/index.ts"', '/tongkit/entry');
  return { entry };
}

/** The entry file: it must exist, be a regular file, and lie inside the project (no `/etc/passwd`). */
async function entryOf(root: string, realRoot: string, options: BuildOptions, settings: ProjectSettings): Promise<string> {
  const given = options.entry ?? settings.entry ?? 'src/index.ts';
  const entry = resolve(root, given);
  // Named by where it came from, so the message points at what to fix.
  const where = options.entry !== undefined ? {} : settings.entry !== undefined ? { path: '/tongkit/entry' } : {};
  let real: string;
  try {
    real = await realpath(entry);
  } catch {
    throw new TkError('TK_NOT_FOUND', `no plugin entry at ${relative(process.cwd(), entry) || entry}`, {
      fault: 'user',
      ...where,
      hint: 'Run the command in a plugin project (made by `tongkit init`), or set "tongkit": { "entry": "…" } in package.json.',
    });
  }
  const shown = given;
  if (!isInside(realRoot, real)) {
    throw new TkError('TK_VALIDATION', `the plugin entry ${shown} is ${real === entry ? '' : `a link to ${real}, `}outside the project`, {
      fault: 'user',
      ...where,
      hint: 'The entry must be a source file inside the project, such as src/index.ts.',
    });
  }
  if (!(await stat(real)).isFile()) {
    throw new TkError('TK_VALIDATION', `the plugin entry ${shown} is not a regular file`, {
      fault: 'user',
      ...where,
      hint: 'The entry must be a source file inside the project, such as src/index.ts.',
    });
  }
  return entry;
}

function buildFailed(error: unknown, root: string): TkError {
  const failure = error as { errors?: esbuild.Message[] };
  const first = failure.errors?.[0];
  if (!first) return new TkError('TK_BUILD_FAILED', `the build failed: ${String(error)}`);
  const where = first.location ? `${relative(root, resolve(root, first.location.file))}:${first.location.line}:${first.location.column + 1}` : '';
  const nodeApi = /Could not resolve "(node:)?(fs|path|os|child_process|http|https|net|crypto|process|buffer)/.test(first.text);
  return new TkError('TK_BUILD_FAILED', `${where ? `${where}: ` : ''}${first.text}`, {
    hint: nodeApi
      ? 'Plugins run in a sandbox without Node APIs: use the inputs and host APIs (ctx) instead.'
      : first.text.includes(OUTSIDE_PROJECT)
        ? 'A plugin bundles only files of its project and of its installed packages: copy what it needs into the project.'
        : first.text.includes(NOT_A_SOURCE_FILE)
          ? 'Replace the link or special file with a regular source file.'
          : 'Fix the source error shown and run `tongkit build` again.',
    details: { errors: (failure.errors ?? []).slice(0, 10).map((e) => ({ text: e.text, location: e.location })) },
  });
}

const guestEntry = (): string => fileURLToPath(import.meta.resolve('@tongkit/sdk/guest'));

const guestRulesEntry = (): string => fileURLToPath(import.meta.resolve('@tongkit/sdk/rules/guest'));

const guestSdkPlugin = (guestWithTypeBox: boolean): esbuild.Plugin => ({
  name: 'tongkit-guest-sdk',
  setup(build) {
    if (guestWithTypeBox) return;
    const path = guestEntry();
    build.onResolve({ filter: /^@tongkit\/sdk$/ }, () => ({ path }));
    // The rules' checker and evaluator without TypeBox (Rule() is inert in the sandbox).
    const rules = guestRulesEntry();
    build.onResolve({ filter: /^@tongkit\/sdk\/rules$/ }, () => ({ path: rules }));
  },
});

/** The real folder of the SDK package holding the guest entry, which the guest pass bundles from outside the project. */
async function sdkFolder(): Promise<string> {
  let dir = dirname(guestEntry());
  while (!existsSync(join(dir, 'package.json')) && dir !== dirname(dir)) dir = dirname(dir);
  return realpath(dir);
}

async function bundle(entry: string, root: string, guard: esbuild.Plugin, options: esbuild.BuildOptions): Promise<esbuild.OutputFile[]> {
  try {
    const result = await esbuild.build({
      entryPoints: [entry],
      absWorkingDir: root,
      bundle: true,
      write: false,
      format: 'iife',
      globalName: BUNDLE_GLOBAL,
      platform: 'neutral',
      mainFields: ['module', 'main'],
      conditions: ['import', 'default'],
      target: 'es2023',
      charset: 'utf8',
      legalComments: 'none',
      logLevel: 'silent',
      ...options,
      // The guard comes last: it judges where the other plugins and esbuild's own resolution lead.
      plugins: [...(options.plugins ?? []), guard],
    });
    return result.outputFiles ?? [];
  } catch (error) {
    throw buildFailed(error, root);
  }
}

/**
 * Builds the plugin project at `root` in memory: a guest bundle without TypeBox, its source map, and
 * a validated manifest carrying the bundle's sha256. Errors are `TK_BUILD_FAILED` (source errors, with
 * file:line:col) or `TK_MANIFEST_INVALID` (with the JSON path in the plugin definition).
 *
 * @example
 * const { bundle, bytes } = await buildPlugin('.');
 * const plugin = await createRuntime().load(bundle);
 */
export async function buildPlugin(root: string, options: BuildOptions = {}): Promise<BuildResult> {
  const started = performance.now();
  root = resolve(root);
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch {
    throw new TkError('TK_NOT_FOUND', `no plugin project at ${root}`, { fault: 'user', hint: 'Check the folder given to the command (-C).' });
  }
  const entry = await entryOf(root, realRoot, options, await readProjectSettings(root, realRoot));
  const trusted = [await sdkFolder()];

  const [manifestPass, guestPass] = await Promise.all([
    bundle(entry, root, sourceGuardPlugin(realRoot, trusted), { minify: false }),
    bundle(entry, root, sourceGuardPlugin(realRoot, trusted), {
      minify: options.minify ?? true,
      sourcemap: 'external',
      outfile: join(root, 'dist', 'plugin.js'),
      plugins: [guestSdkPlugin(options.guestWithTypeBox ?? false)],
    }),
  ]);
  const code = guestPass.find((f) => f.path.endsWith('.js'))!.text;
  const sourceMap = guestPass.find((f) => f.path.endsWith('.map'))!.text;
  const bytes = Buffer.byteLength(code);
  // Before the definition is read: evaluating a bundle of megabytes is slow and fails obscurely.
  if (bytes > MAX_BUNDLE_BYTES) {
    throw new TkError('TK_BUILD_FAILED', `the bundle is ${(bytes / 1024).toFixed(1)} KB, over the ${MAX_BUNDLE_BYTES / 1024} KB limit`, {
      hint: 'Drop heavy dependencies from the plugin.',
    });
  }
  const definition = await extractDefinition(manifestPass[0]!.text);

  const manifest: Record<string, unknown> = {
    manifestVersion: 1,
    ...definition,
    bundle: { file: 'plugin.js', sha256: createHash('sha256').update(code).digest('hex'), bytes },
    sdkVersion: SDK_VERSION,
  };
  if (manifest.description === undefined) delete manifest.description;
  checkCatalogueNames(manifest);
  assertMatches(ManifestSchema, manifest, 'TK_MANIFEST_INVALID', 'the plugin definition');
  checkSchedules(manifest);
  settingsSchemaFromJson(manifest.settings);
  return {
    bundle: { manifest: manifest as Manifest, code, sourceMap },
    bytes,
    limitBytes: MAX_BUNDLE_BYTES,
    entry: relative(root, entry),
    durationMs: performance.now() - started,
  };
}

/**
 * Writes a built bundle as `plugin.js`, `plugin.js.map` and `manifest.json` into `outDir`. A cloned
 * project can ship `dist/plugin.js` as a link to `~/.ssh/authorized_keys`: an output folder or file
 * that is a symbolic link (or not a folder / file) is refused with TK_VALIDATION, and each file is
 * written to a temporary name and renamed over the old one, never written through.
 *
 * @example
 * const { bundle } = await buildPlugin('.');
 * await writePluginDir('dist', bundle);
 */
export async function writePluginDir(outDir: string, bundle: PluginBundle): Promise<void> {
  await writeOutputFiles(outDir, [
    { name: 'plugin.js', content: bundle.code },
    ...(bundle.sourceMap ? [{ name: 'plugin.js.map', content: bundle.sourceMap }] : []),
    { name: 'manifest.json', content: `${JSON.stringify(bundle.manifest, null, 2)}\n` },
  ]);
}
