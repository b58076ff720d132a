// Attacks on the tier routes over HTTP (PUT/GET /v1/tiers, GET /v1/members/:id/tier-history, the tier
// on GET /v1/members/:id): another merchant's member and ladder, malformed ladders (TK_VALIDATION with
// the JSON path), roles that may not set a merchant's ladder, and a member that does not exist.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant, expectError, ok, startTestHost, type TestHost } from './helpers.js';

let t: TestHost;
let acme: string;
let globex: string;
let memberId: string;
const LADDER = { tiers: [{ id: 'regular', name: '普通会员', rank: 0 }, { id: 'gold', name: '金卡', rank: 5 }], validityMonths: 12, downgradeProtectionDays: 7 };

beforeAll(async () => {
  t = await startTestHost({ runtime: { isolation: 'in-process' } });
  acme = await createMerchant(t, 'acme');
  globex = await createMerchant(t, 'globex');
  memberId = (await ok(t.api(acme, 'POST', '/v1/members', { channel: 'online' }), 201)).memberId;
});
afterAll(() => t.close());

describe('the ladder', () => {
  it('is set and read back by its merchant, with a revision that grows', async () => {
    expect(await ok(t.api(acme, 'PUT', '/v1/tiers', LADDER))).toMatchObject({ ...LADDER, revision: 1 });
    expect(await ok(t.api(acme, 'PUT', '/v1/tiers', LADDER))).toMatchObject({ revision: 2 });
    expect(await ok(t.api(acme, 'GET', '/v1/tiers'))).toMatchObject(LADDER);
  });

  it('is another merchant’s own: globex has none, and setting one leaves acme’s alone', async () => {
    expectError(await t.api(globex, 'GET', '/v1/tiers'), 404, 'TK_NOT_FOUND');
    await ok(t.api(globex, 'PUT', '/v1/tiers', { tiers: [{ id: 'basic', name: 'Basic', rank: 0 }] }));
    expect((await ok(t.api(acme, 'GET', '/v1/tiers'))).tiers.map((tier: { id: string }) => tier.id)).toEqual(['regular', 'gold']);
    // A merchant token cannot name another merchant.
    expect([403, 404]).toContain((await t.api(acme, 'GET', '/v1/tiers?merchantId=globex')).status);
  });

  it('refuses malformed ladders with the JSON path of what is wrong', async () => {
    expectError(await t.api(acme, 'PUT', '/v1/tiers', { tiers: [] }), 400, 'TK_VALIDATION', '/tiers');
    expectError(await t.api(acme, 'PUT', '/v1/tiers', { tiers: [{ id: 'a b', name: 'A', rank: 0 }] }), 400, 'TK_VALIDATION', '/tiers/0/id');
    expectError(await t.api(acme, 'PUT', '/v1/tiers', { tiers: [{ id: 'a', name: 'A', rank: '1' }] }), 400, 'TK_VALIDATION', '/tiers/0/rank');
    expectError(await t.api(acme, 'PUT', '/v1/tiers', { tiers: [{ id: 'a', name: 'A', rank: 0 }], validityMonths: 0 }), 400, 'TK_VALIDATION', '/validityMonths');
    expectError(await t.api(acme, 'PUT', '/v1/tiers', { tiers: [{ id: 'a', name: 'A', rank: 0 }], downgradeProtectionDays: -1 }), 400, 'TK_VALIDATION', '/downgradeProtectionDays');
    expectError(await t.api(acme, 'PUT', '/v1/tiers', { tiers: [{ id: 'a', name: 'A', rank: 0 }, { id: 'a', name: 'B', rank: 1 }] }), 400, 'TK_VALIDATION', '/tiers/1/id');
    expectError(await t.api(acme, 'PUT', '/v1/tiers', { tiers: [{ id: 'a', name: 'A', rank: 3 }, { id: 'b', name: 'B', rank: 3 }] }), 400, 'TK_VALIDATION', '/tiers/1/rank');
    expectError(await t.api(acme, 'PUT', '/v1/tiers', { ...LADDER, extra: true }), 400, 'TK_VALIDATION');
    // None of them replaced the ladder.
    expect(await ok(t.api(acme, 'GET', '/v1/tiers'))).toMatchObject({ ...LADDER, revision: 2 });
  });

  it('is not a developer’s or a reviewer’s to set', async () => {
    for (const token of [t.host.tokens.developer, t.host.tokens.reviewer]) {
      expect((await t.api(token, 'PUT', '/v1/tiers', LADDER)).status).toBe(403);
    }
    expect((await t.api(undefined, 'PUT', '/v1/tiers', LADDER)).status).toBe(401);
  });
});

describe('members’ tiers', () => {
  it('shows the entry tier on a member read before any decision', async () => {
    const member = await ok(t.api(acme, 'GET', `/v1/members/${memberId}`));
    expect(member.tier).toEqual({ tierId: 'regular', name: '普通会员', rank: 0, assigned: false, since: null, expiresAt: null, protectedUntil: null });
    expect((await ok(t.api(acme, 'GET', `/v1/members/${memberId}/tier-history`))).items).toEqual([]);
  });

  it('answers another merchant’s member exactly like one that does not exist', async () => {
    const foreign = expectError(await t.api(globex, 'GET', `/v1/members/${memberId}/tier-history`), 404, 'TK_NOT_FOUND', '/params/id');
    expect(foreign.message).toBe(`no member ${memberId}`);
    expect(expectError(await t.api(acme, 'GET', '/v1/members/mem_nobody/tier-history'), 404, 'TK_NOT_FOUND', '/params/id').message).toBe('no member mem_nobody');
    expectError(await t.api(globex, 'GET', `/v1/members/${memberId}`), 404, 'TK_NOT_FOUND');
  });

  it('refuses a malformed history cursor at its path', async () => {
    expectError(await t.api(acme, 'GET', `/v1/members/${memberId}/tier-history?after=x'--`), 400, 'TK_VALIDATION', '/querystring/after');
    expectError(await t.api(acme, 'GET', `/v1/members/${memberId}/tier-history?limit=0`), 400, 'TK_VALIDATION', '/querystring/limit');
  });
});
