import { createHash } from 'node:crypto';
import { TkError } from '@tongkit/sdk';
import type { Queryable } from '../../platform/storage/database.js';
import type { LedgerResult, LedgerSource } from './types.js';

const HINT = 'Use one idempotency key per change (e.g. the event id and what it changes), never the same key for two payloads.';

/** The scope of a source's keys: an install's keys never meet an operator's, nor another install's. */
export const scopeOf = (source: LedgerSource): string => `${source.kind}:${source.id}`;

/** What a key is bound to: the operation and its payload, as canonical JSON (keys sorted). */
export function requestHashOf(operation: string, payload: Record<string, unknown>): string {
  const canonical = JSON.stringify([operation, Object.fromEntries(Object.entries(payload).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1)))]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** A claimed key: {@link settle} stores the outcome under it, in the same transaction. */
export interface ClaimedKey {
  settle(result: LedgerResult): Promise<LedgerResult>;
}

/**
 * Claims `(merchant, scope, key)` for this request, first in the transaction (lock order 1). A concurrent
 * claim of the same key waits for this transaction and then finds the key taken. Returns the earlier
 * outcome as a `duplicate` when the key was used with the same payload; TK_CONFLICT with another.
 */
export async function claimKey(
  tx: Queryable,
  merchantId: string,
  source: LedgerSource,
  key: string,
  requestHash: string,
): Promise<{ duplicate: LedgerResult } | { claimed: ClaimedKey }> {
  const scope = scopeOf(source);
  const inserted = await tx.query(
    `INSERT INTO points_idempotency (merchant_id, scope, key, request_hash) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
    [merchantId, scope, key, requestHash],
  );
  if (inserted.rowCount === 1) {
    return {
      claimed: {
        async settle(result) {
          await tx.query('UPDATE points_idempotency SET result = $4 WHERE merchant_id = $1 AND scope = $2 AND key = $3', [merchantId, scope, key, result]);
          return result;
        },
      },
    };
  }
  const { rows } = await tx.query<{ request_hash: string; result: LedgerResult | null }>(
    'SELECT request_hash, result FROM points_idempotency WHERE merchant_id = $1 AND scope = $2 AND key = $3',
    [merchantId, scope, key],
  );
  const first = rows[0];
  if (!first || first.request_hash !== requestHash || !first.result) {
    throw new TkError('TK_CONFLICT', `idempotency key "${key}" was already used for a different points change`, { path: '/idempotencyKey', hint: HINT });
  }
  const { status, ...rest } = first.result;
  return { duplicate: { ...rest, status: 'duplicate', firstStatus: status === 'rejected' ? 'rejected' : 'applied' } };
}
