import { createHash, randomBytes } from 'node:crypto';
import { TkError } from '@tongkit/sdk';
import type { Queryable } from '../storage/database.js';
import type { Principal, Role } from './principal.js';

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Issues a bearer token for a role and subject. Only its sha256 is stored: the plaintext is returned
 * once, to be handed to the person (`tongkit login`).
 */
export async function issueToken(db: Queryable, role: Role, subjectId: string): Promise<string> {
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
  const { rows } = await db.query<{ role: Role; subject_id: string }>(
    'SELECT role, subject_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL',
    [hash(token)],
  );
  if (!rows[0]) throw new TkError('TK_UNAUTHORIZED', 'the token is unknown or revoked');
  return { role: rows[0].role, subjectId: rows[0].subject_id };
}
