import { createHash } from 'node:crypto';
import { TkError } from '@tongkit/sdk';
import type { Database, Queryable } from '../storage/database.js';

const IDEMPOTENCY_HINT = 'Use one idempotency key per change (e.g. the event id and what it changes), never the same key for two payloads.';

/** sha256 of a request as JSON: what an idempotency key is bound to. */
export function requestHashOf(request: unknown): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex');
}

/** `value` as JSON with object keys sorted: the same payload hashes alike whatever order the plugin wrote its keys in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}

/** What claiming an idempotency key found: a fresh claim, or the first call's stored result. */
export type IdempotencyClaim = { claimed: true } | { claimed: false; result: unknown };

/**
 * Claims `key` for (install, request) in `tx`. A key already claimed for the same request returns its
 * stored result; for another request it is TK_CONFLICT (`what` names the call in the message). A
 * concurrent claim of the same key waits for the other transaction (the primary key's lock) and then
 * sees its outcome, so two deliveries of one event never both apply.
 */
export async function claimIdempotencyKey(tx: Queryable, scope: { installId: string; key: string; requestHash: string; what: string }): Promise<IdempotencyClaim> {
  const claimed = await tx.query(`INSERT INTO idempotency_keys (install_id, key, request_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
    scope.installId,
    scope.key,
    scope.requestHash,
  ]);
  if (claimed.rowCount === 1) return { claimed: true };
  const { rows } = await tx.query<{ request_hash: string; result: unknown }>('SELECT request_hash, result FROM idempotency_keys WHERE install_id = $1 AND key = $2', [
    scope.installId,
    scope.key,
  ]);
  if (rows[0]?.request_hash !== scope.requestHash) {
    throw new TkError('TK_CONFLICT', `idempotency key "${scope.key}" was already used with a different ${scope.what}`, { fault: 'plugin', hint: IDEMPOTENCY_HINT });
  }
  return { claimed: false, result: rows[0].result };
}

/** Stores the result of a claimed key, returned to every later call with the same key and request. */
export async function storeIdempotentResult(tx: Queryable, scope: { installId: string; key: string }, result: unknown): Promise<void> {
  await tx.query('UPDATE idempotency_keys SET result = $3::jsonb WHERE install_id = $1 AND key = $2', [scope.installId, scope.key, JSON.stringify(result ?? null)]);
}

/** How a {@link runHostCall} ended: the change was made now, or an earlier call with the same key made it. */
export type HostCallOutcome<R> = { status: 'applied'; result: R } | { status: 'duplicate'; result: R };

/** How long a domain host call may wait for a row lock before it gives up (TK_CONFLICT, retried with the delivery). */
export const HOST_CALL_LOCK_TIMEOUT_MS = 2_000;

/**
 * Runs one mutating domain host call in its own short transaction with its idempotency record — the rule
 * for every domain module's `ctx` handler (never inside the dispatcher's batch transaction):
 *
 * - the key is scoped to (install, key); the idempotency record is locked first, then the domain's rows
 *   in the documented order (docs/architecture.md), and the transaction commits before the handler
 *   resumes, so no row lock outlives the call;
 * - the same key with the same payload is a `duplicate` returning the stored result (a rejected business
 *   outcome is a result too, so a retry sees the same rejection); with a different payload TK_CONFLICT;
 * - `apply` runs only for a fresh key, inside the transaction, and its result is stored with the key; it
 *   may be run again on a serialization failure, so it must have no effect outside the database.
 *
 * @example
 * const { status, result } = await runHostCall(call.db, { installId: call.installId, key, method: 'points.grant', payload: { memberId, points } },
 *   (tx) => ledger.grant(tx, call.merchantId, memberId, points));
 */
export async function runHostCall<R>(
  db: Database,
  record: { installId: string; key: string; method: string; payload: unknown },
  apply: (tx: Queryable) => Promise<R>,
): Promise<HostCallOutcome<R>> {
  const requestHash = requestHashOf(canonicalJson([record.method, record.payload]));
  try {
    return await db.transaction(async (tx) => {
    // A till holding a member's row must not stall a plugin's call for long, nor the other way round.
    await tx.query(`SET LOCAL lock_timeout = '${HOST_CALL_LOCK_TIMEOUT_MS}ms'`);
    const claim = await claimIdempotencyKey(tx, { installId: record.installId, key: record.key, requestHash, what: record.method });
    if (!claim.claimed) return { status: 'duplicate', result: claim.result as R };
    const result = await apply(tx);
    await storeIdempotentResult(tx, record, result);
    return { status: 'applied', result };
    });
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === '55P03') {
      throw new TkError('TK_CONFLICT', `${record.method} waited more than ${HOST_CALL_LOCK_TIMEOUT_MS} ms for rows another request holds`, {
        fault: 'platform',
        hint: 'Nothing was changed; the delivery is retried.',
      });
    }
    throw error;
  }
}
