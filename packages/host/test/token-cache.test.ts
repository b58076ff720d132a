// Bearer tokens' principals cached per host process (auth/token-cache.ts, migration 110): two
// authenticators, each on its own connection pool and change feed, as two host processes would be. A
// revocation or a staff member's move made through one is seen by it on the next request and by the
// other by its notification, well inside the re-check bound; one whose notification is lost within the
// bound; a token the database does not know is never kept, so one issued a moment ago works at once.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../src/testing.js';
import { openDatabase, type Database } from '../src/platform/storage/database.js';
import { CachedAuthenticator, TOKEN_RECHECK_MS } from '../src/platform/auth/token-cache.js';
import { PrincipalTokens } from '../src/platform/auth/principal-tokens.js';
import { hash } from '../src/platform/auth/tokens.js';
import { Tenancy } from '../src/platform/tenancy/tenancy.js';

const MERCHANT = 'token-shop';
let test: TestDatabase;
let bDb: Database;
let a: CachedAuthenticator;
let b: CachedAuthenticator;
let principals: PrincipalTokens;

const bearer = (token: string) => `Bearer ${token}`;
/** The principal b answers for `token`, or the error code it refuses with. */
const fromB = (token: string) => b.authenticate(bearer(token)).then((p) => p, (error: { code: string }) => error.code);

/** Asks b until it answers `expected`, for at most `withinMs`. */
async function reachesB(token: string, expected: unknown, withinMs: number): Promise<void> {
  const started = performance.now();
  for (;;) {
    const answer = await fromB(token);
    try {
      expect(answer).toEqual(expected);
      return;
    } catch (error) {
      if (performance.now() - started > withinMs) throw error;
    }
    await sleep(5);
  }
}

beforeAll(async () => {
  test = await createTestDatabase();
  bDb = openDatabase(test.url);
  a = new CachedAuthenticator(test.db);
  b = new CachedAuthenticator(bDb);
  principals = new PrincipalTokens(test.db);
  const tenancy = new Tenancy(test.db);
  await tenancy.upsertTier({ id: 'standard', name: 'Standard' });
  await tenancy.upsertMerchant({ id: MERCHANT, name: 'Token shop', tierId: 'standard' });
  await tenancy.upsertStore({ id: 'ts-1', merchantId: MERCHANT, name: 'Store 1', channel: 'store' });
  await tenancy.upsertStore({ id: 'ts-2', merchantId: MERCHANT, name: 'Store 2', channel: 'store' });
  for (let waited = 0; !(test.db.changes.live && bDb.changes.live); waited += 10) {
    if (waited > 5_000) throw new Error('the change feeds did not connect');
    await sleep(10);
  }
});
afterAll(async () => {
  await bDb?.close();
  await test?.drop();
});

describe('cached token principals across host processes', () => {
  const notified = TOKEN_RECHECK_MS / 2;

  it('refuses a revoked token in the revoking process at once, and in the other by its notification', async () => {
    const issued = await principals.issue(MERCHANT, { role: 'store', storeId: 'ts-1' });
    const principal = { role: 'store', subjectId: 'ts-1', merchantId: MERCHANT, storeId: 'ts-1' };
    expect(await a.authenticate(bearer(issued.token))).toEqual(principal);
    expect(await fromB(issued.token)).toEqual(principal);
    await principals.revoke(MERCHANT, issued.id);
    await expect(a.authenticate(bearer(issued.token))).rejects.toMatchObject({ code: 'TK_UNAUTHORIZED' });
    await reachesB(issued.token, 'TK_UNAUTHORIZED', notified);
  });

  it('follows a staff member moved to another store', async () => {
    await principals.upsertStaff(MERCHANT, { id: 'guide-1', name: 'Guide', storeId: 'ts-1' });
    const issued = await principals.issue(MERCHANT, { role: 'staff', staffId: 'guide-1' });
    expect(await fromB(issued.token)).toMatchObject({ staffId: 'guide-1', storeId: 'ts-1' });
    await principals.upsertStaff(MERCHANT, { id: 'guide-1', name: 'Guide', storeId: 'ts-2' });
    expect(await a.authenticate(bearer(issued.token))).toMatchObject({ storeId: 'ts-2' });
    await reachesB(issued.token, expect.objectContaining({ staffId: 'guide-1', storeId: 'ts-2' }), notified);
  });

  it('refuses a token whose revocation notification was lost within the re-check bound, and not before a re-check', async () => {
    const issued = await principals.issue(MERCHANT, { role: 'integration', name: 'pos-main' });
    // An announced change first, so b's next lookup is read now and trusted for the bound.
    await principals.revoke(MERCHANT, (await principals.issue(MERCHANT, { role: 'integration', name: 'spare' })).id);
    await sleep(50);
    expect(await fromB(issued.token)).toMatchObject({ role: 'integration' });
    await test.db.transaction(async (tx) => {
      await tx.query('SET LOCAL session_replication_role = replica');
      await tx.query('UPDATE api_tokens SET revoked_at = now() WHERE token_hash = $1', [hash(issued.token)]);
    });
    // Trusted, so not read: were every request to ask, this would be refused.
    expect(await fromB(issued.token)).toMatchObject({ role: 'integration' });
    await reachesB(issued.token, 'TK_UNAUTHORIZED', TOKEN_RECHECK_MS + 2_000);
  });

  it('keeps no unknown token: one issued after a refusal works at once', async () => {
    const token = 'tk_merchant_issued-after-a-refusal-000000000';
    expect(await fromB(token)).toBe('TK_UNAUTHORIZED');
    await test.db.query("INSERT INTO api_tokens (token_hash, role, subject_id) VALUES ($1, 'merchant', $2)", [hash(token), MERCHANT]);
    expect(await fromB(token)).toEqual({ role: 'merchant', subjectId: MERCHANT, merchantId: MERCHANT });
    await expect(b.authenticate(undefined)).rejects.toMatchObject({ code: 'TK_UNAUTHORIZED' });
  });

  it('answers a copy: a caller that changes its principal changes nothing cached', async () => {
    const token = 'tk_merchant_issued-after-a-refusal-000000000';
    const first = await b.authenticate(bearer(token));
    first.merchantId = 'someone-else';
    expect((await b.authenticate(bearer(token))).merchantId).toBe(MERCHANT);
  });
});
