// Pickup codes as a spec: one unguessable code per order, consumed once by its store (also when two tills
// enter it at once), expired codes refused, wrong codes rate-limited per store, other merchants' stores missing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/index.js';
import { MAX_FAILURES, PickupCodes } from '../src/domains/pickup/pickup-codes.js';
import { createMerchant, expectError, ok, startTestHost, type TestHost } from './helpers.js';

const t: TestHost = await startTestHost({ runtime: { isolation: 'in-process' } });
afterAll(() => t.close());

let a = '';
let b = '';
beforeAll(async () => {
  a = await createMerchant(t, 'pick-a', { stores: ['pick-a-1', 'pick-a-2', 'pick-a-3'] });
  b = await createMerchant(t, 'pick-b', { stores: ['pick-b-1'] });
  // The orders the codes are issued for (a code for an order the merchant does not have is refused).
  const order = (id: string) => ({ id, kind: 'goods', channel: 'online', lines: [{ sku: 's', title: 'S', category: 'c', quantity: 1, unitPriceFen: 100 }], payments: [{ method: 'card', amountFen: 100 }], paidAt: '2026-12-01T08:00:00Z' });
  for (const id of ['o-1', 'o-2', ...Array.from({ length: 20 }, (_, i) => `o-many-${i}`)]) await ok(t.api(a, 'POST', '/v1/orders', order(id)), 201);
  await ok(t.api(b, 'POST', '/v1/orders', order('o-b')), 201);
});

describe('pickup codes for orders', () => {
  it('refuses a code for an order the merchant does not have, and for another merchant’s order alike', async () => {
    const none = expectError(await t.api(a, 'POST', '/v1/pickup-codes', { orderId: 'o-none', storeId: 'pick-a-1' }), 404, 'TK_NOT_FOUND', '/orderId');
    const other = expectError(await t.api(a, 'POST', '/v1/pickup-codes', { orderId: 'o-b', storeId: 'pick-a-1' }), 404, 'TK_NOT_FOUND', '/orderId');
    expect(other.message.replace('o-b', 'X')).toBe(none.message.replace('o-none', 'X'));
  });
});

describe('pickup codes', () => {
  it('issues an 8-digit code per order and the same code again for the same order', async () => {
    const first = await ok(t.api(a, 'POST', '/v1/pickup-codes', { orderId: 'o-1', storeId: 'pick-a-1' }), 201);
    expect(first.code).toMatch(/^[0-9]{8}$/);
    expect(await ok(t.api(a, 'POST', '/v1/pickup-codes', { orderId: 'o-1', storeId: 'pick-a-1' }), 200)).toEqual({ ...first, status: 'duplicate' });
    expectError(await t.api(a, 'POST', '/v1/pickup-codes', { orderId: 'o-1', storeId: 'pick-a-2' }), 409, 'TK_CONFLICT', '/storeId');
    const codes = new Set<string>();
    for (let i = 0; i < 20; i++) codes.add((await ok(t.api(a, 'POST', '/v1/pickup-codes', { orderId: `o-many-${i}`, storeId: 'pick-a-2' }), 201)).code);
    expect(codes.size).toBe(20);
  });

  it('is consumed once by its store, also when two tills enter it at once', async () => {
    const { code } = await ok(t.api(a, 'POST', '/v1/pickup-codes', { orderId: 'o-2', storeId: 'pick-a-1' }), 201);
    expect(await ok(t.api(a, 'POST', '/v1/stores/pick-a-2/pickups', { code }))).toMatchObject({ status: 'rejected', reason: 'unknown_code' });
    const both = await Promise.all([1, 2].map(() => ok(t.api(a, 'POST', '/v1/stores/pick-a-1/pickups', { code }))));
    expect(both.map((r) => r.status).sort()).toEqual(['applied', 'rejected']);
    expect(both.find((r) => r.status === 'applied')?.orderId).toBe('o-2');
  });

  it('refuses an expired code', async () => {
    const db = openDatabase(t.database.url, { maxConnections: 2 });
    try {
      let now = new Date('2026-12-03T04:00:00Z');
      const codes = new PickupCodes(db, () => now);
      const { code } = await codes.issue('pick-a', { orderId: 'o-exp', storeId: 'pick-a-1', validForMinutes: 60 });
      now = new Date('2026-12-03T05:00:01Z');
      expect(await codes.consume('pick-a', 'pick-a-1', code)).toEqual({ status: 'rejected', reason: 'expired', orderId: 'o-exp' });
    } finally {
      await db.close();
    }
  });

  it(`refuses a store with TK_RATE_LIMITED after ${MAX_FAILURES} wrong codes in its window, and only that store`, async () => {
    // A fixed clock: the window cannot roll over in the middle of the test.
    const db = openDatabase(t.database.url, { maxConnections: 2 });
    try {
      const codes = new PickupCodes(db, () => new Date('2026-12-03T04:05:00Z'));
      const { code } = await codes.issue('pick-a', { orderId: 'o-3', storeId: 'pick-a-3', validForMinutes: 60 * 24 * 365 });
      const wrong = code === '00000000' ? '00000001' : '00000000';
      for (let i = 0; i < MAX_FAILURES; i++) expect((await codes.consume('pick-a', 'pick-a-3', wrong)).status).toBe('rejected');
      await expect(codes.consume('pick-a', 'pick-a-3', code)).rejects.toMatchObject({ code: 'TK_RATE_LIMITED' });
      expect((await codes.consume('pick-a', 'pick-a-1', wrong)).status).toBe('rejected');
    } finally {
      await db.close();
    }
  });

  it('answers another merchant’s store as missing', async () => {
    expectError(await t.api(b, 'POST', '/v1/pickup-codes', { orderId: 'o-9', storeId: 'pick-a-1' }), 404, 'TK_NOT_FOUND', '/storeId');
    expectError(await t.api(b, 'POST', '/v1/stores/pick-a-1/pickups', { code: '12345678' }), 404, 'TK_NOT_FOUND');
  });
});
