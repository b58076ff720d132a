// 会员通 over HTTP: orders, refunds, members and binding, each route tenant-scoped; PII never leaks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeveloper, createMerchant, expectError, ok, startTestHost, type TestHost } from './helpers.js';

let t: TestHost;
let acme: string;
let globex: string;
beforeAll(async () => {
  t = await startTestHost({ runtime: { isolation: 'in-process' } });
  acme = await createMerchant(t, 'acme');
  globex = await createMerchant(t, 'globex');
});
afterAll(() => t.close());

const consent = { textVersion: 'v1', consentedAt: '2026-11-20T10:00:00Z' };
const phone = '13912345678';

const orderBody = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  kind: 'goods',
  channel: 'store',
  storeId: 'acme-store1',
  lines: [{ sku: 'sofa', title: 'Sofa', category: 'furniture', quantity: 1, unitPriceFen: 100_000 }],
  payments: [
    { method: 'card', amountFen: 90_000 },
    { method: 'voucher', amountFen: 10_000 },
  ],
  paidAt: '2026-11-25T08:00:00Z',
  ...extra,
});

describe('orders API', () => {
  let memberId: string;
  beforeAll(async () => {
    const bound = await ok(t.api(acme, 'POST', '/v1/members/bind', { crmMemberId: 'crm-7', phone, consent }), 201);
    memberId = bound.memberId;
  });

  it('creates an order for a bound member by CRM ID (201), answers a resend as a duplicate (200)', async () => {
    const created = await ok(t.api(acme, 'POST', '/v1/orders', orderBody('A-1', { member: { crmMemberId: 'crm-7' } })), 201);
    expect(created).toMatchObject({ result: 'applied', order: { id: 'A-1', memberId, totalFen: 100_000, spendFen: 90_000, status: 'paid', paidOn: '2026-11-25' } });
    const again = await ok(t.api(acme, 'POST', '/v1/orders', orderBody('A-1', { member: { crmMemberId: 'crm-7' } })), 200);
    expect(again.result).toBe('duplicate');
    expectError(await t.api(acme, 'POST', '/v1/orders', orderBody('A-1')), 409, 'TK_CONFLICT', '/id');
  });

  it('refuses tenders that do not add up with the JSON path', async () => {
    const error = expectError(await t.api(acme, 'POST', '/v1/orders', orderBody('A-2', { payments: [{ method: 'cash', amountFen: 99_999 }] })), 400, 'TK_VALIDATION', '/payments');
    expect(error.details).toMatchObject({ totalFen: 100_000, tendersFen: 99_999 });
    expectError(await t.api(acme, 'POST', '/v1/orders', orderBody('A-3', { payments: [{ method: 'gold', amountFen: 100_000 }] })), 400, 'TK_VALIDATION', '/payments/0/method');
  });

  it('refunds, pages a member’s orders, and reads an order', async () => {
    await ok(t.api(acme, 'POST', '/v1/orders', orderBody('A-4', { member: { id: memberId }, paidAt: '2026-11-26T08:00:00Z' })), 201);
    const refund = await ok(t.api(acme, 'POST', '/v1/orders/A-4/refunds', { refundId: 'R-1', amountFen: 50_001, refundedAt: '2026-11-27T00:00:00Z' }), 201);
    expect(refund).toMatchObject({ result: 'applied', code: 'REFUNDED', refund: { amountFen: 50_001, spendFen: 45_001 }, order: { status: 'partially_refunded' } });
    const over = await ok(t.api(acme, 'POST', '/v1/orders/A-4/refunds', { refundId: 'R-2', amountFen: 50_000, refundedAt: '2026-11-27T00:00:00Z' }), 200);
    expect(over).toMatchObject({ result: 'rejected', code: 'REFUND_EXCEEDS_PAID' });
    const first = await ok(t.api(acme, 'GET', `/v1/members/${memberId}/orders?limit=1`));
    expect(first.items.map((o: { id: string }) => o.id)).toEqual(['A-4']);
    const second = await ok(t.api(acme, 'GET', `/v1/members/${memberId}/orders?limit=1&cursor=${first.nextCursor}`));
    expect(second).toMatchObject({ items: [{ id: 'A-1' }], nextCursor: null });
    expect((await ok(t.api(acme, 'GET', '/v1/orders/A-4'))).refunds).toHaveLength(1);
  });

  it('answers another merchant’s order and member with TK_NOT_FOUND on every route', async () => {
    expectError(await t.api(globex, 'GET', '/v1/orders/A-1'), 404, 'TK_NOT_FOUND');
    expectError(await t.api(globex, 'POST', '/v1/orders/A-1/refunds', { refundId: 'R-9', refundedAt: '2026-11-27T00:00:00Z' }), 404, 'TK_NOT_FOUND');
    expectError(await t.api(globex, 'GET', `/v1/members/${memberId}`), 404, 'TK_NOT_FOUND');
    expectError(await t.api(globex, 'GET', `/v1/members/${memberId}/pii`), 404, 'TK_NOT_FOUND');
    expectError(await t.api(globex, 'GET', `/v1/members/${memberId}/orders`), 404, 'TK_NOT_FOUND');
    expectError(await t.api(globex, 'DELETE', `/v1/members/${memberId}`), 404, 'TK_NOT_FOUND');
    expectError(await t.api(globex, 'POST', '/v1/members/unbind', { memberId }), 404, 'TK_NOT_FOUND', '/memberId');
    expectError(await t.api(globex, 'POST', '/v1/orders', { ...orderBody('G-1'), storeId: 'acme-store1' }), 404, 'TK_NOT_FOUND', '/storeId');
    expectError(await t.api(globex, 'POST', '/v1/orders', { ...orderBody('G-2'), storeId: 'globex-store1', member: { id: memberId } }), 404, 'TK_NOT_FOUND', '/member/id');
    expectError(await t.api(globex, 'POST', '/v1/orders', { ...orderBody('G-3'), storeId: 'globex-store1', member: { crmMemberId: 'crm-7' } }), 404, 'TK_NOT_FOUND', '/member/crmMemberId');
  });

  it('is for merchants: a developer token is refused', async () => {
    const developer = await createDeveloper(t, 'dev-orders');
    expectError(await t.api(developer, 'GET', '/v1/orders/A-1'), 403, 'TK_FORBIDDEN');
    expectError(await t.api(developer, 'POST', '/v1/members', { channel: 'online' }), 403, 'TK_FORBIDDEN');
  });
});

describe('members API', () => {
  it('refuses a binding without consent, with its stable code', async () => {
    const res = await ok(t.api(acme, 'POST', '/v1/members/bind', { crmMemberId: 'crm-8', phone: '13900000001' }), 200);
    expect(res).toEqual({ result: 'rejected', code: 'CONSENT_MISSING', memberId: null, registered: false });
  });

  it('returns personal data only on its own route; nothing else the host stored holds the phone', async () => {
    const registered = await ok(t.api(acme, 'POST', '/v1/members', { channel: 'online', pii: { phone: '13900000002', name: '赵六' } }), 201);
    const member = await ok(t.api(acme, 'GET', `/v1/members/${registered.memberId}`));
    expect(JSON.stringify(member)).not.toMatch(/13900000002|赵六/);
    expect(await ok(t.api(acme, 'GET', `/v1/members/${registered.memberId}/pii`))).toMatchObject({ phone: '+8613900000002', name: '赵六' });
    await ok(t.api(acme, 'POST', '/v1/members/bind', { crmMemberId: 'crm-9', phone: '13900000002', consent }), 201);
    // Scan everything plugins could be handed or shown: events (their inputs), invocations, logs.
    await t.host.services.extensions.flushLog();
    const { rows } = await t.host.services.db.query<{ text: string }>(
      `SELECT coalesce((SELECT string_agg(data::text, ' ') FROM events), '') || coalesce((SELECT string_agg(coalesce(input::text, ''), ' ') FROM invocations), '')
         || coalesce((SELECT string_agg(message || coalesce(data::text, ''), ' ') FROM plugin_logs), '') AS text`,
    );
    expect(rows[0]!.text).not.toMatch(/13912345678|13900000002|赵六/);
  });

  it('deletes a member: 200 DELETED, then ALREADY_DELETED', async () => {
    const { memberId } = await ok(t.api(acme, 'POST', '/v1/members', { channel: 'online' }), 201);
    expect(await ok(t.api(acme, 'DELETE', `/v1/members/${memberId}`))).toMatchObject({ result: 'applied', code: 'DELETED' });
    expect(await ok(t.api(acme, 'DELETE', `/v1/members/${memberId}`))).toMatchObject({ result: 'duplicate', code: 'ALREADY_DELETED' });
  });

  it('refuses to delete a member who prepaid for service stages not yet done, saying what to do; once refunded, deletes', async () => {
    // A development merchant: the fake payment provider pays the stage.
    const dev = await createMerchant(t, 'prepaid-dev', { development: true });
    const { memberId } = await ok(t.api(dev, 'POST', '/v1/members', { channel: 'online' }), 201);
    const order = { ...orderBody('svc-prepaid', { member: { id: memberId }, storeId: 'prepaid-dev-store1' }), kind: 'service', lines: [{ sku: 'kitchen', title: 'Kitchen', category: 'furniture', quantity: 1, unitPriceFen: 20_000 }], payments: [{ method: 'card', amountFen: 20_000 }] };
    await ok(t.api(dev, 'POST', '/v1/orders', order), 201);
    await ok(t.api(dev, 'POST', '/v1/service-orders', { orderId: 'svc-prepaid' }), 201);
    const { intentId } = await ok(t.api(dev, 'POST', '/v1/service-orders/svc-prepaid/stages/1/pay'), 201);
    await ok(t.api(dev, 'POST', `/v1/dev/payments/${intentId}/capture`, { paymentId: 'fake-svc-prepaid' }));

    const refused = await ok(t.api(dev, 'DELETE', `/v1/members/${memberId}`));
    expect(refused).toMatchObject({ result: 'rejected', code: 'PREPAID_BALANCE_OUTSTANDING', memberId });
    expect(refused.message).toMatch(/prepaid 20000 fen .*svc-prepaid.*refund/);
    expect(await ok(t.api(dev, 'GET', `/v1/members/${memberId}`))).toMatchObject({ status: 'active' });

    await ok(t.api(dev, 'POST', '/v1/service-orders/svc-prepaid/cancel', { by: 'merchant', reason: 'member asked for erasure' }), 201);
    expect(await ok(t.api(dev, 'DELETE', `/v1/members/${memberId}`))).toMatchObject({ result: 'applied', code: 'DELETED' });
  });

  it('keeps the merchant’s time zone, and refuses one that is not IANA', async () => {
    const admin = t.host.tokens.admin;
    const merchant = await ok(t.api(admin, 'POST', '/v1/admin/merchants', { id: 'berlin', name: 'Berlin', tierId: 'standard', timeZone: 'Europe/Berlin' }));
    expect(merchant.timeZone).toBe('Europe/Berlin');
    expectError(await t.api(admin, 'POST', '/v1/admin/merchants', { id: 'mars', name: 'Mars', tierId: 'standard', timeZone: 'Mars/Olympus' }), 400, 'TK_VALIDATION', '/timeZone');
  });

  it('documents the routes with request and response schemas in OpenAPI', async () => {
    const doc = await ok(t.api(undefined, 'GET', '/openapi.json'));
    for (const [path, method] of [['/v1/orders', 'post'], ['/v1/orders/{id}/refunds', 'post'], ['/v1/members/bind', 'post'], ['/v1/members/{id}', 'get']] as const) {
      expect(doc.paths[path]?.[method]?.responses?.['200'], `${method} ${path}`).toBeDefined();
    }
    expect(doc.paths['/v1/orders'].post.requestBody).toBeDefined();
  });
});
