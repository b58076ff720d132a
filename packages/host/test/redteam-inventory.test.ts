// Red team, ctx.inventory: a plugin installed by merchant A names merchant B's store and reservation, and
// options naming B's merchant — every read and write answers TK_NOT_FOUND (or reservation_not_found)
// exactly as for ids that exist nowhere, and B's stock is untouched. Idempotency holds per install: the
// same key and payload is a duplicate, another payload TK_CONFLICT; a reservation never holds more than
// is available. Fixture: plugins/redteam-inventory-probe (its report is read from its KV).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlugin } from '@tongkit/runtime/build';
import { createMerchant, kvValue, ok, publish, startTestHost, type TestHost, orderPaidData } from './helpers.js';

const PROBE_DIR = join(fileURLToPath(new URL('.', import.meta.url)), 'plugins/redteam-inventory-probe');
const PERMISSIONS = ['inventory:read', 'inventory:write', 'storage:kv'];

let t: TestHost;
let tokenA: string;
let tokenB: string;
let installA: string;

beforeAll(async () => {
  t = await startTestHost({ dispatch: { maxAttempts: 1, backoffMs: () => 0 } });
  const { bundle } = await buildPlugin(PROBE_DIR);
  await publish(t, { ...bundle, fixtures: [] });
  tokenA = await createMerchant(t, 'redteam-inv-a', { stores: ['rinv-a-1'] });
  tokenB = await createMerchant(t, 'redteam-inv-b', { stores: ['rinv-b-1'] });
  installA = (await ok(t.api(tokenA, 'POST', '/v1/installs', { plugin: 'redteam-inventory-probe', grantPermissions: PERMISSIONS }), 201)).id;
  await ok(t.api(tokenA, 'POST', '/v1/inventory/bills', { billNo: 'a-in', kind: 'inbound', storeId: 'rinv-a-1', lines: [{ sku: 'SKU-1', quantity: 3 }] }), 201);
  await ok(t.api(tokenB, 'POST', '/v1/inventory/bills', { billNo: 'b-in', kind: 'inbound', storeId: 'rinv-b-1', lines: [{ sku: 'SKU-1', quantity: 7 }] }), 201);
  await ok(t.api(tokenB, 'POST', '/v1/inventory/bills', { billNo: 'b-r', kind: 'reservation', storeId: 'rinv-b-1', reservationId: 'b-alloc', lines: [{ sku: 'SKU-1', quantity: 2 }] }), 201);
});

afterAll(async () => {
  await t?.close();
});

describe('ctx.inventory across tenants', () => {
  it('answers another merchant’s store and reservation like missing ones, and changes nothing of theirs', async () => {
    await ok(t.api(tokenA, 'POST', '/v1/events', { type: 'order.paid', data: orderPaidData({ own: 'rinv-a-1', theirs: 'rinv-b-1', theirReservation: 'b-alloc', sku: 'SKU-1' }) }), 202);
    await t.host.services.dispatcher.drain();
    const report = (await kvValue(t, installA, 'inventory-report')) as Record<string, { value?: any; code?: string; path?: string }>;
    expect(report['getTheirs']).toMatchObject({ code: 'TK_NOT_FOUND' });
    expect(report['reserveTheirs']).toMatchObject({ code: 'TK_NOT_FOUND' });
    expect(report['releaseTheirs']?.value).toMatchObject({ status: 'rejected', reason: 'reservation_not_found' });
    // An extra property in the query is refused by the catalogue's schema; it never widens the tenant.
    expect(report['withMerchantOption']?.code).toBe('TK_VALIDATION');

    expect(report['getOwn']?.value).toEqual([{ storeId: 'rinv-a-1', sku: 'SKU-1', onHand: 3, reserved: 0, available: 3, needsCount: false }]);
    expect(report['reserveOwn']?.value).toMatchObject({ status: 'applied', stock: [{ reserved: 1 }] });
    expect(report['reserveOwnAgain']?.value).toMatchObject({ status: 'duplicate', firstStatus: 'applied' });
    expect(report['reserveOwnChanged']?.code).toBe('TK_CONFLICT');
    expect(report['tooMuch']?.value).toMatchObject({ status: 'rejected', reason: 'insufficient_stock', insufficient: [{ sku: 'SKU-1', requested: 1000, available: 2 }] });
    expect(report['badQuantity']).toMatchObject({ code: 'TK_VALIDATION' });

    const theirs = await ok(t.api(tokenB, 'GET', '/v1/stores/rinv-b-1/stock'));
    expect(theirs.items).toEqual([{ storeId: 'rinv-b-1', sku: 'SKU-1', onHand: 7, reserved: 2, available: 5, needsCount: false }]);
    const ours = await ok(t.api(tokenA, 'GET', '/v1/stores/rinv-a-1/stock'));
    expect(ours.items[0]).toMatchObject({ onHand: 3, reserved: 1 });
  });
});
