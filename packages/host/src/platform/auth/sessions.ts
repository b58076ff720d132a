import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { TkError } from '@tongkit/sdk';
import type { Queryable } from '../storage/database.js';
import type { PlatformRole as Role, Principal } from './principal.js';
import { bearerTokenOf } from './tokens.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** How long a workbench session lasts from sign-in (absolute; default 8 hours: a working day). */
export const DEFAULT_SESSION_TTL_MS = 8 * 60 * 60 * 1000;

/** A signed-in workbench session as its owner sees it. */
export interface WorkbenchSession {
  role: Role;
  subjectId: string;
  /** Sent back in the `X-CSRF-Token` header of every state-changing request. */
  csrfToken: string;
  expiresAt: string;
}

/**
 * The CSRF token of a session: an HMAC of the session secret, so only a page that was told it (by the
 * sign-in answer or `GET /v1/session`, both same-origin reads) can send it; a cross-site form cannot.
 */
export function csrfTokenOf(secret: string): string {
  return createHmac('sha256', secret).update('tongkit-workbench-csrf').digest('base64url');
}

/** Whether `sent` is the session's CSRF token, compared in constant time. */
export function csrfMatches(secret: string, sent: string | undefined): boolean {
  if (sent === undefined) return false;
  const expected = Buffer.from(csrfTokenOf(secret));
  const given = Buffer.from(sent);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Opens a session for a bearer token that has just authenticated: returns the secret for the cookie
 * (shown once, only its hash is stored) and what the page may know of the session.
 */
// Store and staff tokens are scoped to a store or a staff member, which a session does not carry: the
// workbench signs in platform roles only (the sign-in route refuses the others before this).
export async function openSession(db: Queryable, authorization: string, ttlMs: number): Promise<{ secret: string; session: WorkbenchSession }> {
  const token = bearerTokenOf(authorization);
  if (token === undefined) throw new TkError('TK_UNAUTHORIZED', 'signing in needs `Authorization: Bearer <token>`');
  const secret = randomBytes(32).toString('base64url');
  const { rows } = await db.query<{ role: Role; subject_id: string; expires_at: Date }>(
    `WITH token AS (SELECT token_hash, role, subject_id FROM api_tokens WHERE token_hash = $2 AND revoked_at IS NULL AND role IN ('developer', 'reviewer', 'merchant', 'admin')),
          opened AS (INSERT INTO workbench_sessions (secret_hash, token_hash, expires_at)
                     SELECT $1, token_hash, now() + $3 * interval '1 millisecond' FROM token RETURNING expires_at)
     SELECT token.role, token.subject_id, opened.expires_at FROM token, opened`,
    [sha256(secret), sha256(token), ttlMs],
  );
  const row = rows[0];
  if (!row) throw new TkError('TK_UNAUTHORIZED', 'the token is unknown or revoked');
  return { secret, session: { role: row.role, subjectId: row.subject_id, csrfToken: csrfTokenOf(secret), expiresAt: row.expires_at.toISOString() } };
}

/** The live session of a cookie secret (not ended, not expired, its token not revoked), or undefined. */
export async function findSession(db: Queryable, secret: string): Promise<WorkbenchSession | undefined> {
  const { rows } = await db.query<{ role: Role; subject_id: string; expires_at: Date }>(
    `SELECT t.role, t.subject_id, s.expires_at FROM workbench_sessions s JOIN api_tokens t ON t.token_hash = s.token_hash
     WHERE s.secret_hash = $1 AND s.ended_at IS NULL AND s.expires_at > now() AND t.revoked_at IS NULL
       AND t.role IN ('developer', 'reviewer', 'merchant', 'admin')`,
    [sha256(secret)],
  );
  const row = rows[0];
  return row && { role: row.role, subjectId: row.subject_id, csrfToken: csrfTokenOf(secret), expiresAt: row.expires_at.toISOString() };
}

/** Ends a session (sign-out); ending an ended or unknown one changes nothing. */
export async function endSession(db: Queryable, secret: string): Promise<void> {
  await db.query('UPDATE workbench_sessions SET ended_at = now() WHERE secret_hash = $1 AND ended_at IS NULL', [sha256(secret)]);
}

/** Methods that change nothing: the only ones a session may use without its CSRF token. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The principal of a session cookie, for a route that needs one. A state-changing request must carry the
 * session's CSRF token in `X-CSRF-Token`: the cookie alone (which a browser attaches by itself) is never
 * enough to change anything.
 */
export async function authenticateSession(db: Queryable, secret: string, request: { method: string; csrfHeader: string | undefined }): Promise<Principal> {
  const session = await findSession(db, secret);
  if (!session) {
    throw new TkError('TK_UNAUTHORIZED', 'the workbench session has ended or expired', { hint: 'Sign in again.' });
  }
  if (!SAFE_METHODS.has(request.method) && !csrfMatches(secret, request.csrfHeader)) {
    throw new TkError('TK_FORBIDDEN', `a ${request.method} request from a workbench session needs its CSRF token`, {
      hint: 'Send the csrfToken of GET /v1/session in the X-CSRF-Token header (the workbench does).',
    });
  }
  return { role: session.role, subjectId: session.subjectId };
}
