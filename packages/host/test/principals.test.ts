// Store and staff principals: a merchant issues tokens to one of its stores or staff members, and
// revokes them; each route declares the roles it accepts and how the resource's tenant is resolved, so
// a store token reaches only its store, a staff token only itself — and what it may not see answers
// exactly like what does not exist.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant, expectError, ok, startTestHost, type TestHost } from './helpers.js';

let t: TestHost;
let merchantA: string;
let merchantB: string;
let storeToken: string;
let staffToken: string;
let storeTokenId: string;

beforeAll(async () => {
  t = await startTestHost();
  merchantA = await createMerchant(t, 'principals-a', { stores: ['pa-store1', 'pa-store2'] });
  merchantB = await createMerchant(t, 'principals-b', { stores: ['pb-store1'] });
  await ok(t.api(merchantA, 'POST', '/v1/staff', { id: 'guide-1', name: 'Guide one', storeId: 'pa-store1' }));
  await ok(t.api(merchantA, 'POST', '/v1/staff', { id: 'guide-2', name: 'Guide two' }));
  const issued = await ok(t.api(merchantA, 'POST', '/v1/tokens', { role: 'store', storeId: 'pa-store1' }), 201);
  expect(issued).toMatchObject({ role: 'store', storeId: 'pa-store1', staffId: null, revokedAt: null });
  expect(issued.token).toMatch(/^tk_store_/);
  storeToken = issued.token;
  storeTokenId = issued.id;
  staffToken = (await ok(t.api(merchantA, 'POST', '/v1/tokens', { role: 'staff', staffId: 'guide-1' }), 201)).token;
});

afterAll(async () => {
  await t?.close();
});

describe('a store token', () => {
  it('reads its own store', async () => {
    expect(await ok(t.api(storeToken, 'GET', '/v1/stores/pa-store1'))).toEqual({ id: 'pa-store1', name: 'Store pa-store1', channel: 'store' });
  });

  it('gets another store of its merchant, or another merchant’s, answered exactly like one that does not exist', async () => {
    const sibling = expectError(await t.api(storeToken, 'GET', '/v1/stores/pa-store2'), 404, 'TK_NOT_FOUND');
    const foreign = expectError(await t.api(storeToken, 'GET', '/v1/stores/pb-store1'), 404, 'TK_NOT_FOUND');
    const missing = expectError(await t.api(merchantA, 'GET', '/v1/stores/pa-nothing'), 404, 'TK_NOT_FOUND');
    expect(sibling.message).toBe('no store pa-store2');
    expect(foreign.message).toBe('no store pb-store1');
    expect(missing.message).toBe('no store pa-nothing');
    expect(expectError(await t.api(storeToken, 'GET', '/v1/stores/pa-store1?merchantId=principals-b'), 404, 'TK_NOT_FOUND').message).toBe('no store pa-store1');
  });

  it('is refused by every route that does not declare store tokens', async () => {
    for (const [method, path] of [['GET', '/v1/installs'], ['GET', '/v1/tokens'], ['POST', '/v1/events'], ['GET', '/v1/staff/guide-1']] as const) {
      expectError(await t.api(storeToken, method, path, method === 'POST' ? { type: 'order.paid', data: {} } : undefined), 403, 'TK_FORBIDDEN');
    }
  });
});

describe('a staff token', () => {
  it('sees itself and the store it works at, and no other staff member or store', async () => {
    expect(await ok(t.api(staffToken, 'GET', '/v1/staff/guide-1'))).toEqual({ id: 'guide-1', name: 'Guide one', storeId: 'pa-store1' });
    expect(await ok(t.api(staffToken, 'GET', '/v1/stores/pa-store1'))).toMatchObject({ id: 'pa-store1' });
    expect(expectError(await t.api(staffToken, 'GET', '/v1/staff/guide-2'), 404, 'TK_NOT_FOUND').message).toBe(
      expectError(await t.api(merchantA, 'GET', '/v1/staff/guide-9'), 404, 'TK_NOT_FOUND').message.replace('guide-9', 'guide-2'),
    );
    expectError(await t.api(staffToken, 'GET', '/v1/stores/pa-store2'), 404, 'TK_NOT_FOUND');
  });
});

describe('the merchant', () => {
  it('lists its tokens without their secrets, and revokes one: the token stops working at once', async () => {
    const temporary = await ok(t.api(merchantA, 'POST', '/v1/tokens', { role: 'store', storeId: 'pa-store2' }), 201);
    await ok(t.api(temporary.token, 'GET', '/v1/stores/pa-store2'));
    const listed = (await ok(t.api(merchantA, 'GET', '/v1/tokens'))).items as Array<Record<string, unknown>>;
    expect(listed.map((token) => token['id'])).toEqual(expect.arrayContaining([storeTokenId, temporary.id]));
    expect(listed.every((token) => !('token' in token))).toBe(true);
    const revoked = await ok(t.api(merchantA, 'DELETE', `/v1/tokens/${temporary.id}`));
    expect(revoked.revokedAt).not.toBeNull();
    expectError(await t.api(temporary.token, 'GET', '/v1/stores/pa-store2'), 401, 'TK_UNAUTHORIZED');
    // Revoking again changes nothing.
    expect((await ok(t.api(merchantA, 'DELETE', `/v1/tokens/${temporary.id}`))).revokedAt).toBe(revoked.revokedAt);
  });

  it('cannot issue tokens for another merchant’s store or staff, see its tokens, or revoke them', async () => {
    expectError(await t.api(merchantB, 'POST', '/v1/tokens', { role: 'store', storeId: 'pa-store1' }), 404, 'TK_NOT_FOUND', '/storeId');
    expectError(await t.api(merchantB, 'POST', '/v1/tokens', { role: 'staff', staffId: 'guide-1' }), 404, 'TK_NOT_FOUND', '/staffId');
    expect((await ok(t.api(merchantB, 'GET', '/v1/tokens'))).items).toEqual([]);
    expectError(await t.api(merchantB, 'DELETE', `/v1/tokens/${storeTokenId}`), 404, 'TK_NOT_FOUND');
    expectError(await t.api(merchantB, 'GET', '/v1/tokens?merchantId=principals-a'), 403, 'TK_FORBIDDEN');
    await ok(t.api(storeToken, 'GET', '/v1/stores/pa-store1'));
  });

  it('names its staff members’ store among its own stores only', async () => {
    expectError(await t.api(merchantB, 'POST', '/v1/staff', { id: 'spy', name: 'Spy', storeId: 'pa-store1' }), 404, 'TK_NOT_FOUND', '/storeId');
  });

  it('lets an admin act for a merchant it names, and only then', async () => {
    expectError(await t.api(t.host.tokens.admin, 'GET', '/v1/tokens'), 400, 'TK_VALIDATION');
    expect((await ok(t.api(t.host.tokens.admin, 'GET', '/v1/tokens?merchantId=principals-a'))).items.length).toBeGreaterThan(0);
  });
});
