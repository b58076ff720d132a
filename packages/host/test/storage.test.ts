import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, dropDatabase, migrate, openDatabase, startEmbeddedPostgres, type EmbeddedPostgres } from '../src/index.js';
import { linkSharedLibraries } from '../src/platform/storage/shared-library-links.js';
import { createTestDatabase } from '../src/testing.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
/** The migration files shipped with the package, in the order they must run. */
const shipped = readdirSync(fileURLToPath(new URL('../migrations/', import.meta.url)))
  .filter((file) => file.endsWith('.sql'))
  .sort();
const folders: string[] = [];

/** A temp folder the `postgres` OS user can enter (mkdtemp makes 0700, and as root PostgreSQL runs as it). */
async function tempFolder(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tongkit-storage-'));
  await chmod(dir, 0o755);
  folders.push(dir);
  return dir;
}

afterAll(async () => {
  await Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function count(url: string, sql: string): Promise<number> {
  const db = openDatabase(url);
  try {
    const { rows } = await db.query<{ n: number }>(sql);
    return rows[0]?.n ?? -1;
  } finally {
    await db.close();
  }
}

/** Runs test/fixtures/hold-data-folder.ts in a child process, which starts a server and keeps it. */
async function startInChildProcess(dataDir: string): Promise<{ child: ChildProcess; url: string; pid: number }> {
  const child = spawn(
    process.execPath,
    ['--import', path.join(fixtures, 'source-imports.mjs'), path.join(fixtures, 'hold-data-folder.ts'), dataDir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('\n')) resolve(out.split('\n')[0] ?? '');
    });
    child.once('exit', (code) => reject(new Error(`child exited with ${String(code)} before starting`)));
  });
  return { child, ...(JSON.parse(line) as { url: string; pid: number }) };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 50) {
    if (waited > 20_000) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('embedded PostgreSQL', () => {
  it('starts, answers queries, stops, and keeps the data across a restart', async () => {
    const dataDir = path.join(await tempFolder(), 'data');
    const first = await startEmbeddedPostgres({ dataDir });
    const db = openDatabase(first.url);
    await db.query('CREATE TABLE notes (body text NOT NULL)');
    await db.query('INSERT INTO notes VALUES ($1)', ['会员通']);
    await db.close();
    await first.stop();
    await first.stop(); // stopping twice is harmless

    const second = await startEmbeddedPostgres({ dataDir });
    try {
      const again = openDatabase(second.url);
      const { rows } = await again.query<{ body: string; encoding: string }>(
        "SELECT body, current_setting('server_encoding') AS encoding FROM notes",
      );
      await again.close();
      expect(rows).toEqual([{ body: '会员通', encoding: 'UTF8' }]);
    } finally {
      await second.stop();
    }
  });

  it('refuses a second server on the same data folder with TK_CONFLICT naming the folder and the PID', async () => {
    const dataDir = path.join(await tempFolder(), 'data');
    const holder = await startEmbeddedPostgres({ dataDir });
    try {
      const refusal = startEmbeddedPostgres({ dataDir });
      await expect(refusal).rejects.toMatchObject({ code: 'TK_CONFLICT', details: { dataDir, pid: holder.pid } });
      await expect(refusal).rejects.toThrow(`${dataDir} is in use by another PostgreSQL server (PID ${holder.pid})`);
      expect(await count(holder.url, 'SELECT 1 AS n')).toBe(1); // the holder is unharmed
    } finally {
      await holder.stop();
    }
  });

  it('lets exactly one of two hosts racing on a new folder initialise and own it', async () => {
    const dataDir = path.join(await tempFolder(), 'data');
    const results = await Promise.allSettled([startEmbeddedPostgres({ dataDir }), startEmbeddedPostgres({ dataDir })]);
    const started = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const refused = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    try {
      expect(started).toHaveLength(1);
      expect(refused).toMatchObject([{ code: 'TK_CONFLICT' }]);
      expect(await count(started[0]?.url ?? '', 'SELECT count(*) AS n FROM pg_database')).toBeGreaterThan(0);
    } finally {
      await Promise.all(started.map((server) => server.stop()));
    }
  });

  it('shuts the server down when the host that started it is SIGKILLed, so the next host can start', async () => {
    const dataDir = path.join(await tempFolder(), 'data');
    const owner = await startInChildProcess(dataDir);
    const db = openDatabase(owner.url);
    await db.query('CREATE TABLE kept (n int)');
    await db.close();

    owner.child.kill('SIGKILL');
    await until(() => !existsSync(path.join(dataDir, 'postmaster.pid')), 'the orphaned server shut down');

    const next = await startEmbeddedPostgres({ dataDir });
    try {
      expect(await count(next.url, 'SELECT count(*) AS n FROM kept')).toBe(0);
    } finally {
      await next.stop();
    }
  });

  it('recovers from a stale postmaster.pid after both the host and its server were killed', async () => {
    const dataDir = path.join(await tempFolder(), 'data');
    const owner = await startInChildProcess(dataDir);
    const db = openDatabase(owner.url);
    await db.query('CREATE TABLE orders (id text PRIMARY KEY)');
    await db.query("INSERT INTO orders VALUES ('o-1')");
    await db.close();

    // Like the OOM killer or a power cut: no shutdown at all. The server goes first, so that its parent
    // (still alive) reaps it and its PID is really gone.
    process.kill(owner.pid, 'SIGKILL');
    await until(() => !isAlive(owner.pid), 'the killed server is gone');
    owner.child.kill('SIGKILL');
    expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(true);

    const next = await startEmbeddedPostgres({ dataDir });
    try {
      expect(await count(next.url, "SELECT count(*) AS n FROM orders WHERE id = 'o-1'")).toBe(1);
    } finally {
      await next.stop();
    }
  });

  it('links the shared libraries listed by the binaries package once, even when two processes race', async () => {
    const packageDir = await tempFolder();
    await mkdir(path.join(packageDir, 'native', 'lib'), { recursive: true });
    await writeFile(path.join(packageDir, 'native', 'lib', 'libicuuc.so.60.2'), 'library');
    await writeFile(
      path.join(packageDir, 'native', 'pg-symlinks.json'),
      JSON.stringify([
        { source: 'native/lib/libicuuc.so.60.2', target: 'native/lib/libicuuc.so.60' },
        { source: 'native/lib/libicuuc.so.60.2', target: 'native/lib/libicuuc.so' },
      ]),
    );
    await Promise.all([linkSharedLibraries(packageDir), linkSharedLibraries(packageDir)]);
    await linkSharedLibraries(packageDir);
    expect(await readlink(path.join(packageDir, 'native', 'lib', 'libicuuc.so.60'))).toBe('libicuuc.so.60.2');
    expect(await readFile(path.join(packageDir, 'native', 'lib', 'libicuuc.so'), 'utf8')).toBe('library');
  });
});

// Every database test runs on the embedded server, and also on an external one when DATABASE_URL is set.
const targets: { name: string; adminUrl: () => string }[] = [{ name: 'embedded', adminUrl: () => embedded.url }];
const externalUrl = process.env['DATABASE_URL'];
if (externalUrl) targets.push({ name: 'external', adminUrl: () => externalUrl });

let embedded: EmbeddedPostgres;
beforeAll(async () => {
  embedded = await startEmbeddedPostgres({ dataDir: path.join(await tempFolder(), 'data') });
});
afterAll(() => embedded.stop());

for (const target of targets) {
  describe(`storage on ${target.name} PostgreSQL`, () => {
    const created: string[] = [];
    async function freshDatabase(): Promise<string> {
      const name = `tk_storage_${randomBytes(4).toString('hex')}`;
      created.push(name);
      return createDatabase(target.adminUrl(), name);
    }
    afterAll(async () => {
      await Promise.all(created.map((name) => dropDatabase(target.adminUrl(), name)));
    });

    it('applies each migration once, in order, and records it in schema_migrations', async () => {
      const db = openDatabase(await freshDatabase());
      try {
        const applied = await migrate(db);
        expect(applied[0]).toMatchObject({ version: 1, name: 'tenancy' });
        expect(applied.map((m) => path.basename(m.file))).toEqual(shipped);
        expect(await migrate(db)).toEqual([]);
        const { rows } = await db.query('SELECT version, name FROM schema_migrations ORDER BY version');
        expect(rows).toEqual(applied.map(({ version, name }) => ({ version, name })));
      } finally {
        await db.close();
      }
    });

    it('lets two hosts migrate one database at the same time', async () => {
      const url = await freshDatabase();
      const [one, two] = [openDatabase(url), openDatabase(url)];
      try {
        const applied = await Promise.all([migrate(one), migrate(two)]);
        expect(applied.map((list) => list.length).sort()).toEqual([0, shipped.length]);
        expect((await one.query('SELECT * FROM schema_migrations')).rowCount).toBe(shipped.length);
      } finally {
        await Promise.all([one.close(), two.close()]);
      }
    });

    it('leaves the schema untouched when a migration fails', async () => {
      const directory = await tempFolder();
      await writeFile(path.join(directory, '001_notes.sql'), 'CREATE TABLE notes (body text);');
      await writeFile(path.join(directory, '002_broken.sql'), 'ALTER TABLE nowhere ADD COLUMN x int;');
      const db = openDatabase(await freshDatabase());
      try {
        await expect(migrate(db, { directory })).rejects.toMatchObject({ code: 'TK_INTERNAL', details: { version: 2 } });
        const { rows } = await db.query("SELECT to_regclass('notes') AS notes, to_regclass('schema_migrations') AS log");
        expect(rows).toEqual([{ notes: null, log: null }]);
      } finally {
        await db.close();
      }
    });

    it('rolls back a transaction that throws, leaving nothing behind', async () => {
      const db = openDatabase(await freshDatabase());
      try {
        await migrate(db);
        const failing = db.transaction(async (tx) => {
          await tx.query("INSERT INTO merchant_tiers (id, name) VALUES ('gold', 'Gold')");
          await tx.query("INSERT INTO merchants (id, name, tier_id) VALUES ('m-1', 'Acme', 'gold')");
          throw new Error('refused by a domain rule');
        });
        await expect(failing).rejects.toThrow('refused by a domain rule');
        expect((await db.query('SELECT * FROM merchant_tiers')).rowCount).toBe(0);
        expect((await db.query('SELECT * FROM merchants')).rowCount).toBe(0);
      } finally {
        await db.close();
      }
    });

    it('runs a transaction again after a serialization failure', async () => {
      const db = openDatabase(await freshDatabase());
      try {
        await db.query('CREATE TABLE seats (holder text)');
        // Both transactions read before either writes: serializable isolation must abort one (40001).
        let bothRead!: () => void;
        const barrier = new Promise<void>((resolve) => (bothRead = resolve));
        let reads = 0;
        let attempts = 0;
        const takeSeat = (holder: string) =>
          db.transaction(
            async (tx) => {
              attempts++;
              const { rows } = await tx.query<{ n: number }>('SELECT count(*) AS n FROM seats');
              if (++reads === 2) bothRead();
              await barrier;
              await tx.query('INSERT INTO seats VALUES ($1)', [holder]);
              return rows[0]?.n;
            },
            { isolation: 'serializable' },
          );
        const seen = await Promise.all([takeSeat('a'), takeSeat('b')]);
        expect(attempts).toBe(3);
        expect(seen.sort()).toEqual([0, 1]); // the retried one saw the other's seat
      } finally {
        await db.close();
      }
    });

    it('enforces the tenancy constraints', async () => {
      const db = openDatabase(await freshDatabase());
      try {
        await migrate(db);
        await db.query("INSERT INTO merchant_tiers (id, name, allowed_points) VALUES ('gold', 'Gold', '{member.tier.compute}')");
        await db.query("INSERT INTO merchants (id, name, tier_id) VALUES ('m-1', 'Acme', 'gold')");
        await db.query("INSERT INTO stores (id, merchant_id, name, channel) VALUES ('s-1', 'm-1', '南京西路店', 'store')");
        const violation = (sql: string) => db.query(sql).then(() => 'accepted', (error: { code: string }) => error.code);
        expect(await violation("INSERT INTO stores (id, merchant_id, name, channel) VALUES ('s-2', 'm-1', 'x', 'kiosk')")).toBe('23514');
        expect(await violation("INSERT INTO stores (id, merchant_id, name, channel) VALUES ('s-3', 'm-9', 'x', 'online')")).toBe('23503');
        expect(await violation("INSERT INTO merchants (id, name, tier_id) VALUES ('m-2', 'Beta', 'platinum')")).toBe('23503');
        expect(await violation("INSERT INTO api_tokens (token_hash, role, subject_id) VALUES ('not-a-hash', 'admin', 'root')")).toBe('23514');
        expect(await violation("INSERT INTO merchant_tiers (id, name, allowed_plugins) VALUES ('x', 'X', '{NULL}')")).toBe('23514');
        expect(await violation("DELETE FROM merchants WHERE id = 'm-1'")).toBe('23503');
        const { rows } = await db.query<{ is_development: boolean; stores: number }>(
          "SELECT is_development, (SELECT count(*) FROM stores WHERE merchant_id = m.id) AS stores FROM merchants m",
        );
        expect(rows).toEqual([{ is_development: false, stores: 1 }]); // count(*) is bigint, read as a number
      } finally {
        await db.close();
      }
    });

    it('creates and drops databases, and refuses names it would have to quote', async () => {
      const name = `tk_storage_${randomBytes(4).toString('hex')}`;
      const url = await createDatabase(target.adminUrl(), name);
      expect(await count(url, 'SELECT 1 AS n')).toBe(1);
      await dropDatabase(target.adminUrl(), name);
      await expect(count(url, 'SELECT 1 AS n')).rejects.toThrow(/does not exist/);
      await expect(createDatabase(target.adminUrl(), 'Robert"; DROP')).rejects.toMatchObject({ code: 'TK_VALIDATION' });
    });
  });
}

describe('createTestDatabase', () => {
  it('opens sessions that PostgreSQL ends when they idle inside a transaction (no row locks held for ever)', async () => {
    const test = await createTestDatabase();
    try {
      const { rows } = await test.db.query<{ idle_in_transaction_session_timeout: string }>('SHOW idle_in_transaction_session_timeout');
      expect(rows[0]!.idle_in_transaction_session_timeout).toBe('30s');
    } finally {
      await test.drop();
    }
  });

  it('gives each caller its own migrated database, and drop removes it', async () => {
    const [one, two] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    expect(one.url).not.toBe(two.url);
    await one.db.query("INSERT INTO developers (id, name) VALUES ('d-1', 'Ada')");
    expect((await two.db.query('SELECT * FROM developers')).rowCount).toBe(0);
    await Promise.all([one.drop(), two.drop()]);
    await expect(count(one.url, 'SELECT 1 AS n')).rejects.toThrow(/does not exist/);
  });
});
