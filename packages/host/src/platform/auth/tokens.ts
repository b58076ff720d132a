import { createHash, randomBytes } from 'node:crypto';
import { TkError } from '@tongkit/sdk';
import type { Queryable } from '../storage/database.js';
import type { PlatformRole, Principal, Role } from './principal.js';

export const hash = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Issues a bearer token for a role and subject. Only its sha256 is stored: the plaintext is returned
 * once, to be handed to the person (`tongkit login`).
 */
export async function issueToken(db: Queryable, role: PlatformRole, subjectId: string): Promise<string> {
  const token = `tk_${role}_${randomBytes(24).toString('base64url')}`;
  await db.query('INSERT INTO api_tokens (token_hash, role, subject_id) VALUES ($1, $2, $3)', [hash(token), role, subjectId]);
  return token;
}

/**
 * The bearer token of an `Authorization` header (`Bearer` in any case, any whitespace). The one reading
 * of the header: the rate limit must key on the same credential the host authenticates.
 */
export function bearerTokenOf(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
}

/** The principal of a bearer token; TK_UNAUTHORIZED when missing, unknown or revoked. */
export async function authenticate(db: Queryable, authorization: string | undefined): Promise<Principal> {
  const token = bearerTokenOf(authorization);
  if (token === undefined) throw new TkError('TK_UNAUTHORIZED', 'this request needs `Authorization: Bearer <token>`');
  const { rows } = await db.query<{ role: Role; subject_id: string; merchant_id: string | null; store_id: string | null; staff_id: string | null; staff_store_id: string | null }>(
    `SELECT t.role, t.subject_id, t.merchant_id, t.store_id, t.staff_id, s.store_id AS staff_store_id
     FROM api_tokens t LEFT JOIN staff s ON s.merchant_id = t.merchant_id AND s.id = t.staff_id
     WHERE t.token_hash = $1 AND t.revoked_at IS NULL`,
    [hash(token)],
  );
  const row = rows[0];
  if (!row) throw new TkError('TK_UNAUTHORIZED', 'the token is unknown or revoked');
  const principal: Principal = { role: row.role, subjectId: row.subject_id };
  if (row.role === 'merchant') principal.merchantId = row.subject_id;
  if (row.merchant_id !== null) principal.merchantId = row.merchant_id;
  if (row.store_id !== null) principal.storeId = row.store_id;
  if (row.staff_id !== null) {
    principal.staffId = row.staff_id;
    if (row.staff_store_id !== null) principal.storeId = row.staff_store_id;
  }
  return principal;
}
