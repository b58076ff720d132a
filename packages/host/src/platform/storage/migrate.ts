import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TkError } from '@tongkit/sdk';
import type { Database } from './database.js';

/** One SQL migration file, `NNN_name.sql`. */
export interface Migration {
  version: number;
  name: string;
  file: string;
}

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /** The folder of `NNN_name.sql` files; defaults to the `migrations` folder shipped with this package. */
  directory?: string;
}

/**
 * Any fixed 64-bit number works as long as nothing else on the database uses it: every host process that
 * migrates the same database waits on this lock, so only one of them applies each migration.
 */
const MIGRATION_LOCK = 7_385_019_467_201;

/**
 * Brings the database schema up to date: applies, in version order, every migration not yet recorded in
 * `schema_migrations(version, name, applied_at)`, and returns the ones it applied.
 *
 * All pending migrations run in one transaction holding a transaction-level advisory lock, so several host
 * processes may start on one database at once: one applies, the others wait and then find nothing to do;
 * and a failing migration leaves the schema as it was. Versions recorded in the database but unknown to
 * this code (a newer host ran first) are left alone. Migrations therefore cannot use statements that refuse
 * to run in a transaction, such as `CREATE INDEX CONCURRENTLY`.
 *
 * @example
 * const applied = await migrate(db); // [{ version: 1, name: 'tenancy', file: '…/001_tenancy.sql' }]
 */
export async function migrate(db: Database, options: MigrateOptions = {}): Promise<Migration[]> {
  const migrations = listMigrations(options.directory ?? defaultMigrationsDirectory());
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    // Created under the lock: two concurrent CREATE TABLE IF NOT EXISTS can still collide on the catalog.
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    // Read committed: a process that waited for the lock sees here what the one before it committed.
    const { rows } = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((row) => row.version));
    const pending = migrations.filter((migration) => !applied.has(migration.version));
    for (const migration of pending) {
      try {
        await tx.query(readFileSync(migration.file, 'utf8'));
      } catch (cause) {
        throw new TkError('TK_INTERNAL', `Migration ${path.basename(migration.file)} failed: ${(cause as Error).message}`, {
          details: { version: migration.version, file: migration.file },
          cause,
        });
      }
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
    }
    return pending;
  });
}

/** The migration files of `directory`, ordered by version; refuses malformed names and duplicate versions. */
export function listMigrations(directory: string): Migration[] {
  const migrations: Migration[] = [];
  for (const file of readdirSync(directory).filter((name) => name.endsWith('.sql'))) {
    const match = /^(\d+)_([a-z0-9_]+)\.sql$/.exec(file);
    if (!match?.[1] || !match[2]) {
      throw new TkError('TK_INTERNAL', `Migration file ${file} is not named NNN_name.sql.`, { details: { directory } });
    }
    migrations.push({ version: Number(match[1]), name: match[2], file: path.join(directory, file) });
  }
  migrations.sort((a, b) => a.version - b.version);
  const duplicate = migrations.find((migration, index) => migrations[index - 1]?.version === migration.version);
  if (duplicate) {
    throw new TkError('TK_INTERNAL', `Two migrations share version ${duplicate.version} in ${directory}.`);
  }
  return migrations;
}

/**
 * The package's `migrations` folder, found from this module: it runs from `dist/*.js` once built and from
 * `src/platform/storage/*.ts` in tests, and both sit below the package root, which holds `migrations`.
 */
function defaultMigrationsDirectory(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new TkError('TK_INTERNAL', 'The @tongkit/host migrations folder was not found.');
    dir = parent;
  }
  return path.join(dir, 'migrations');
}
