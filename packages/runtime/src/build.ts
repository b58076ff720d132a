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
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { ManifestSchema, SDK_VERSION, TkError, type Manifest } from '@tongkit/sdk';
import { extractDefinition } from './internal/extract-definition.js';
import { BUNDLE_GLOBAL } from './internal/prelude.js';
import { MAX_BUNDLE_BYTES, type PluginBundle } from './internal/load.js';
import { settingsSchemaFromJson } from './internal/settings-schema.js';
import { checkCatalogueNames } from './internal/catalogue-names.js';
import { assertMatches } from './internal/validation.js';

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

function entryOf(root: string, options: BuildOptions, pkg: { tongkit?: { entry?: string } }): string {
  const entry = resolve(root, options.entry ?? pkg.tongkit?.entry ?? 'src/index.ts');
  if (!existsSync(entry)) {
    throw new TkError('TK_NOT_FOUND', `no plugin entry at ${relative(process.cwd(), entry) || entry}`, {
      fault: 'user',
      hint: 'Run the command in a plugin project (made by `tongkit init`), or set "tongkit": { "entry": "…" } in package.json.',
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
      : 'Fix the source error shown and run `tongkit build` again.',
    details: { errors: (failure.errors ?? []).slice(0, 10).map((e) => ({ text: e.text, location: e.location })) },
  });
}

const guestSdkPlugin = (guestWithTypeBox: boolean): esbuild.Plugin => ({
  name: 'tongkit-guest-sdk',
  setup(build) {
    if (guestWithTypeBox) return;
    const guestEntry = fileURLToPath(import.meta.resolve('@tongkit/sdk/guest'));
    build.onResolve({ filter: /^@tongkit\/sdk$/ }, () => ({ path: guestEntry }));
  },
});

async function bundle(entry: string, root: string, options: esbuild.BuildOptions): Promise<esbuild.OutputFile[]> {
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
  const pkgPath = join(root, 'package.json');
  const pkg = existsSync(pkgPath) ? (JSON.parse(await readFile(pkgPath, 'utf8')) as { tongkit?: { entry?: string } }) : {};
  const entry = entryOf(root, options, pkg);

  const [manifestPass, guestPass] = await Promise.all([
    bundle(entry, root, { minify: false }),
    bundle(entry, root, {
      minify: options.minify ?? true,
      sourcemap: 'external',
      outfile: join(root, 'dist', 'plugin.js'),
      plugins: [guestSdkPlugin(options.guestWithTypeBox ?? false)],
    }),
  ]);
  const definition = await extractDefinition(manifestPass[0]!.text);
  const code = guestPass.find((f) => f.path.endsWith('.js'))!.text;
  const sourceMap = guestPass.find((f) => f.path.endsWith('.map'))!.text;
  const bytes = Buffer.byteLength(code);

  const manifest: Record<string, unknown> = {
    manifestVersion: 1,
    ...definition,
    bundle: { file: 'plugin.js', sha256: createHash('sha256').update(code).digest('hex'), bytes },
    sdkVersion: SDK_VERSION,
  };
  if (manifest.description === undefined) delete manifest.description;
  checkCatalogueNames(manifest);
  assertMatches(ManifestSchema, manifest, 'TK_MANIFEST_INVALID', 'the plugin definition');
  settingsSchemaFromJson(manifest.settings);
  if (bytes > MAX_BUNDLE_BYTES) {
    throw new TkError('TK_BUILD_FAILED', `the bundle is ${(bytes / 1024).toFixed(1)} KB, over the ${MAX_BUNDLE_BYTES / 1024} KB limit`, {
      hint: 'Drop heavy dependencies from the plugin.',
    });
  }
  return {
    bundle: { manifest: manifest as Manifest, code, sourceMap },
    bytes,
    limitBytes: MAX_BUNDLE_BYTES,
    entry: relative(root, entry),
    durationMs: performance.now() - started,
  };
}

/** Writes a built bundle as `plugin.js`, `plugin.js.map` and `manifest.json` into `outDir`. */
export async function writePluginDir(outDir: string, bundle: PluginBundle): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await Promise.all([
    writeFile(join(outDir, 'plugin.js'), bundle.code),
    bundle.sourceMap ? writeFile(join(outDir, 'plugin.js.map'), bundle.sourceMap) : Promise.resolve(),
    writeFile(join(outDir, 'manifest.json'), `${JSON.stringify(bundle.manifest, null, 2)}\n`),
  ]);
}
