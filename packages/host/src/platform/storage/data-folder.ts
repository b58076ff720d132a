import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { TkError } from '@tongkit/sdk';
import type { PostgresAccount } from './postgres-account.js';

const run = promisify(execFile);

/** The superuser password lives in the data folder, readable only by its owner (and root). */
const PASSWORD_FILE = 'tongkit-password';
/** Prefix of the staging folders next to a data folder while initdb runs. */
const STAGING = '.initdb-';

/**
 * Makes `dataDir` a PostgreSQL data folder on first use and returns the superuser password.
 *
 * initdb runs in a staging folder next to `dataDir`, which is then renamed into place: a rename is atomic,
 * so a host killed during initdb leaves no half-made data folder, and when two hosts initialise the same
 * folder at once the loser's rename fails and it simply uses the winner's.
 */
export async function initialiseDataFolder(
  dataDir: string,
  initdb: string,
  account: PostgresAccount | undefined,
): Promise<string> {
  if (!(await isDataFolder(dataDir))) {
    const entries = await fs.readdir(dataDir).catch(() => []);
    if (entries.length > 0) {
      throw new TkError('TK_VALIDATION', `${dataDir} is neither empty nor a PostgreSQL data folder.`, {
        hint: 'Choose an empty or new folder for the host data.',
        details: { dataDir },
      });
    }
    await createDataFolder(dataDir, initdb, account);
  }
  try {
    return (await fs.readFile(path.join(dataDir, PASSWORD_FILE), 'utf8')).trim();
  } catch (cause) {
    throw new TkError('TK_VALIDATION', `${dataDir} is a PostgreSQL data folder that Tongkit did not create (no ${PASSWORD_FILE}).`, {
      hint: 'Point the host at a folder it created, or at that server through DATABASE_URL.',
      details: { dataDir },
      cause,
    });
  }
}

async function isDataFolder(dataDir: string): Promise<boolean> {
  return fs.access(path.join(dataDir, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
}

async function createDataFolder(dataDir: string, initdb: string, account: PostgresAccount | undefined): Promise<void> {
  const parent = path.dirname(dataDir);
  await fs.mkdir(parent, { recursive: true });
  await removeAbandonedStaging(dataDir);
  const staging = await fs.mkdtemp(path.join(parent, `${path.basename(dataDir)}${STAGING}${process.pid}-`));
  try {
    if (account) await fs.chown(staging, account.uid, account.gid);
    const password = randomBytes(24).toString('hex');
    const passwordFile = path.join(staging, PASSWORD_FILE);
    await fs.writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    if (account) await fs.chown(passwordFile, account.uid, account.gid);
    const pgdata = path.join(staging, 'pgdata');
    await run(
      initdb,
      [
        `--pgdata=${pgdata}`,
        '--username=postgres',
        `--pwfile=${passwordFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        // Byte-order collation with Unicode-aware upper/lower: identical on every OS, no ICU/libc drift.
        '--locale=C',
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
        '--no-instructions',
      ],
      { ...(account ?? {}), env: { ...process.env, LC_ALL: 'C' } },
    ).catch((cause: unknown) => {
      const stderr = (cause as { stderr?: string }).stderr ?? '';
      throw new TkError('TK_INTERNAL', `initdb failed for ${dataDir}: ${stderr.trim() || String(cause)}`, { cause });
    });
    await fs.rename(passwordFile, path.join(pgdata, PASSWORD_FILE));
    try {
      await fs.rename(pgdata, dataDir);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      // Another host finished first: use its folder.
      if ((code === 'ENOTEMPTY' || code === 'EEXIST') && (await isDataFolder(dataDir))) return;
      throw cause;
    }
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/** Staging folders of hosts killed during initdb (their PID is gone) would otherwise pile up. */
async function removeAbandonedStaging(dataDir: string): Promise<void> {
  const prefix = `${path.basename(dataDir)}${STAGING}`;
  for (const name of await fs.readdir(path.dirname(dataDir))) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && !isAlive(pid)) {
      await fs.rm(path.join(path.dirname(dataDir), name), { recursive: true, force: true });
    }
  }
}

/** Whether a process with this PID exists (EPERM: it exists but belongs to another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
