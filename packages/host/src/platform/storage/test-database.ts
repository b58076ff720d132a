import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isAlive } from './data-folder.js';
import { createDatabase, dropDatabase, openDatabase, type Database } from './database.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded.js';
import { migrate } from './migrate.js';

/** A fresh, migrated database of its own for one test file. */
export interface TestDatabase {
  /** URL of the database, e.g. for a host or CLI under test. */
  url: string;
  /** An open pool on it. */
  db: Database;
  /** Closes `db` and drops the database. */
  drop(): Promise<void>;
}

/**
 * Set by the vitest global setup (`test/global-setup.ts`) to the URL of the one embedded server it started
 * for the whole run; test processes then only create databases on it.
 */
export const TEST_SERVER_URL_ENV = 'TONGKIT_TEST_POSTGRES_URL';

/** Throwaway data: durability is traded for speed, and parallel test files need more connections. */
const TEST_SERVER_SETTINGS: Record<string, string> = {
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  max_connections: '300',
};

/**
 * Creates a fresh database with all migrations applied, for one test file.
 *
 * Where it lives, in order: the server of `DATABASE_URL` when set (an external PostgreSQL, for CI); the
 * embedded server the vitest global setup started for the run; otherwise an embedded server this process
 * starts on first use, in a temporary folder removed when the process exits.
 *
 * @example
 * let test: TestDatabase;
 * beforeAll(async () => (test = await createTestDatabase()));
 * afterAll(() => test.drop());
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env['DATABASE_URL'] || process.env[TEST_SERVER_URL_ENV] || (await processServer()).url;
  const name = `tk_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const url = await createDatabase(adminUrl, name);
  const db = openDatabase(url, { maxConnections: 5 });
  const drop = async (): Promise<void> => {
    await db.close();
    await dropDatabase(adminUrl, name);
  };
  try {
    await migrate(db);
  } catch (error) {
    await drop();
    throw error;
  }
  return { url, db, drop };
}

/** Where test servers keep their data folders, one per server, named `<pid of its owner>-<random>`. */
const TEST_SERVERS_DIR = path.join(os.tmpdir(), 'tongkit-test-postgres');

/**
 * Starts an embedded server for tests in a fresh folder under the system temp folder. The folder is removed
 * on exit by {@link removeTestServer}; folders left by killed processes are removed by the next start.
 */
export async function startTestServer(): Promise<EmbeddedPostgres & { dataDir: string }> {
  // 0755 so that, as root, the `postgres` OS user can reach the data folder inside.
  mkdirSync(TEST_SERVERS_DIR, { recursive: true, mode: 0o755 });
  removeAbandonedTestServers();
  const dataDir = path.join(TEST_SERVERS_DIR, `${process.pid}-${randomBytes(4).toString('hex')}`);
  const server = await startEmbeddedPostgres({ dataDir, settings: TEST_SERVER_SETTINGS });
  return { ...server, dataDir };
}

/**
 * Kills a test server and deletes its folder, synchronously, so it can run in a process 'exit' handler.
 * SIGQUIT is PostgreSQL's immediate shutdown: nothing is worth saving. The folder is deleted only once the
 * server removed its postmaster.pid, i.e. all its processes are gone and none writes there any more.
 */
export function removeTestServer(server: { pid: number; dataDir: string }): void {
  const lockFile = path.join(server.dataDir, 'postmaster.pid');
  // Signal only a server that still holds the folder: a stopped server's PID may belong to anyone by now.
  if (pidInLockFile(server.dataDir) === server.pid) {
    try {
      process.kill(server.pid, 'SIGQUIT');
    } catch {
      // already gone
    }
  }
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; existsSync(lockFile) && waited < 5_000; waited += 10) Atomics.wait(pause, 0, 0, 10);
  rmSync(server.dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
}

let started: Promise<EmbeddedPostgres> | undefined;

function processServer(): Promise<EmbeddedPostgres> {
  started ??= startTestServer().then((server) => {
    server.unref(); // a test runner must be able to end while the server runs
    removeOnExit(server);
    return server;
  });
  return started;
}

/**
 * Removes the server when this process ends. vitest ends its worker processes with SIGTERM, which skips
 * 'exit' handlers: the signal is caught, the server removed, and the signal raised again so the process
 * still ends as it would have.
 */
export function removeOnExit(server: { pid: number; dataDir: string }): () => void {
  const signals = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
  const onExit = (): void => {
    forget();
    removeTestServer(server);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    onExit();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const forget = (): void => {
    process.off('exit', onExit);
    for (const signal of signals) process.off(signal, onSignal);
  };
  process.once('exit', onExit);
  for (const signal of signals) process.once(signal, onSignal);
  return forget;
}

function removeAbandonedTestServers(): void {
  for (const name of readdirSync(TEST_SERVERS_DIR)) {
    const owner = Number(name.split('-')[0]);
    const dataDir = path.join(TEST_SERVERS_DIR, name);
    if (Number.isInteger(owner) && owner > 0 && !isAlive(owner) && !serverRunsOn(dataDir)) {
      try {
        rmSync(dataDir, { recursive: true, force: true });
      } catch {
        // another user's folder, or removed by a concurrent start
      }
    }
  }
}

/** Without parent-death signals (macOS) a server can outlive its owner: its folder is not abandoned then. */
function serverRunsOn(dataDir: string): boolean {
  const pid = pidInLockFile(dataDir);
  return pid !== undefined && isAlive(pid);
}

function pidInLockFile(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
