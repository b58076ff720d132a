import { createHash } from 'node:crypto';
import { TkError } from '@tongkit/sdk';
import type { Queryable } from '../storage/database.js';

const MAX_KEY = 256;
const MAX_VALUE_BYTES = 64 * 1024;

function requireKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY) {
    throw new TkError('TK_VALIDATION', `a KV key is a string of 1–${MAX_KEY} characters`, { fault: 'plugin' });
  }
  return key;
}

function idempotencyKeyOf(options: unknown): string | undefined {
  if (options === undefined || options === null) return undefined;
  const key = (options as { idempotencyKey?: unknown }).idempotencyKey;
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || key.length === 0 || key.length > 256) {
    throw new TkError('TK_VALIDATION', 'an idempotency key is a string of 1–256 characters', { fault: 'plugin' });
  }
  return key;
}

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
        return this.once('set', args, idempotencyKeyOf(args[2]), () => this.set(requireKey(args[0]), args[1]));
      case 'delete':
        return this.once('delete', args, idempotencyKeyOf(args[1]), () => this.delete(requireKey(args[0])));
      case 'increment':
        return this.once('increment', args, idempotencyKeyOf(args[2]), () => this.increment(requireKey(args[0]), args[1]));
      default:
        throw new TkError('TK_NOT_FOUND', `ctx.kv has no method ${method}`, { fault: 'plugin' });
    }
  }

  private async get(key: string): Promise<unknown> {
    const { rows } = await this.tx.query<{ value: unknown }>('SELECT value FROM plugin_kv WHERE install_id = $1 AND key = $2', [this.installId, key]);
    return rows[0]?.value;
  }

  private async set(key: string, value: unknown): Promise<null> {
    const json = JSON.stringify(value ?? null);
    if (Buffer.byteLength(json) > MAX_VALUE_BYTES) throw new TkError('TK_VALIDATION', `a KV value is at most ${MAX_VALUE_BYTES} bytes of JSON`, { fault: 'plugin' });
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
    if (typeof by !== 'number' || !Number.isSafeInteger(by)) throw new TkError('TK_VALIDATION', 'kv.increment adds an integer', { fault: 'plugin' });
    const { rows } = await this.tx.query<{ value: number }>(
      `INSERT INTO plugin_kv (install_id, key, value) VALUES ($1, $2, to_jsonb($3::bigint))
       ON CONFLICT (install_id, key) DO UPDATE
         SET value = to_jsonb((CASE WHEN jsonb_typeof(plugin_kv.value) = 'number' THEN (plugin_kv.value)::text::bigint ELSE 0 END) + $3::bigint),
             updated_at = now()
       RETURNING (value)::text::bigint AS value`,
      [this.installId, key, by],
    );
    return Number(rows[0]!.value);
  }

  /** Runs a mutation once per idempotency key. */
  private async once(method: string, args: unknown[], key: string | undefined, run: () => Promise<unknown>): Promise<unknown> {
    if (key === undefined) return run();
    const requestHash = createHash('sha256').update(JSON.stringify([method, args.slice(0, 2)])).digest('hex');
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
        throw new TkError('TK_CONFLICT', `idempotency key "${key}" was already used with a different ${method}`, { fault: 'plugin' });
      }
      return rows[0].result;
    }
    const result = await run();
    await this.tx.query('UPDATE idempotency_keys SET result = $3::jsonb WHERE install_id = $1 AND key = $2', [this.installId, key, JSON.stringify(result ?? null)]);
    return result;
  }
}
