import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { TkError } from '@tongkit/sdk';
import { openChangeFeed, type ChangeFeed } from './change-feed.js';

/** How long PostgreSQL lets a host session sit idle inside a transaction before ending it. */
export const IDLE_IN_TRANSACTION_TIMEOUT_MS = 30_000;

/** The rows of a query, and how many rows it returned or changed. */
export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

/** Something SQL can be sent to: a {@link Database}, or the transaction inside {@link Database.transaction}. */
export interface Queryable {
  /**
   * Runs one statement with `$1, $2, …` parameters. Without parameters the text may hold several
   * statements (migrations). `bigint` columns come back as numbers (amounts are integer fen, far below
   * 2^53); `numeric` as strings; `timestamptz` as `Date`.
   */
  query<Row extends object = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
}

/** Options of {@link Database.transaction}. */
export interface TransactionOptions {
  /** Defaults to PostgreSQL's `read committed`. */
  isolation?: 'read committed' | 'repeatable read' | 'serializable';
}

/** A pool of connections to one PostgreSQL database. */
export interface Database extends Queryable {
  /**
   * Runs `fn` in a transaction on one connection: COMMIT when it resolves, ROLLBACK when it throws.
   * A serialization failure or deadlock (SQLSTATE 40001, 40P01) rolls back and runs `fn` again, up to
   * 5 times, so `fn` must not have effects outside the database.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Changes other processes (and this one) announce: what in-process caches listen to (its connection opens on first use). */
  readonly changes: ChangeFeed;
  /** Closes every connection; waits for queries in flight. */
  close(): Promise<void>;
}

/** Options of {@link openDatabase}. */
export interface DatabaseOptions {
  /** Most connections the pool opens at once (default 10). */
  maxConnections?: number;
}

const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 5;

/**
 * Opens a connection pool on a PostgreSQL URL (`postgres://user:password@host:port/database`). Connections
 * are made on first use, so this never fails; a wrong URL surfaces on the first query.
 *
 * @example
 * const db = openDatabase(process.env.DATABASE_URL!);
 * const { rows } = await db.query<{ id: string }>('SELECT id FROM merchants WHERE tier_id = $1', ['gold']);
 * await db.transaction(async (tx) => {
 *   await tx.query('INSERT INTO merchant_tiers (id, name) VALUES ($1, $2)', ['gold', 'Gold']);
 * });
 * await db.close();
 */
export function openDatabase(url: string, options: DatabaseOptions = {}): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    application_name: 'tongkit-host',
    types: { getTypeParser },
    // A host that stops talking in the middle of a transaction (stuck, or its connection half-open)
    // must not hold the row locks of a delivery batch for ever: PostgreSQL ends such a session. The
    // longest legitimate gap is one event handler (5 s) between a batch's statements.
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
  });
  // An idle connection that breaks (server restart, network) is dropped by the pool and replaced on the next
  // query; without a listener its 'error' event would crash the host.
  pool.on('error', () => undefined);

  const query: Queryable['query'] = async (sql, params) => toResult(await runOn(pool, sql, params));
  const changes = openChangeFeed(url);

  return {
    query,
    changes,
    async transaction(fn, { isolation } = {}) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await runTransaction(pool, fn, isolation);
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          if (typeof code !== 'string' || !RETRYABLE.has(code) || attempt >= MAX_ATTEMPTS) throw error;
          // Jittered backoff so the transactions that collided do not collide again.
          await sleep(Math.random() * 10 * 2 ** attempt);
        }
      }
    },
    async close() {
      await changes.close();
      await pool.end();
    },
  };
}

async function runTransaction<T>(
  pool: pg.Pool,
  fn: (tx: Queryable) => Promise<T>,
  isolation: TransactionOptions['isolation'],
): Promise<T> {
  const client = await pool.connect();
  // A checked-out connection that breaks between statements emits 'error'; the next statement fails anyway.
  const ignore = (): void => undefined;
  client.on('error', ignore);
  let broken: unknown;
  try {
    await client.query(isolation ? `BEGIN ISOLATION LEVEL ${isolation.toUpperCase()}` : 'BEGIN');
    const result = await fn({ query: async (sql, params) => toResult(await runOn(client, sql, params)) });
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // A connection whose ROLLBACK fails is in an unknown state: destroy it rather than pool it.
    await client.query('ROLLBACK').catch((rollbackError: unknown) => (broken = rollbackError));
    throw error;
  } finally {
    client.off('error', ignore);
    client.release(broken instanceof Error ? broken : undefined);
  }
}

function runOn(target: pg.Pool | pg.PoolClient, sql: string, params: readonly unknown[] | undefined) {
  // Without values pg uses the simple protocol, which allows several statements in one text.
  return params === undefined ? target.query(sql) : target.query(sql, params as unknown[]);
}

function toResult<Row>(result: pg.QueryResult | pg.QueryResult[]): QueryResult<Row> {
  // A multi-statement text yields one result per statement; the last one is the answer.
  const last = Array.isArray(result) ? result[result.length - 1] : result;
  return { rows: (last?.rows ?? []) as Row[], rowCount: last?.rowCount ?? 0 };
}

const INT8_OID = 20;

function getTypeParser(oid: number, format?: string): (value: string) => unknown {
  if (oid === INT8_OID) return parseInt8;
  // @types/pg types `getTypeParser` with overloads a plain call cannot satisfy.
  return (pg.types.getTypeParser as (oid: number, format?: string) => (value: string) => unknown)(oid, format);
}

function parseInt8(value: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number)) {
    throw new TkError('TK_INTERNAL', `The bigint ${value} does not fit a JavaScript number exactly.`);
  }
  return number;
}

/** Database names this module creates: unquoted, lower-case PostgreSQL identifiers. */
const DATABASE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Creates database `name` on the server of `adminUrl` (a role allowed to CREATE DATABASE) and returns the
 * URL of the new database: `adminUrl` with its database name replaced.
 *
 * @example
 * const url = await createDatabase(server.url, 'tongkit');
 */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  await runAsAdmin(adminUrl, `CREATE DATABASE ${checkedName(name)}`);
  return withDatabase(adminUrl, name);
}

/**
 * Drops database `name` if it exists, disconnecting its sessions first (`WITH (FORCE)`): meant for test
 * databases and tooling, not for data anyone still uses.
 */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await runAsAdmin(adminUrl, `DROP DATABASE IF EXISTS ${checkedName(name)} WITH (FORCE)`);
}

/** `url` pointing at database `name` instead. */
export function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(name)}`;
  return parsed.toString();
}

function checkedName(name: string): string {
  if (!DATABASE_NAME.test(name)) {
    throw new TkError('TK_VALIDATION', `"${name}" is not a valid database name here.`, {
      hint: 'Use lower-case letters, digits and underscores, starting with a letter or underscore (at most 63).',
    });
  }
  return name;
}

async function runAsAdmin(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, application_name: 'tongkit-host' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
