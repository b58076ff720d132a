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

describe('an integration token (the merchant’s POS or ERP)', () => {
  const order = (id: string, extra: Record<string, unknown> = {}) => ({
    id,
    kind: 'goods',
    channel: 'store',
    storeId: 'pa-store1',
    lines: [{ sku: 'TEA-1', title: 'Tea', category: 'drinks', quantity: 2, unitPriceFen: 1_500 }],
    payments: [{ method: 'card', amountFen: 3_000 }],
    paidAt: '2026-11-25T08:00:00Z',
    ...extra,
  });
  let integration: { id: string; token: string };

  beforeAll(async () => {
    const issued = await ok(t.api(merchantA, 'POST', '/v1/tokens', { role: 'integration', name: 'pos-main' }), 201);
    expect(issued).toMatchObject({ role: 'integration', name: 'pos-main', storeId: null, staffId: null, revokedAt: null });
    expect(issued.token).toMatch(/^tk_integration_/);
    integration = issued;
  });

  it('records the merchant’s orders and refunds, which the merchant then reads as its own', async () => {
    const created = await ok(t.api(integration.token, 'POST', '/v1/orders', order('pos-1')), 201);
    expect(created).toMatchObject({ result: 'applied' });
    // The same order again from the till is a duplicate, not a second order.
    expect(await ok(t.api(integration.token, 'POST', '/v1/orders', order('pos-1')), 200)).toMatchObject({ result: 'duplicate' });
    const refund = await ok(t.api(integration.token, 'POST', '/v1/orders/pos-1/refunds', { refundId: 'pos-1-r1', refundedAt: '2026-11-26T08:00:00Z', amountFen: 1_000 }), 201);
    expect(refund).toMatchObject({ result: 'applied' });
    expect(await ok(t.api(merchantA, 'GET', '/v1/orders/pos-1'))).toMatchObject({ id: 'pos-1', storeId: 'pa-store1', refundedFen: 1_000 });
    expectError(await t.api(merchantB, 'GET', '/v1/orders/pos-1'), 404, 'TK_NOT_FOUND');
  });

  it('acts for its own merchant only: another merchant’s store or order is none, naming another merchant is refused', async () => {
    expectError(await t.api(integration.token, 'POST', '/v1/orders', order('pos-2', { storeId: 'pb-store1' })), 404, 'TK_NOT_FOUND', '/storeId');
    await ok(t.api(merchantB, 'POST', '/v1/orders', order('b-only', { storeId: 'pb-store1' })), 201);
    const foreign = expectError(await t.api(integration.token, 'POST', '/v1/orders/b-only/refunds', { refundId: 'r', refundedAt: '2026-11-26T08:00:00Z', amountFen: 1 }), 404, 'TK_NOT_FOUND');
    const none = expectError(await t.api(integration.token, 'POST', '/v1/orders/no-such/refunds', { refundId: 'r', refundedAt: '2026-11-26T08:00:00Z', amountFen: 1 }), 404, 'TK_NOT_FOUND');
    expect(foreign.message.replace('b-only', '<id>')).toBe(none.message.replace('no-such', '<id>'));
    expectError(await t.api(integration.token, 'POST', '/v1/orders?merchantId=principals-b', order('pos-3')), 403, 'TK_FORBIDDEN');
    const { rows } = await t.host.services.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM orders WHERE id IN ('pos-2', 'pos-3')`);
    expect(rows[0]!.n).toBe(0);
  });

  it('reaches nothing but orders in and refunds: reads, members, events, installs and tokens are refused', async () => {
    for (const [method, path, body] of [
      ['GET', '/v1/orders/pos-1', undefined],
      ['GET', '/v1/members/mem_00000000000000000000/orders', undefined],
      ['POST', '/v1/members', { channel: 'online' }],
      ['POST', '/v1/events', { type: 'points.changed', data: {} }],
      ['GET', '/v1/installs', undefined],
      ['GET', '/v1/tokens', undefined],
      ['POST', '/v1/tokens', { role: 'integration', name: 'escalate' }],
      ['GET', '/v1/stores/pa-store1', undefined],
    ] as const) {
      expectError(await t.api(integration.token, method, path, body), 403, 'TK_FORBIDDEN');
    }
  });

  it('is listed by name and revoked by the merchant: it stops working at once', async () => {
    const temporary = await ok(t.api(merchantA, 'POST', '/v1/tokens', { role: 'integration', name: 'erp nightly' }), 201);
    const listed = (await ok(t.api(merchantA, 'GET', '/v1/tokens'))).items as Array<{ id: string; role: string; name: string | null }>;
    expect(listed).toEqual(expect.arrayContaining([expect.objectContaining({ id: temporary.id, role: 'integration', name: 'erp nightly' })]));
    expect((await ok(t.api(merchantB, 'GET', '/v1/tokens'))).items.map((token: { id: string }) => token.id)).not.toContain(temporary.id);
    expectError(await t.api(merchantB, 'DELETE', `/v1/tokens/${temporary.id}`), 404, 'TK_NOT_FOUND');
    await ok(t.api(temporary.token, 'POST', '/v1/orders', order('erp-1')), 201);
    expect((await ok(t.api(merchantA, 'DELETE', `/v1/tokens/${temporary.id}`))).revokedAt).not.toBeNull();
    expectError(await t.api(temporary.token, 'POST', '/v1/orders', order('erp-2')), 401, 'TK_UNAUTHORIZED');
  });

  it('needs a name, and may not be signed in to the workbench', async () => {
    expectError(await t.api(merchantA, 'POST', '/v1/tokens', { role: 'integration' }), 400, 'TK_VALIDATION');
    expectError(await t.api(merchantA, 'POST', '/v1/tokens', { role: 'integration', name: '' }), 400, 'TK_VALIDATION');
    expectError(await t.api(integration.token, 'POST', '/v1/session', {}), 403, 'TK_FORBIDDEN');
  });
});
