import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, openDatabase, withDatabase, type Database } from './platform/storage/database.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './platform/storage/embedded.js';
import { migrate } from './platform/storage/migrate.js';
import { createHostServices, type HostServiceOptions, type HostServices } from './host-services.js';
import { buildHttpApi, type HostApp, type HttpApiOptions } from './platform/http/server.js';
import type { PlatformRole as Role } from './platform/auth/principal.js';
import type { MerchantStore } from './platform/tenancy/schemas.js';
import { loadHostKeys } from './platform/host-keys.js';

/** Options of {@link startHost}. */
export interface HostOptions {
  /** An external PostgreSQL (`postgres://…`); several hosts may share it. Default: `DATABASE_URL`, else embedded. */
  databaseUrl?: string | undefined;
  /** Folder of the embedded PostgreSQL and of the host's bootstrap tokens. Default `~/.tongkit/host`. */
  dataDir?: string | undefined;
  /** Run event workers in this process (default true). */
  dispatch?: boolean;
  services?: HostServiceOptions;
  /** The HTTP API's options (per-credential request rate limit, workbench sessions). */
  http?: HttpApiOptions;
  /**
   * Offer the workbench's one-click development sign-in as the bootstrap identities. Default: only on
   * the embedded storage (a developer's own machine), never on an external database unless asked.
   */
  devSignIn?: boolean;
  /**
   * Give the development merchant the sample stores `sh-01` (Shanghai) and `bj-01` (Beijing), each
   * created only when no merchant has that id yet, so a newcomer's `--store sh-01` names a store.
   * Default false; `tongkit host start` turns it on.
   */
  sampleStores?: boolean;
}

/** The bootstrap identities a new host creates, with their tokens (kept in `<dataDir>/tokens.json`). */
export interface BootstrapTokens {
  admin: string;
  reviewer: string;
  developer: string;
  /** A development merchant: it may install unreviewed versions (for `tongkit dev` and tests). */
  devMerchant: string;
}

/** A running host: its services, its HTTP API, and how to stop it. */
export interface Host {
  services: HostServices;
  app: HostApp;
  tokens: BootstrapTokens;
  /** The development merchant's sample stores ({@link HostOptions.sampleStores}; empty without it). */
  sampleStores: MerchantStore[];
  databaseUrl: string;
  /** Starts serving HTTP; returns the base URL. */
  listen(port?: number, hostname?: string): Promise<string>;
  close(): Promise<void>;
}

const DATABASE_NAME = 'tongkit';

async function openStorage(options: HostOptions, dataDir: string): Promise<{ db: Database; url: string; embedded?: EmbeddedPostgres }> {
  const external = options.databaseUrl ?? process.env['DATABASE_URL'];
  if (external) return { db: openDatabase(external), url: external };
  const embedded = await startEmbeddedPostgres({ dataDir: join(dataDir, 'postgres') });
  try {
    const url = withDatabase(embedded.url, DATABASE_NAME);
    const exists = await openDatabase(embedded.url, { maxConnections: 1 });
    try {
      const found = await exists.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE_NAME]);
      if (found.rowCount === 0) await createDatabase(embedded.url, DATABASE_NAME);
    } finally {
      await exists.close();
    }
    return { db: openDatabase(url), url, embedded };
  } catch (error) {
    await embedded.stop();
    throw error;
  }
}

/** The development merchant's sample stores: a shop in each of two cities ({@link HostOptions.sampleStores}). */
const SAMPLE_STORES: MerchantStore[] = [
  { id: 'sh-01', name: 'Shanghai 01', channel: 'store' },
  { id: 'bj-01', name: 'Beijing 01', channel: 'store' },
];

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

/** Creates the bootstrap tenancy (idempotent) and returns tokens that work on this database. */
async function bootstrap(services: HostServices, dataDir: string): Promise<BootstrapTokens> {
  const { tenancy, db } = services;
  await tenancy.upsertTier({ id: 'standard', name: 'Standard' });
  await tenancy.upsertDeveloper({ id: 'dev', name: 'Local developer' });
  await tenancy.upsertMerchant({ id: 'dev-merchant', name: 'Development merchant', tierId: 'standard', development: true });

  const file = join(dataDir, 'tokens.json');
  const subjects: Record<keyof BootstrapTokens, [Role, string]> = {
    admin: ['admin', 'admin'],
    reviewer: ['reviewer', 'reviewer'],
    developer: ['developer', 'dev'],
    devMerchant: ['merchant', 'dev-merchant'],
  };
  let tokens: Partial<BootstrapTokens> = existsSync(file) ? (JSON.parse(await readFile(file, 'utf8')) as BootstrapTokens) : {};
  for (const [name, [role, subject]] of Object.entries(subjects) as Array<[keyof BootstrapTokens, [Role, string]]>) {
    const token = tokens[name];
    if (token) {
      // Re-register a kept token on this database (a fresh external database, say).
      await db.query('INSERT INTO api_tokens (token_hash, role, subject_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [hashOf(token), role, subject]);
    } else {
      tokens = { ...tokens, [name]: (await tenancy.issueToken(role, subject)).token };
    }
  }
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return tokens as BootstrapTokens;
}

/**
 * Starts a Tongkit host: storage (embedded PostgreSQL in `dataDir`, or `DATABASE_URL`), migrations,
 * bootstrap identities, services, event workers and the HTTP API.
 *
 * @example
 * const host = await startHost({ dataDir: '.tongkit/host' });
 * const url = await host.listen(4800);
 * console.log(url, host.tokens.developer);
 */
export async function startHost(options: HostOptions = {}): Promise<Host> {
  const dataDir = options.dataDir ?? join(homedir(), '.tongkit', 'host');
  const storage = await openStorage(options, dataDir);
  try {
    await migrate(storage.db);
    // The key of members' personal data: configuration first, else a key file beside (never inside) the
    // PostgreSQL data folder `<dataDir>/postgres`, created on first start.
    await mkdir(dataDir, { recursive: true });
    const hostKeys = options.services?.hostKeys ?? (await loadHostKeys(join(dataDir, 'host-key.json')));
    const services = createHostServices(storage.db, { ...options.services, hostKeys });
    const tokens = await bootstrap(services, dataDir);
    const sampleStores = options.sampleStores ? await services.tenancy.addMissingStores('dev-merchant', SAMPLE_STORES) : [];
    const devSignIn = options.devSignIn ?? storage.embedded !== undefined;
    const http: HttpApiOptions = {
      ...options.http,
      workbench: {
        ...options.http?.workbench,
        ...(devSignIn ? { devSignIn: { developer: tokens.developer, reviewer: tokens.reviewer, merchant: tokens.devMerchant, admin: tokens.admin } } : {}),
      },
    };
    const app = await buildHttpApi(services, http);
    if (options.dispatch !== false) {
      services.dispatcher.start();
      services.orderPoints.start();
      services.tierWork.start();
      services.guides.worker.start();
      services.schedules.start();
      services.backfills.start();
    }
    let closed = false;
    return {
      services,
      app,
      tokens,
      sampleStores,
      databaseUrl: storage.url,
      async listen(port = 0, hostname = '127.0.0.1') {
        return app.listen({ port, host: hostname });
      },
      async close() {
        if (closed) return;
        closed = true;
        await services.dispatcher.stop();
        await services.orderPoints.stop();
        await services.tierWork.stop();
        await services.guides.worker.stop();
        await services.schedules.stop();
        await services.backfills.stop();
        await app.close();
        // After the routes: every invoke answered has its log row written.
        await services.extensions.close();
        await services.runtime.dispose();
        await storage.db.close();
        await storage.embedded?.stop();
      },
    };
  } catch (error) {
    await storage.db.close().catch(() => undefined);
    await storage.embedded?.stop();
    throw error;
  }
}
