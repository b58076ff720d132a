// 会员宝 over HTTP on a real host: top-up rules, a top-up paid through the signed callback (a forged or
// replayed one changes nothing), spends drawing lots oldest first at their ratio, refunds back to the
// lots, a top-up refund forfeiting its bonus, and members that cannot be deleted while they hold money.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signCallback } from '../src/domains/service/callback-signature.js';
import { createMerchant, expectError, ok, startTestHost, type TestHost } from './helpers.js';

let t: TestHost;
let acme: string;
let globex: string;

beforeAll(async () => {
  t = await startTestHost();
  acme = await createMerchant(t, 'sv-acme', { development: true });
  globex = await createMerchant(t, 'sv-globex', { development: true });
});
afterAll(() => t?.close());

const key = (k: string) => ({ headers: { 'idempotency-key': k } });

async function member(token = acme): Promise<string> {
  return (await ok(t.api(token, 'POST', '/v1/members', { channel: 'store' }), 201)).memberId;
}

/** A paid top-up through the fake provider (the signed callback route, as a real provider calls it). */
async function paidTopUp(memberId: string, principalFen: number, k: string, token = acme): Promise<string> {
  const topUp = await ok(t.api(token, 'POST', `/v1/members/${memberId}/stored-value/top-ups`, { principalFen }, key(k)), 201);
  expect(await ok(t.api(token, 'POST', `/v1/dev/stored-value/top-ups/${topUp.topUpId}/capture`, {}))).toEqual({ result: 'applied' });
  return topUp.topUpId;
}

describe('stored value', () => {
  it('gives a top-up the bonus of the largest rule it reaches, once paid by its signed callback', async () => {
    await ok(t.api(acme, 'PUT', '/v1/stored-value/rules', { rules: [{ minPrincipalFen: 100_000, bonusFen: 10_000 }, { minPrincipalFen: 50_000, bonusFen: 3_000 }] }));
    expect((await ok(t.api(acme, 'GET', '/v1/stored-value/rules'))).rules[0]).toEqual({ minPrincipalFen: 50_000, bonusFen: 3_000 });
    const m = await member();
    const topUp = await ok(t.api(acme, 'POST', `/v1/members/${m}/stored-value/top-ups`, { principalFen: 120_000 }, key('tu-1')), 201);
    expect(topUp).toMatchObject({ status: 'pending', principalFen: 120_000, bonusFen: 10_000 });
    // Pending: nothing to spend yet.
    expect((await ok(t.api(acme, 'GET', `/v1/members/${m}/stored-value`))).balanceFen).toBe(0);
    expect(await ok(t.api(acme, 'POST', `/v1/members/${m}/stored-value/top-ups`, { principalFen: 120_000 }, key('tu-1')))).toMatchObject({ result: 'duplicate', topUpId: topUp.topUpId });
    expectError(await t.api(acme, 'POST', `/v1/members/${m}/stored-value/top-ups`, { principalFen: 1 }, key('tu-1')), 409, 'TK_CONFLICT');

    const body = JSON.stringify({ paymentId: 'pay-1', topUpId: topUp.topUpId, amountFen: 120_000, status: 'captured' });
    const t0 = Math.floor(Date.now() / 1000);
    // Forged: signed with a key that is not the merchant's.
    const forged = await t.api(undefined, 'POST', '/v1/stored-value/callback', undefined, { raw: body, headers: { t: String(t0), kid: 'k_nope', signature: signCallback(Buffer.alloc(32, 1), t0, body) } });
    expectError(forged, 401, 'TK_UNAUTHORIZED');
    expect((await ok(t.api(acme, 'GET', `/v1/members/${m}/stored-value`))).balanceFen).toBe(0);

    const { kid, secret } = await ok(t.api(acme, 'POST', '/v1/payments/secrets', {}), 201);
    const headers = { t: String(t0), kid, signature: signCallback(Buffer.from(secret, 'base64url'), t0, body) };
    expect(await ok(t.api(undefined, 'POST', '/v1/stored-value/callback', undefined, { raw: body, headers }))).toEqual({ result: 'applied' });
    expect(await ok(t.api(undefined, 'POST', '/v1/stored-value/callback', undefined, { raw: body, headers }))).toEqual({ result: 'duplicate' });
    const account = await ok(t.api(acme, 'GET', `/v1/members/${m}/stored-value`));
    expect(account).toMatchObject({ balanceFen: 130_000, principalFen: 120_000, bonusFen: 10_000 });
    expect(account.lots).toHaveLength(1);
    // A body tampered after signing does not verify.
    const tampered = body.replace('120000', '999999');
    expectError(await t.api(undefined, 'POST', '/v1/stored-value/callback', undefined, { raw: tampered, headers }), 401, 'TK_UNAUTHORIZED');
  });

  it('spends the oldest lot first at its principal:bonus ratio, and a refund returns exactly what the spend took', async () => {
    const m = await member();
    await ok(t.api(acme, 'PUT', '/v1/stored-value/rules', { rules: [{ minPrincipalFen: 100_000, bonusFen: 10_000 }] }));
    const first = await paidTopUp(m, 100_000, 'lot-a'); // 1,000 yuan + 100 bonus: ratio 10:1
    await ok(t.api(acme, 'PUT', '/v1/stored-value/rules', { rules: [] }));
    await paidTopUp(m, 50_000, 'lot-b'); // no bonus
    const spend = await ok(t.api(acme, 'POST', `/v1/members/${m}/stored-value/spends`, { amountFen: 115_000, storeId: 'sv-acme-store1' }, key('spend-1')), 201);
    // All of lot a (100,000 + 10,000), then 5,000 principal of lot b.
    expect(spend.draws.map((d: any) => [d.principalFen, d.bonusFen])).toEqual([[-100_000, -10_000], [-5_000, 0]]);
    expect(spend).toMatchObject({ status: 'applied', balanceFen: 45_000, principalDeltaFen: -105_000, bonusDeltaFen: -10_000 });
    expect(await ok(t.api(acme, 'POST', `/v1/members/${m}/stored-value/spends`, { amountFen: 115_000, storeId: 'sv-acme-store1' }, key('spend-1')))).toMatchObject({ status: 'duplicate', refId: spend.refId });
    expect(await ok(t.api(acme, 'POST', `/v1/members/${m}/stored-value/spends`, { amountFen: 45_001 }, key('spend-2')))).toMatchObject({ status: 'rejected', reason: 'insufficient_balance', balanceFen: 45_000 });

    const part = await ok(t.api(acme, 'POST', `/v1/stored-value/spends/${spend.refId}/refunds`, { amountFen: 16_000 }, key('r-1')), 201);
    // Last drawn lot first: lot b's 5,000, then 11,000 of lot a at 10:1 (bonus floor(11,000 × 1/11) = 1,000).
    expect(part.draws.map((d: any) => [d.principalFen, d.bonusFen])).toEqual([[5_000, 0], [10_000, 1_000]]);
    const rest = await ok(t.api(acme, 'POST', `/v1/stored-value/spends/${spend.refId}/refunds`, { amountFen: 99_000 }, key('r-2')), 201);
    expect(rest.draws).toEqual([expect.objectContaining({ principalFen: 90_000, bonusFen: 9_000 })]);
    expect(await ok(t.api(acme, 'POST', `/v1/stored-value/spends/${spend.refId}/refunds`, { amountFen: 1 }, key('r-3')))).toMatchObject({ status: 'rejected', reason: 'refund_exceeds_spend' });
    expect(await ok(t.api(acme, 'GET', `/v1/members/${m}/stored-value`))).toMatchObject({ balanceFen: 160_000, principalFen: 150_000, bonusFen: 10_000 });

    // Refunding the first top-up after spending part of it: the remaining principal back, the remaining bonus forfeited.
    await ok(t.api(acme, 'POST', `/v1/members/${m}/stored-value/spends`, { amountFen: 11_000 }, key('spend-3')), 201);
    const refund = await ok(t.api(acme, 'POST', `/v1/stored-value/top-ups/${first}/refund`, undefined, key('tr-1')), 201);
    expect(refund).toMatchObject({ principalDeltaFen: -90_000, bonusDeltaFen: -9_000, forfeitedBonusFen: 9_000, balanceFen: 50_000 });
    expect(await ok(t.api(acme, 'POST', `/v1/stored-value/top-ups/${first}/refund`, undefined, key('tr-2')))).toMatchObject({ status: 'rejected', reason: 'top_up_already_refunded' });
    const { entries } = await ok(t.api(acme, 'GET', `/v1/members/${m}/stored-value/entries`));
    expect(entries.reduce((sum: number, e: any) => sum + e.principalDeltaFen + e.bonusDeltaFen, 0)).toBe(50_000);
  });

  it('refuses to delete a member holding prepaid money, until its top-ups are refunded', async () => {
    const m = await member();
    const topUp = await paidTopUp(m, 2_000, 'del-1');
    expect(await ok(t.api(acme, 'DELETE', `/v1/members/${m}`))).toMatchObject({ result: 'rejected', code: 'PREPAID_BALANCE_OUTSTANDING' });
    await ok(t.api(acme, 'POST', `/v1/stored-value/top-ups/${topUp}/refund`, undefined, key('del-r')), 201);
    expect(await ok(t.api(acme, 'DELETE', `/v1/members/${m}`))).toMatchObject({ result: 'applied', code: 'DELETED' });
  });

  it('answers another merchant’s member, top-up and spend like ones that do not exist', async () => {
    const m = await member();
    const topUp = await paidTopUp(m, 3_000, 'ten-1');
    const spend = await ok(t.api(acme, 'POST', `/v1/members/${m}/stored-value/spends`, { amountFen: 1_000 }, key('ten-s')), 201);
    expectError(await t.api(globex, 'GET', `/v1/members/${m}/stored-value`), 404, 'TK_NOT_FOUND');
    expectError(await t.api(globex, 'POST', `/v1/members/${m}/stored-value/spends`, { amountFen: 1 }, key('x')), 404, 'TK_NOT_FOUND');
    expectError(await t.api(globex, 'POST', `/v1/stored-value/spends/${spend.refId}/refunds`, { amountFen: 1 }, key('x')), 404, 'TK_NOT_FOUND');
    expectError(await t.api(globex, 'POST', `/v1/stored-value/top-ups/${topUp}/refund`, undefined, key('x')), 404, 'TK_NOT_FOUND');
    expectError(await t.api(globex, 'POST', `/v1/dev/stored-value/top-ups/${topUp}/capture`, {}), 404, 'TK_NOT_FOUND');
    // Globex's own secret signing a callback for Acme's top-up: the top-up is unknown to Globex.
    const { kid, secret } = await ok(t.api(globex, 'POST', '/v1/payments/secrets', {}), 201);
    const body = JSON.stringify({ paymentId: 'cross-1', topUpId: topUp, amountFen: 3_000, status: 'captured' });
    const t0 = Math.floor(Date.now() / 1000);
    expect(await ok(t.api(undefined, 'POST', '/v1/stored-value/callback', undefined, { raw: body, headers: { t: String(t0), kid, signature: signCallback(Buffer.from(secret, 'base64url'), t0, body) } }))).toEqual({ result: 'unmatched', code: 'unknown_top_up' });
    expect((await ok(t.api(acme, 'GET', `/v1/members/${m}/stored-value`))).balanceFen).toBe(2_000);
  });

  it('names the field of bad input', async () => {
    const m = await member();
    expectError(await t.api(acme, 'POST', `/v1/members/${m}/stored-value/spends`, { amountFen: 1.5 }, key('bad')), 400, 'TK_VALIDATION', '/amountFen');
    expectError(await t.api(acme, 'POST', `/v1/members/${m}/stored-value/spends`, { amountFen: 100 }), 400, 'TK_VALIDATION');
    expectError(await t.api(acme, 'PUT', '/v1/stored-value/rules', { rules: [{ minPrincipalFen: 5, bonusFen: 1 }, { minPrincipalFen: 5, bonusFen: 2 }] }), 400, 'TK_VALIDATION', '/rules/1/minPrincipalFen');
  });
});
