/**
 * An esbuild plugin that keeps a build inside the plugin project. Building a cloned repository must not
 * read the builder's files: without it, `import cfg from '../../.tongkit/config.json'` (or an entry of
 * `/etc/passwd`) embeds a login token or a host file in the bundle, and a source linked to `/dev/zero`
 * makes esbuild read forever.
 *
 * A source may come from the project's real folder, from any `node_modules` folder, or from the real
 * folder of a package imported by name (npm workspaces link packages from elsewhere into
 * `node_modules`). It must be a regular file of at most {@link MAX_SOURCE_FILE_BYTES}.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { dirname, join, parse, relative, sep } from 'node:path';
import type * as esbuild from 'esbuild';
import { formatKb } from './load.js';
import { isInside } from './project-files.js';

/** The largest source file a build reads: far over what fits a 256 KB bundle, well under what hurts. */
export const MAX_SOURCE_FILE_BYTES = 8 * 1024 * 1024;

/** Words that mark the guard's refusals in esbuild messages, so the build error can hint at the fix. */
export const OUTSIDE_PROJECT = 'outside the plugin project';
export const NOT_A_SOURCE_FILE = 'not a regular source file';

const RESOLVING = Symbol.for('tongkit.source-guard.resolving');

function packageNameOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('#') || /^[a-z]+:/i.test(specifier)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The real folder of the package `name` as esbuild finds it from `resolveDir` (the nearest
 * `node_modules/name` up the tree). A "package" without package.json, or one whose folder holds the
 * project (a committed `node_modules/x` link to `~` or `/`), is not trusted.
 */
function packageFolder(name: string, resolveDir: string, realRoot: string): string | undefined {
  for (let dir = resolveDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(candidate)) {
      const real = realpathSync(candidate);
      if (isInside(real, realRoot) || real === parse(real).root || !isRegularFile(join(real, 'package.json'))) return undefined;
      return real;
    }
    if (dir === dirname(dir)) return undefined;
  }
}

/**
 * The guard for one build of the project whose real folder is `realRoot`; `trustedFolders` are real
 * folders the build itself adds (the SDK's guest entry).
 */
export function sourceGuardPlugin(realRoot: string, trustedFolders: readonly string[] = []): esbuild.Plugin {
  return {
    name: 'tongkit-source-guard',
    setup(build) {
      const packageFolders = new Set(trustedFolders);
      const allowed = (real: string) =>
        isInside(realRoot, real) || real.split(sep).includes('node_modules') || [...packageFolders].some((folder) => isInside(folder, real));
      const shown = (real: string) => (isInside(realRoot, real) ? relative(realRoot, real) : real);

      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData?.[RESOLVING]) return undefined;
        // Let esbuild (and the plugins before this one) resolve as usual, then judge where it led.
        const result = await build.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          namespace: args.namespace,
          resolveDir: args.resolveDir,
          with: args.with,
          pluginData: { [RESOLVING]: true },
        });
        if (result.errors.length > 0 || result.external || result.namespace !== 'file' || !result.path) return undefined;
        const real = await realpath(result.path).catch(() => result.path);
        const name = packageNameOf(args.path);
        if (name !== undefined && args.resolveDir) {
          const folder = packageFolder(name, args.resolveDir, realRoot);
          if (folder !== undefined) packageFolders.add(folder);
        }
        if (allowed(real)) return undefined;
        return { errors: [{ text: `"${args.path}" leads to ${real}, ${OUTSIDE_PROJECT}` }] };
      });

      build.onLoad({ filter: /.*/, namespace: 'file' }, async (args) => {
        let real: string;
        let stats;
        try {
          real = await realpath(args.path);
          stats = await stat(real);
        } catch {
          return undefined; // esbuild reports the missing file itself
        }
        if (!allowed(real)) return { errors: [{ text: `${real} is ${OUTSIDE_PROJECT}` }] };
        if (!stats.isFile()) return { errors: [{ text: `${shown(real)} is ${NOT_A_SOURCE_FILE} (a folder, device, FIFO or socket)` }] };
        if (stats.size > MAX_SOURCE_FILE_BYTES) {
          return { errors: [{ text: `${shown(real)} is ${formatKb(stats.size)}, over the ${formatKb(MAX_SOURCE_FILE_BYTES)} a source file may have` }] };
        }
        return undefined;
      });
    },
  };
}
