import { createHash } from 'node:crypto';
import { TkError } from '@tongkit/sdk';
import type { Queryable } from '../storage/database.js';
import { storableText } from '../storage/storable-text.js';

const MAX_KEY = 256;
const MAX_VALUE_BYTES = 64 * 1024;
/** Counters stay exact JavaScript numbers: the plugin reads them back as one. */
const MAX_COUNTER = Number.MAX_SAFE_INTEGER;

/**
 * Why PostgreSQL would refuse a string (NUL in text, NUL or a lone UTF-16 surrogate in jsonb), or
 * undefined. Refused here, before the query: a statement that fails aborts the delivery's transaction.
 */
function unstorable(text: string): string | undefined {
  if (storableText(text) === text) return undefined;
  return text.includes('\u0000') ? 'a NUL character (\\u0000)' : 'a lone UTF-16 surrogate (half of a character)';
}

/** `path` points into the host call's arguments: `/0` is the key, `/1/…` inside the value. */
function refuseText(what: string, text: string, path: string): void {
  const problem = unstorable(text);
  if (problem) throw new TkError('TK_VALIDATION', `${what} at ${path} holds ${problem}, which storage cannot keep`, { fault: 'plugin', path });
}

function requireKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY) {
    throw new TkError('TK_VALIDATION', `a KV key is a string of 1–${MAX_KEY} characters`, { fault: 'plugin', path: '/0' });
  }
  refuseText('the KV key', key, '/0');
  return key;
}

/** Every string and object key of a KV value (JSON, nesting already bounded by the runtime). */
function requireStorableValue(value: unknown, path: string): void {
  if (typeof value === 'string') refuseText('the KV value', value, path);
  else if (Array.isArray(value)) value.forEach((item, index) => requireStorableValue(item, `${path}/${index}`));
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const pointer = `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
      refuseText('a key of the KV value', key, pointer);
      requireStorableValue(item, pointer);
    }
  }
}

function idempotencyKeyOf(options: unknown, argIndex: number): string | undefined {
  if (options === undefined || options === null) return undefined;
  const key = (options as { idempotencyKey?: unknown }).idempotencyKey;
  if (key === undefined) return undefined;
  const path = `/${argIndex}/idempotencyKey`;
  if (typeof key !== 'string' || key.length === 0 || key.length > 256) {
    throw new TkError('TK_VALIDATION', 'an idempotency key is a string of 1–256 characters', { fault: 'plugin', path });
  }
  refuseText('the idempotency key', key, path);
  return key;
}

function requireInteger(by: unknown): asserts by is number {
  if (typeof by !== 'number' || !Number.isSafeInteger(by)) throw new TkError('TK_VALIDATION', 'kv.increment adds an integer', { fault: 'plugin', path: '/1' });
}

/**
 * The value an increment starts from, as SQL on the conflicting row: 0 when it is not a number (the
 * counter starts over), NULL when it is a number but not an integer of at most 16 digits — refused, as
 * `::bigint` of `1.5` or of `1e300` would fail the statement. The sum of two such numbers fits a bigint.
 */
const BUMPED = `(CASE WHEN jsonb_typeof(plugin_kv.value) <> 'number' THEN 0
                      WHEN (plugin_kv.value)::text ~ '^-?[0-9]{1,16}$' THEN (plugin_kv.value)::text::bigint END) + $3::bigint`;
/** Upserts `$3` at (`$1`, `$2`); a stored non-integer, or a sum past ±MAX_COUNTER, changes nothing and returns no row. */
const UPSERT_INCREMENT = `INSERT INTO plugin_kv (install_id, key, value) VALUES ($1, $2, to_jsonb($3::bigint))
       ON CONFLICT (install_id, key) DO UPDATE SET value = to_jsonb(${BUMPED}), updated_at = now()
         WHERE abs(${BUMPED}) <= ${MAX_COUNTER}`;

function refuseIncrement(key: string): never {
  throw new TkError('TK_VALIDATION', `kv.increment: the value at "${key}" is not an integer, or adding to it would pass ±${MAX_COUNTER}`, {
    fault: 'plugin',
    path: '/0',
  });
}

/** What an idempotency key is bound to: the method and its payload (not the options). */
function requestHashOf(method: string, args: unknown[]): string {
  return createHash('sha256').update(JSON.stringify([method, args.slice(0, 2)])).digest('hex');
}

const IDEMPOTENCY_HINT = 'Use one idempotency key per change (e.g. the event id and what it changes), never the same key for two payloads.';

/**
 * Plugin KV storage of one install, on the caller's transaction (so a handler's writes commit with its
 * delivery's ack, or not at all). Mutations with an idempotency key run once per (install, key): the
 * same key again returns the first result; with a different payload it is TK_CONFLICT.
 */

export class KvStore {
  constructor(
    private readonly tx: Queryable,
    private readonly installId: string,
  ) {}

  /** Dispatches `ctx.kv.<method>(...args)` from a plugin. */
  async call(method: string, args: unknown[]): Promise<unknown> {
    switch (method) {
      case 'get':
        return this.get(requireKey(args[0]));
      case 'set':
        return this.set(requireKey(args[0]), args[1], idempotencyKeyOf(args[2], 2), args);
      case 'delete': {
        const key = requireKey(args[0]);
        return this.once('delete', args, idempotencyKeyOf(args[1], 1), () => this.delete(key));
      }
      case 'increment': {
        const key = requireKey(args[0]);
        const idempotencyKey = idempotencyKeyOf(args[2], 2);
        return idempotencyKey === undefined ? this.increment(key, args[1]) : this.incrementOnce(key, args[1], idempotencyKey, requestHashOf('increment', args));
      }
      default:
        throw new TkError('TK_NOT_FOUND', `ctx.kv has no method ${method}`, { fault: 'plugin' });
    }
  }

  private async get(key: string): Promise<unknown> {
    const { rows } = await this.tx.query<{ value: unknown }>('SELECT value FROM plugin_kv WHERE install_id = $1 AND key = $2', [this.installId, key]);
    return rows[0]?.value;
  }

  /** Checks the value before claiming the idempotency key, so a refused value leaves the key unused. */
  private async set(key: string, value: unknown, idempotencyKey: string | undefined, args: unknown[]): Promise<unknown> {
    const json = JSON.stringify(value ?? null);
    if (Buffer.byteLength(json) > MAX_VALUE_BYTES) throw new TkError('TK_VALIDATION', `a KV value is at most ${MAX_VALUE_BYTES} bytes of JSON`, { fault: 'plugin', path: '/1' });
    requireStorableValue(value, '/1');
    return this.once('set', args, idempotencyKey, () => this.write(key, json));
  }

  private async write(key: string, json: string): Promise<null> {
    await this.tx.query(
      `INSERT INTO plugin_kv (install_id, key, value) VALUES ($1, $2, $3::jsonb)
       ON CONFLICT (install_id, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
      [this.installId, key, json],
    );
    return null;
  }

  private async delete(key: string): Promise<null> {
    await this.tx.query('DELETE FROM plugin_kv WHERE install_id = $1 AND key = $2', [this.installId, key]);
    return null;
  }

  private async increment(key: string, by: unknown): Promise<number> {
    requireInteger(by);
    const { rows } = await this.tx.query<{ value: number }>(`${UPSERT_INCREMENT} RETURNING (value)::text::bigint AS value`, [this.installId, key, by]);
    if (!rows[0]) refuseIncrement(key);
    return Number(rows[0].value);
  }

  /**
   * `increment` with an idempotency key in one round trip (the hot path of event handlers): the key is
   * claimed, the value bumped and the result stored in one statement — or, when the key exists, its
   * first result returned (TK_CONFLICT if it was used for something else).
   */
  private async incrementOnce(key: string, by: unknown, idempotencyKey: string, requestHash: string): Promise<number> {
    requireInteger(by);
    const { rows } = await this.tx.query<{ value: number | null; existing_hash: string | null; existing_result: unknown }>(
      `WITH existing AS (
         SELECT request_hash, result FROM idempotency_keys WHERE install_id = $1 AND key = $4
       ), bumped AS (
         INSERT INTO plugin_kv (install_id, key, value)
         SELECT $1, $2, to_jsonb($3::bigint) WHERE NOT EXISTS (SELECT 1 FROM existing)
         ON CONFLICT (install_id, key) DO UPDATE SET value = to_jsonb(${BUMPED}), updated_at = now()
           WHERE abs(${BUMPED}) <= ${MAX_COUNTER}
         RETURNING (value)::text::bigint AS value
       ), claimed AS (
         INSERT INTO idempotency_keys (install_id, key, request_hash, result)
         SELECT $1, $4, $5, to_jsonb(value) FROM bumped
         RETURNING 1
       )
       SELECT (SELECT value FROM bumped) AS value, (SELECT request_hash FROM existing) AS existing_hash,
              (SELECT result FROM existing) AS existing_result, (SELECT count(*) FROM claimed) AS claimed`,
      [this.installId, key, by, idempotencyKey, requestHash],
    );
    const row = rows[0]!;
    if (row.existing_hash === null) {
      // Neither an earlier result nor a bump: the stored value refused it, and the key stays unclaimed.
      if (row.value === null) refuseIncrement(key);
      return Number(row.value);
    }
    if (row.existing_hash !== requestHash) {
      throw new TkError('TK_CONFLICT', `idempotency key "${idempotencyKey}" was already used with a different increment`, { fault: 'plugin', hint: IDEMPOTENCY_HINT });
    }
    return Number(row.existing_result);
  }

  /** Runs a mutation once per idempotency key. */
  private async once(method: string, args: unknown[], key: string | undefined, run: () => Promise<unknown>): Promise<unknown> {
    if (key === undefined) return run();
    const requestHash = requestHashOf(method, args);
    const claimed = await this.tx.query(
      `INSERT INTO idempotency_keys (install_id, key, request_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [this.installId, key, requestHash],
    );
    if (claimed.rowCount === 0) {
      const { rows } = await this.tx.query<{ request_hash: string; result: unknown }>(
        'SELECT request_hash, result FROM idempotency_keys WHERE install_id = $1 AND key = $2',
        [this.installId, key],
      );
      if (rows[0]?.request_hash !== requestHash) {
        throw new TkError('TK_CONFLICT', `idempotency key "${key}" was already used with a different ${method}`, { fault: 'plugin', hint: IDEMPOTENCY_HINT });
      }
      return rows[0].result;
    }
    const result = await run();
    await this.tx.query('UPDATE idempotency_keys SET result = $3::jsonb WHERE install_id = $1 AND key = $2', [this.installId, key, JSON.stringify(result ?? null)]);
    return result;
  }
}
