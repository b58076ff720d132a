import type { Database } from '../storage/database.js';
import type { Principal } from './principal.js';
import { authenticate, bearerTokenOf, hash } from './tokens.js';

/** The channel migration 110's triggers announce a token's revocation (or a staff member's move) on. */
export const TOKENS_CHANNEL = 'tk_tokens';

/**
 * How long a host trusts a token's cached principal without asking the database, when no change was
 * announced: the bound on a revocation whose notification was lost. While the change feed is down,
 * every request asks, as if this were 0.
 */
export const TOKEN_RECHECK_MS = 1_000;

/** Tokens whose principal is kept; past it the oldest is dropped (a Map keeps insertion order). */
const MAX_TOKENS = 10_000;

interface CachedPrincipal {
  principal: Readonly<Principal>;
  checkedAt: number;
  epoch: number;
}

/**
 * {@link authenticate} with the principals of known tokens kept in process: a request with a token
 * seen in the last second costs no query. Only tokens the database accepted are kept (an unknown one
 * is asked each time, so guessing fills nothing, and a token issued a moment ago works at once). A
 * revocation, a staff member moved to another store or a deleted token is announced on
 * {@link TOKENS_CHANNEL} at commit and every host forgets all it held (they are rare); the writer
 * announces it in its own process after its commit too (see {@link announceTokenChange}).
 */
export class CachedAuthenticator {
  private readonly principals = new Map<string, CachedPrincipal>();
  /** Counts announcements: a lookup that one overtook is not kept (its answer may predate the change). */
  private changesSeen = 0;

  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {
    db.changes.on(TOKENS_CHANNEL, () => {
      this.changesSeen++;
      this.principals.clear();
    });
  }

  /** The principal of an `Authorization` header; TK_UNAUTHORIZED when missing, unknown or revoked. */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    const token = bearerTokenOf(authorization);
    const key = token === undefined ? undefined : hash(token);
    const feed = this.db.changes;
    const cached = key === undefined ? undefined : this.principals.get(key);
    if (cached && feed.live && cached.epoch === feed.epoch && this.now() - cached.checkedAt < TOKEN_RECHECK_MS) return { ...cached.principal };
    const epoch = feed.epoch;
    const seen = this.changesSeen;
    const checkedAt = this.now();
    const principal = await authenticate(this.db, authorization);
    if (key !== undefined && this.changesSeen === seen && feed.epoch === epoch) {
      this.principals.delete(key);
      if (this.principals.size >= MAX_TOKENS) this.principals.delete(this.principals.keys().next().value!);
      this.principals.set(key, { principal: Object.freeze({ ...principal }), checkedAt, epoch });
    }
    return principal;
  }
}

/** Tells this process's authenticator that a token or a staff member changed: called by the writer after its commit. */
export function announceTokenChange(db: Database): void {
  db.changes.announce(TOKENS_CHANNEL, '');
}
