import { createHash } from 'node:crypto';
import { normalizeIP } from '@fastify/rate-limit';
import { TkError } from '@tongkit/sdk';
import { bearerTokenOf } from '../auth/tokens.js';

/** How many token hashes and client addresses the throttle remembers (oldest forgotten first). */
const REMEMBERED = 10_000;

/**
 * Who a request counts against, and the budget of failed token look-ups per client address.
 *
 * The per-credential request limit (@fastify/rate-limit) runs before authentication, so that a flood
 * costs no database query; it is keyed by {@link rateLimitKeyOf}: the hash of the bearer token, or the
 * client's address when there is no well-formed token. A made-up token would still get a bucket of its
 * own, so a flood of random tokens would cost one query each: the throttle also counts, per address, the
 * tokens that failed to authenticate. Past `max` failures in a window, the address may only use tokens
 * that have authenticated before (a good client behind the same address keeps working); any other token
 * is refused with TK_RATE_LIMITED without a look-up until the window ends.
 *
 * State is in memory, per host process, like the rate limit's own counters.
 */
export class CredentialThrottle {
  /** Hashes of tokens that authenticated, most recent last. A revoked token is forgotten on its next failure. */
  private readonly authenticated = new Map<string, true>();
  /** Failed authentications per client address in the current window. */
  private readonly failures = new Map<string, { count: number; windowEndsAt: number }>();

  constructor(private readonly limit: { max: number; timeWindowMs: number }) {}

  /** The rate limit's key of a request: the token's hash, or the client's address without a well-formed token. */
  rateLimitKeyOf(request: { headers: { authorization?: string | undefined }; ip: string }): string {
    const token = bearerTokenOf(request.headers.authorization);
    return token === undefined ? `ip:${normalizeIP(request.ip)}` : `token:${hashOf(token)}`;
  }

  /**
   * Call before looking a token up: throws TK_RATE_LIMITED (with `retryAfterS` in `details`) when the
   * client's address is past its failed-authentication budget and the token has not authenticated before.
   */
  checkBeforeLookup(authorization: string | undefined, ip: string, now = Date.now()): void {
    const failed = this.failures.get(normalizeIP(ip));
    if (!failed || failed.windowEndsAt <= now || failed.count <= this.limit.max) return;
    const token = bearerTokenOf(authorization);
    if (token !== undefined && this.authenticated.has(hashOf(token))) return;
    const retryAfterS = Math.max(1, Math.ceil((failed.windowEndsAt - now) / 1000));
    throw new TkError('TK_RATE_LIMITED', `more than ${this.limit.max} failed authentications in ${this.limit.timeWindowMs} ms from this address`, {
      hint: `Check the token (\`tongkit login\`); new tokens from this address are refused for ${retryAfterS} s.`,
      details: { limit: 'failedAuthentications', max: this.limit.max, retryAfterS },
    });
  }

  /** Records a token that authenticated: it stays usable from an address past its failure budget. */
  recordSuccess(authorization: string | undefined): void {
    const token = bearerTokenOf(authorization);
    if (token === undefined) return;
    const hash = hashOf(token);
    this.authenticated.delete(hash);
    this.authenticated.set(hash, true);
    forgetOldest(this.authenticated);
  }

  /**
   * Records a token that failed to authenticate against the client's address (and forgets it, if it had
   * worked before). A header without a well-formed token costs no look-up and is not counted: the rate
   * limit already keys it by address.
   */
  recordFailure(authorization: string | undefined, ip: string, now = Date.now()): void {
    const token = bearerTokenOf(authorization);
    if (token === undefined) return;
    this.authenticated.delete(hashOf(token));
    const address = normalizeIP(ip);
    const failed = this.failures.get(address);
    if (failed && failed.windowEndsAt > now) {
      failed.count += 1;
      return;
    }
    this.failures.delete(address);
    this.failures.set(address, { count: 1, windowEndsAt: now + this.limit.timeWindowMs });
    if (this.failures.size > REMEMBERED) {
      for (const [key, entry] of this.failures) if (entry.windowEndsAt <= now) this.failures.delete(key);
      forgetOldest(this.failures);
    }
  }
}

const hashOf = (token: string): string => createHash('sha256').update(token).digest('base64url');

/** Drops the oldest entries (a Map iterates in insertion order) until at most {@link REMEMBERED} are left. */
function forgetOldest(map: Map<string, unknown>): void {
  for (const key of map.keys()) {
    if (map.size <= REMEMBERED) return;
    map.delete(key);
  }
}
