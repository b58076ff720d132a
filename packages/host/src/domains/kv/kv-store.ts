import { TkError, type JsonValue } from '@tongkit/sdk';
import type { Queryable } from '../../platform/storage/database.js';
import { storableText } from '../../platform/storage/storable-text.js';
import { claimIdempotencyKey, requestHashOf, storeIdempotentResult } from '../../platform/modules/idempotency.js';

const MAX_VALUE_BYTES = 64 * 1024;
/** Counters stay exact JavaScript numbers: the plugin reads them back as one. */
const MAX_COUNTER = Number.MAX_SAFE_INTEGER;

// Lengths, types and the integer range are the host-API catalogue's schemas (HOST_API.kv), checked by
// the router before a call gets here; what is left is what only storage knows.

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

function requireStorableKey(key: string): string {
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

function storableIdempotencyKey(key: string | undefined, argIndex: number): string | undefined {
  if (key !== undefined) refuseText('the idempotency key', key, `/${argIndex}/idempotencyKey`);
  return key;
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

/**
 * What an idempotency key is bound to: the method and its payload (not the options). Kept as it was
 * before the shared helper (not canonical JSON), so keys stored by an earlier host still match.
 */
const kvRequestHash = (method: string, payload: unknown[]) => requestHashOf([method, payload]);

/** The options a KV mutation takes (validated by the catalogue's schema). */
type Options = { idempotencyKey?: string | undefined } | undefined;
/** `kv.set`'s options: also the member the value is about (purged with the member's erasure). */
type SetOptions = { idempotencyKey?: string | undefined; memberId?: string | undefined } | undefined;

/**
 * Plugin KV storage of one install, on the caller's transaction (the delivery batch's: a handler's writes
 * commit with its delivery's ack, or not at all). Every query is scoped by the install id. Mutations with
 * an idempotency key run once per (install, key): the same key again returns the first result; with a
 * different payload it is TK_CONFLICT.
 */
export class KvStore {
  constructor(
    private readonly tx: Queryable,
    private readonly installId: string,
  ) {}

  async get(key: string): Promise<JsonValue | undefined> {
    const { rows } = await this.tx.query<{ value: JsonValue }>('SELECT value FROM plugin_kv WHERE install_id = $1 AND key = $2', [this.installId, requireStorableKey(key)]);
    return rows[0]?.value;
  }

  /** Checks the value before claiming the idempotency key, so a refused value leaves the key unused. */
  async set(key: string, value: JsonValue, options: SetOptions): Promise<null> {
    requireStorableKey(key);
    const idempotencyKey = storableIdempotencyKey(options?.idempotencyKey, 2);
    const json = JSON.stringify(value ?? null);
    if (Buffer.byteLength(json) > MAX_VALUE_BYTES) throw new TkError('TK_VALIDATION', `a KV value is at most ${MAX_VALUE_BYTES} bytes of JSON`, { fault: 'plugin', path: '/1' });
    requireStorableValue(value, '/1');
    return this.once('set', [key, value], idempotencyKey, () => this.write(key, json, options?.memberId ?? null));
  }

  async delete(key: string, options: Options): Promise<null> {
    requireStorableKey(key);
    const idempotencyKey = storableIdempotencyKey(options?.idempotencyKey, 1);
    return this.once('delete', [key, options ?? null], idempotencyKey, async () => {
      await this.tx.query('DELETE FROM plugin_kv WHERE install_id = $1 AND key = $2', [this.installId, key]);
      return null;
    });
  }

  async increment(key: string, by: number, options: Options): Promise<number> {
    requireStorableKey(key);
    const idempotencyKey = storableIdempotencyKey(options?.idempotencyKey, 2);
    if (idempotencyKey !== undefined) return this.incrementOnce(key, by, idempotencyKey, kvRequestHash('increment', [key, by]));
    const { rows } = await this.tx.query<{ value: number }>(`${UPSERT_INCREMENT} RETURNING (value)::text::bigint AS value`, [this.installId, key, by]);
    if (!rows[0]) refuseIncrement(key);
    return Number(rows[0].value);
  }

  private async write(key: string, json: string, memberId: string | null): Promise<null> {
    await this.tx.query(
      `INSERT INTO plugin_kv (install_id, key, value, member_id) VALUES ($1, $2, $3::jsonb, $4)
       ON CONFLICT (install_id, key) DO UPDATE SET value = EXCLUDED.value, member_id = EXCLUDED.member_id, updated_at = now()`,
      [this.installId, key, json, memberId],
    );
    return null;
  }

  /**
   * `increment` with an idempotency key in one round trip (the hot path of event handlers): the key is
   * claimed, the value bumped and the result stored in one statement — or, when the key exists, its
   * first result returned (TK_CONFLICT if it was used for something else).
   */
  private async incrementOnce(key: string, by: number, idempotencyKey: string, requestHash: string): Promise<number> {
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
      throw new TkError('TK_CONFLICT', `idempotency key "${idempotencyKey}" was already used with a different increment`, {
        fault: 'plugin',
        hint: 'Use one idempotency key per change (e.g. the event id and what it changes), never the same key for two payloads.',
      });
    }
    return Number(row.existing_result);
  }

  /** Runs a mutation once per idempotency key, with the platform's idempotency record. */
  private async once(method: string, payload: unknown[], key: string | undefined, run: () => Promise<null>): Promise<null> {
    if (key === undefined) return run();
    const scope = { installId: this.installId, key };
    const claim = await claimIdempotencyKey(this.tx, { ...scope, requestHash: kvRequestHash(method, payload), what: method });
    if (!claim.claimed) return claim.result as null;
    const result = await run();
    await storeIdempotentResult(this.tx, scope, result);
    return result;
  }
}
