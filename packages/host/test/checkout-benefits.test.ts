// Benefits at checkout on a real host: the tier's base benefits when no install answers (once), two
// installs merged by the merchant's stacking per class, an install with an invalid output contributing
// nothing, the birthday flag without PII, and a points redemption hold.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlugin } from '@tongkit/runtime/build';
import { createMerchant, expectError, ok, publish, startTestHost, type TestHost } from './helpers.js';

const plugins = join(fileURLToPath(new URL('.', import.meta.url)), 'plugins');
let t: TestHost;
let acme: string;
let memberId: string;

const cart = {
  channel: 'store',
  storeId: 'co-acme-store1',
  lines: [
    { lineId: 'l1', sku: 'SOFA', category: 'furniture', quantity: 1, unitPriceFen: 300_000 },
    { lineId: 'l2', sku: 'LAMP', category: 'lighting', quantity: 2, unitPriceFen: 10_000 },
  ],
};

beforeAll(async () => {
  t = await startTestHost();
  const fixture = {
    file: 'fixtures/one-line.json',
    point: 'member.benefits.resolve',
    input: {
      member: { id: 'mem_fixture000000000000000', tierId: null, pointsBalance: 0, storedValueFen: 0, birthdayThisMonth: false },
      cart: { channel: 'store', storeId: null, totalFen: 100, lines: [{ lineId: 'l1', sku: 'S', category: 'c', quantity: 1, unitPriceFen: 100, totalFen: 100 }] },
      tierBenefits: null,
      now: '2026-12-01T00:00:00.000Z',
    },
  };
  for (const name of ['benefits-tier', 'benefits-wrong-line']) await publish(t, { ...(await buildPlugin(join(plugins, name))).bundle, fixtures: [fixture] } as never);
  acme = await createMerchant(t, 'co-acme');
  memberId = (await ok(t.api(acme, 'POST', '/v1/members', { channel: 'store', pii: { phone: '13700000001', birthday: '1990-12-09' } }), 201)).memberId;
  await ok(t.api(acme, 'PUT', '/v1/checkout/tiers/gold/benefits', { discountBp: 500, freeShipping: true, birthdayGift: 'birthday cake' }));
});
afterAll(() => t?.close());

describe('POST /v1/checkout/benefits', () => {
  it('applies the tier’s base benefits once when no install answers, with the birthday flag and no PII', async () => {
    const res = await ok(t.api(acme, 'POST', '/v1/checkout/benefits', { memberId, tierId: 'gold', cart, now: '2026-12-03T10:00:00Z' }));
    expect(res.source).toBe('tier_fallback');
    expect(res.applied.map((b: any) => [b.class, b.kind, b.discountFen, b.installId])).toEqual([
      ['tier_discount', 'discount_bp', 16_000, null],
      ['shipping', 'free_shipping', 0, null],
      ['gift', 'gift', 0, null],
    ]);
    expect(res).toMatchObject({ totalFen: 320_000, discountFen: 16_000, finalFen: 304_000 });
    const notBirthday = await ok(t.api(acme, 'POST', '/v1/checkout/benefits', { memberId, tierId: 'gold', cart, now: '2026-07-03T10:00:00Z' }));
    expect(notBirthday.applied.map((b: any) => b.class)).toEqual(['tier_discount', 'shipping']);
  });

  it('merges installs by the stacking per class; an install with an invalid output contributes nothing and the fallback stays off', async () => {
    const tier = await ok(t.api(acme, 'POST', '/v1/installs', { plugin: 'test-benefits-tier', grantPermissions: ['member:read'], settings: { discountBp: 1_000, couponFen: 5_000 } }), 201);
    await ok(t.api(acme, 'POST', '/v1/installs', { plugin: 'test-benefits-wrong-line', grantPermissions: ['member:read'] }), 201);
    const res = await ok(t.api(acme, 'POST', '/v1/checkout/benefits', { memberId, tierId: 'gold', cart }));
    expect(res.source).toBe('plugins');
    expect(res.failed).toEqual([expect.objectContaining({ plugin: 'test-benefits-wrong-line' })]);
    // 10 % of each line, then 5,000 fen spread over what is left (270,000 : 18,000 → 4,687.5 : 312.5, floored;
    // the remainder fen goes to the first line in cart order).
    expect(res.applied.map((b: any) => [b.class, b.discountFen, b.installId])).toEqual([
      ['tier_discount', 32_000, tier.id],
      ['coupon', 5_000, tier.id],
    ]);
    expect(res.lines).toEqual([
      { lineId: 'l1', totalFen: 300_000, discountFen: 30_000 + 4_688, finalFen: 265_312 },
      { lineId: 'l2', totalFen: 20_000, discountFen: 2_000 + 312, finalFen: 17_688 },
    ]);
    expect(res.finalFen).toBe(283_000);

    await ok(t.api(acme, 'PUT', '/v1/checkout/stacking', { stacking: { coupon: 'exclusive', tier_discount: 'best-of' } }));
    expectError(await t.api(acme, 'PUT', '/v1/checkout/stacking', { stacking: { coupon: 'sometimes' } }), 400, 'TK_VALIDATION');
  });

  it('refuses a cart naming a line twice, and another merchant’s member', async () => {
    expectError(await t.api(acme, 'POST', '/v1/checkout/benefits', { memberId, cart: { ...cart, lines: [cart.lines[0], cart.lines[0]] } }), 400, 'TK_VALIDATION', '/cart/lines/1/lineId');
    const globex = await createMerchant(t, 'co-globex');
    expectError(await t.api(globex, 'POST', '/v1/checkout/benefits', { memberId, cart }), 404, 'TK_NOT_FOUND');
    expectError(await t.api(globex, 'POST', '/v1/checkout/redeem-points', { memberId, points: 1 }, { headers: { 'idempotency-key': 'x' } }), 404, 'TK_NOT_FOUND');
  });
});

describe('POST /v1/checkout/redeem-points', () => {
  it('freezes points in a hold, once per key, and refuses more than the balance', async () => {
    await ok(t.api(acme, 'POST', `/v1/members/${memberId}/points`, { points: 500, reason: 'welcome' }, { headers: { 'idempotency-key': 'welcome' } }), 201);
    const hold = await ok(t.api(acme, 'POST', '/v1/checkout/redeem-points', { memberId, points: 200 }, { headers: { 'idempotency-key': 'till-1' } }), 201);
    expect(hold).toMatchObject({ status: 'applied', balanceAfter: 300, heldAfter: 200 });
    expect(hold.holdId).toEqual(expect.any(String));
    expect(await ok(t.api(acme, 'POST', '/v1/checkout/redeem-points', { memberId, points: 200 }, { headers: { 'idempotency-key': 'till-1' } }))).toMatchObject({ status: 'duplicate', holdId: hold.holdId });
    expect(await ok(t.api(acme, 'POST', '/v1/checkout/redeem-points', { memberId, points: 301 }, { headers: { 'idempotency-key': 'till-2' } }))).toMatchObject({ status: 'rejected', reason: 'insufficient_balance' });
  });
});
