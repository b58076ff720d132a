// 服务通 over HTTP: service orders from `service` orders, the fake provider's signed callback through
// POST /v1/payments/callback, re-price, cancel; every route tenant-scoped.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeveloper, createMerchant, expectError, ok, startTestHost, type TestHost } from './helpers.js';

let t: TestHost;
let acme: string;
let globex: string;
beforeAll(async () => {
  t = await startTestHost({ runtime: { isolation: 'in-process' } });
  acme = await createMerchant(t, 'svc-acme', { development: true });
  globex = await createMerchant(t, 'svc-globex', { development: true });
});
afterAll(() => t.close());

const serviceOrderBody = (id: string, totalFen: number) => ({
  id,
  kind: 'service',
  channel: 'store',
  storeId: 'svc-acme-store1',
  lines: [{ sku: 'wardrobe', title: 'Custom wardrobe', category: 'furniture', quantity: 1, unitPriceFen: totalFen }],
  payments: [{ method: 'card', amountFen: totalFen }],
  paidAt: '2026-12-01T10:00:00Z',
});

async function newServiceOrder(id: string, totalFen: number) {
  await ok(t.api(acme, 'POST', '/v1/orders', serviceOrderBody(id, totalFen)), 201);
  return ok(t.api(acme, 'POST', '/v1/service-orders', { orderId: id }), 201);
}

describe('service orders API', () => {
  it('makes the service order of a service order: the platform’s single full payment without a plan plugin', async () => {
    const created = await newServiceOrder('S-1', 123_456);
    expect(created).toMatchObject({ result: 'applied', order: { id: 'S-1', totalFen: 123_456, planSource: 'platform', stages: [{ stageNo: 1, amountFen: 123_456, state: 'payable' }] } });
    expect((await ok(t.api(acme, 'POST', '/v1/service-orders', { orderId: 'S-1' }), 200)).result).toBe('duplicate');
  });

  it('pays a stage through the fake provider’s signed callback, once', async () => {
    await newServiceOrder('S-2', 50_000);
    const intent = await ok(t.api(acme, 'POST', '/v1/service-orders/S-2/stages/1/pay'), 201);
    expect(intent.intentId).toMatch(/^pi_/);
    expect((await ok(t.api(acme, 'POST', '/v1/service-orders/S-2/stages/1/pay'), 200)).intentId).toBe(intent.intentId);
    const paid = await ok(t.api(acme, 'POST', `/v1/dev/payments/${intent.intentId}/capture`, { paymentId: 'fake-S-2' }));
    expect(paid).toEqual({ result: 'applied' });
    const order = await ok(t.api(acme, 'GET', '/v1/service-orders/S-2'));
    expect(order).toMatchObject({ paidFen: 50_000, stages: [{ state: 'paid' }], callbacks: [{ providerPaymentId: 'fake-S-2', outcome: 'applied' }] });
    expect(await ok(t.api(acme, 'POST', `/v1/dev/payments/${intent.intentId}/capture`, { paymentId: 'fake-S-2' }))).toEqual({ result: 'duplicate' });
  });

  it('verifies the callback over its raw body with the merchant’s secret by kid; a forged one is 401 and changes nothing', async () => {
    await newServiceOrder('S-3', 10_000);
    const { intentId } = await ok(t.api(acme, 'POST', '/v1/service-orders/S-3/stages/1/pay'), 201);
    const { kid, secret } = await ok(t.api(acme, 'POST', '/v1/payments/secrets', {}), 201);
    // Raw bytes as the provider sent them (spacing and key order included) are what is signed.
    const raw = `{ "status": "captured", "intentId": "${intentId}", "amountFen": 10000, "paymentId": "prov-S-3" }`;
    const tNow = Math.floor(Date.now() / 1000);
    const sign = (key: Buffer, ts: number, body: string) => createHmac('sha256', key).update(`${ts}.${body}`).digest('hex');
    const key = Buffer.from(secret, 'base64url');
    const forged = await t.api(undefined, 'POST', '/v1/payments/callback', undefined, { raw, headers: { t: String(tNow), kid, signature: sign(Buffer.alloc(32), tNow, raw) } });
    expectError(forged, 401, 'TK_UNAUTHORIZED');
    const reformatted = await t.api(undefined, 'POST', '/v1/payments/callback', undefined, { raw: JSON.stringify(JSON.parse(raw)), headers: { t: String(tNow), kid, signature: sign(key, tNow, raw) } });
    expectError(reformatted, 401, 'TK_UNAUTHORIZED');
    const stale = await t.api(undefined, 'POST', '/v1/payments/callback', undefined, { raw, headers: { t: String(tNow - 301), kid, signature: sign(key, tNow - 301, raw) } });
    expectError(stale, 401, 'TK_UNAUTHORIZED');
    expect((await ok(t.api(acme, 'GET', '/v1/service-orders/S-3'))).stages[0].state).toBe('payable');
    const genuine = await t.api(undefined, 'POST', '/v1/payments/callback', undefined, { raw, headers: { t: String(tNow), kid, signature: sign(key, tNow, raw) } });
    expect(genuine.body).toEqual({ result: 'applied' });
    // Another merchant's key cannot pay this merchant's intent: the intent is not among its own.
    const other = await ok(t.api(globex, 'POST', '/v1/payments/secrets', {}), 201);
    const raw2 = raw.replace('prov-S-3', 'prov-S-3-globex');
    const cross = await t.api(undefined, 'POST', '/v1/payments/callback', undefined, { raw: raw2, headers: { t: String(tNow), kid: other.kid, signature: sign(Buffer.from(other.secret, 'base64url'), tNow, raw2) } });
    expect(cross.body).toEqual({ result: 'unmatched', code: 'unknown_intent' });
    expect((await ok(t.api(globex, 'GET', '/v1/payments/unmatched'))).unmatched).toEqual([expect.objectContaining({ providerPaymentId: 'prov-S-3-globex', refundStatus: 'refunded' })]);
  });

  it('re-prices, refuses below paid, completes and cancels with their results', async () => {
    await newServiceOrder('S-4', 10_000);
    expect(await ok(t.api(acme, 'POST', '/v1/service-orders/S-4/reprice', { totalFen: 12_000, reason: 'measured' }), 201)).toMatchObject({ result: 'applied', order: { totalFen: 12_000 } });
    const { intentId } = await ok(t.api(acme, 'POST', '/v1/service-orders/S-4/stages/1/pay'), 201);
    await ok(t.api(acme, 'POST', `/v1/dev/payments/${intentId}/capture`, {}));
    expect(await ok(t.api(acme, 'POST', '/v1/service-orders/S-4/reprice', { totalFen: 11_000, reason: 'x' }), 200)).toMatchObject({ result: 'rejected', code: 'everything_paid' });
    expectError(await t.api(acme, 'POST', '/v1/service-orders/S-4/stages/1/advance', { to: 'scheduled', reason: 'x' }), 409, 'TK_CONFLICT', '/to');
    expectError(await t.api(acme, 'POST', '/v1/service-orders/S-4/stages/1/advance', { to: 'paid', reason: 'x' }), 400, 'TK_VALIDATION', '/to');
    expect(await ok(t.api(acme, 'POST', '/v1/service-orders/S-4/cancel', { by: 'merchant', reason: 'no stock' }), 201)).toMatchObject({ order: { status: 'cancelled', stages: [{ state: 'refunded', refundedFen: 12_000 }] } });
  });

  it('answers another merchant’s service order with TK_NOT_FOUND on every route', async () => {
    await newServiceOrder('S-5', 10_000);
    const { intentId } = await ok(t.api(acme, 'POST', '/v1/service-orders/S-5/stages/1/pay'), 201);
    expectError(await t.api(globex, 'GET', '/v1/service-orders/S-5'), 404, 'TK_NOT_FOUND');
    expectError(await t.api(globex, 'POST', '/v1/service-orders', { orderId: 'S-5' }), 404, 'TK_NOT_FOUND');
    expectError(await t.api(globex, 'POST', '/v1/service-orders/S-5/stages/1/pay'), 404, 'TK_NOT_FOUND');
    expectError(await t.api(globex, 'POST', '/v1/service-orders/S-5/stages/1/advance', { to: 'completed', reason: 'x' }), 404, 'TK_NOT_FOUND');
    expectError(await t.api(globex, 'POST', '/v1/service-orders/S-5/reprice', { totalFen: 1, reason: 'x' }), 404, 'TK_NOT_FOUND');
    expectError(await t.api(globex, 'POST', '/v1/service-orders/S-5/cancel', { by: 'merchant', reason: 'x' }), 404, 'TK_NOT_FOUND');
    expectError(await t.api(globex, 'POST', `/v1/dev/payments/${intentId}/capture`, {}), 404, 'TK_NOT_FOUND');
    expect((await ok(t.api(acme, 'GET', '/v1/service-orders/S-5'))).stages[0].state).toBe('payable');
  });

  it('refuses the fake provider for a live merchant and the routes for a developer token', async () => {
    const live = await createMerchant(t, 'svc-live');
    await ok(t.api(live, 'POST', '/v1/orders', { ...serviceOrderBody('L-1', 100), storeId: 'svc-live-store1' }), 201);
    await ok(t.api(live, 'POST', '/v1/service-orders', { orderId: 'L-1' }), 201);
    const { intentId } = await ok(t.api(live, 'POST', '/v1/service-orders/L-1/stages/1/pay'), 201);
    expectError(await t.api(live, 'POST', `/v1/dev/payments/${intentId}/capture`, {}), 404, 'TK_NOT_FOUND');
    const developer = await createDeveloper(t, 'svc-dev');
    expectError(await t.api(developer, 'GET', '/v1/service-orders/S-1'), 403, 'TK_FORBIDDEN');
  });
});
