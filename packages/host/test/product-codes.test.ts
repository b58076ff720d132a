// One-item-one-code as a spec: a verify scan changes nothing, the claim at the sale happens once (also
// when several tills claim the same code at the same moment), a second claim is refused and logged as a
// possible counterfeit with both scans' stores and times, and another merchant's code is an unknown one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant, expectError, ok, startTestHost, type TestHost } from './helpers.js';

const t: TestHost = await startTestHost({ runtime: { isolation: 'in-process' } });
afterAll(() => t.close());

let a = '';
let b = '';
beforeAll(async () => {
  a = await createMerchant(t, 'codes-a', { stores: ['codes-a-1', 'codes-a-2'] });
  b = await createMerchant(t, 'codes-b', { stores: ['codes-b-1'] });
  const codes = Array.from({ length: 20 }, (_, i) => ({ code: `QR-${i}`, sku: 'BAIJIU-500' }));
  expect(await ok(t.api(a, 'POST', '/v1/product-codes', { batch: 'B2026-12', codes }))).toEqual({ batch: 'B2026-12', registered: 20, duplicates: 0 });
});

const scan = (token: string, body: Record<string, unknown>) => t.api(token, 'POST', '/v1/scans', body);

describe('product codes', () => {
  it('registers a resent batch as duplicates, and refuses a code under another SKU at its path', async () => {
    expect(await ok(t.api(a, 'POST', '/v1/product-codes', { batch: 'B2026-12', codes: [{ code: 'QR-1', sku: 'BAIJIU-500' }] }))).toMatchObject({ registered: 0, duplicates: 1 });
    const clash = await t.api(a, 'POST', '/v1/product-codes', { batch: 'B2026-12', codes: [{ code: 'QR-NEW', sku: 'X' }, { code: 'QR-2', sku: 'OTHER' }] });
    expectError(clash, 409, 'TK_CONFLICT', '/codes/1/code');
    // Refused as a whole: QR-NEW was not registered either.
    expect((await ok(scan(a, { scanId: 'v-new', kind: 'verify', code: 'QR-NEW', storeId: 'codes-a-1' }), 201)).genuine).toBe(false);
  });

  it('tells a shopper a code is genuine and what it is, changing nothing', async () => {
    for (const id of ['v-1', 'v-2']) {
      const verified = await ok(scan(a, { scanId: id, kind: 'verify', code: 'QR-3', storeId: 'codes-a-1' }), 201);
      expect(verified).toMatchObject({ status: 'applied', genuine: true, sku: 'BAIJIU-500', batch: 'B2026-12', claim: null, counterfeitSuspected: false });
    }
    expect(await ok(scan(a, { scanId: 'c-3', kind: 'claim', code: 'QR-3', storeId: 'codes-a-1' }), 201)).toMatchObject({ status: 'applied', claim: { storeId: 'codes-a-1' } });
  });

  it('refuses a second claim, with the first claim’s store and time, and logs a possible counterfeit', async () => {
    const first = await ok(scan(a, { scanId: 'c-4a', kind: 'claim', code: 'QR-4', storeId: 'codes-a-1' }), 201);
    const second = await ok(scan(a, { scanId: 'c-4b', kind: 'claim', code: 'QR-4', storeId: 'codes-a-2' }), 200);
    expect(second).toMatchObject({ status: 'rejected', reason: 'already_claimed', counterfeitSuspected: true, claim: first.claim });
    const { rows } = await t.host.services.db.query<{ scan_id: string; store_id: string; outcome: string }>(
      `SELECT scan_id, store_id, outcome FROM code_scans WHERE merchant_id = 'codes-a' AND code = 'QR-4' ORDER BY created_at`,
    );
    expect(rows).toEqual([
      { scan_id: 'c-4a', store_id: 'codes-a-1', outcome: 'claimed' },
      { scan_id: 'c-4b', store_id: 'codes-a-2', outcome: 'counterfeit_suspected' },
    ]);
    const events = await t.host.services.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE merchant_id = 'codes-a' AND type = 'code.scanned' AND data->>'code' = 'QR-4'`);
    expect(events.rows[0]!.n).toBe(2);
  });

  it('answers the same scan again as a duplicate, and the same scan id for another scan with TK_CONFLICT', async () => {
    const body = { scanId: 'c-5', kind: 'claim', code: 'QR-5', storeId: 'codes-a-1' };
    const first = await ok(scan(a, body), 201);
    expect(await ok(scan(a, body), 200)).toEqual({ ...first, status: 'duplicate' });
    expectError(await scan(a, { ...body, code: 'QR-6' }), 409, 'TK_CONFLICT', '/scanId');
  });

  it('lets exactly one of several tills claiming the same code at once have it', async () => {
    for (const code of ['QR-10', 'QR-11', 'QR-12']) {
      const results = await Promise.all(['codes-a-1', 'codes-a-2', 'codes-a-1', 'codes-a-2', 'codes-a-1'].map((storeId, i) => ok(scan(a, { scanId: `race-${code}-${i}`, kind: 'claim', code, storeId }))));
      expect(results.filter((r) => r.status === 'applied')).toHaveLength(1);
      expect(results.filter((r) => r.reason === 'already_claimed')).toHaveLength(4);
    }
  });

  it('treats another merchant’s code as unknown and its store as missing', async () => {
    expect(await ok(scan(b, { scanId: 'b-1', kind: 'verify', code: 'QR-7', storeId: 'codes-b-1' }), 201)).toMatchObject({ genuine: false, sku: null });
    expect(await ok(scan(b, { scanId: 'b-2', kind: 'claim', code: 'QR-7', storeId: 'codes-b-1' }), 200)).toMatchObject({ status: 'rejected', reason: 'unknown_code' });
    expectError(await scan(b, { scanId: 'b-3', kind: 'verify', code: 'QR-7', storeId: 'codes-a-1' }), 404, 'TK_NOT_FOUND', '/storeId');
    // A's code is still claimable by A.
    expect(await ok(scan(a, { scanId: 'c-7', kind: 'claim', code: 'QR-7', storeId: 'codes-a-1' }), 201)).toMatchObject({ status: 'applied' });
  });
});
