// `tongkit allocations list|accept|refuse` against a real host with a store token: the store sees its
// queue with the SLA countdown, refuses one order (it goes to the other store) and accepts another; the
// other store's queue is refused like a store that does not exist.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type Host } from '@tongkit/host';
import { createTestDatabase, type TestDatabase } from '@tongkit/host/testing';
import { tongkitAsync } from './helpers.js';

const home = mkdtempSync(join(tmpdir(), 'tongkit-home-'));
let database: TestDatabase;
let host: Host;
let url: string;
let storeToken = '';
const as = (token: string) => ({ env: { TONGKIT_HOST: url, TONGKIT_TOKEN: token, TONGKIT_HOME: home } });
const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(url + path, { method, headers: { authorization: `Bearer ${host.tokens.devMerchant}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<any>;
};
const hours = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((day) => ({ day, opens: '00:00', closes: '24:00' }));
const settings = (north: number) => ({ capabilities: ['deliver'], workingHours: hours, closedDays: [], dailyCapacity: 10, priority: 5, location: { lat: 31.23 + north, lng: 121.47 }, deliveryRadiusM: 10_000, minDeliveryOrderFen: 0 });
const order = async (id: string) => {
  await api('POST', '/v1/orders', { id, kind: 'goods', channel: 'online', lines: [{ sku: 'TEA', title: 'Tea', category: 'tea', quantity: 1, unitPriceFen: 100 }], payments: [{ method: 'card', amountFen: 100 }], paidAt: '2026-12-01T08:00:00Z' });
  return (await api('POST', `/v1/orders/${id}/allocation`, { fulfilment: 'deliver', delivery: { lat: 31.23, lng: 121.47 } })).allocations[0];
};

beforeAll(async () => {
  database = await createTestDatabase();
  host = await startHost({ databaseUrl: database.url, dataDir: join(home, 'host'), dispatch: false, services: { runtime: { isolation: 'in-process' } } });
  url = await host.listen(0);
  for (const [id, north] of [['cli-al-1', 0.01], ['cli-al-2', 0.02]] as const) {
    await host.services.tenancy.upsertStore({ id, merchantId: 'dev-merchant', name: id, channel: 'store' });
    await api('PUT', `/v1/stores/${id}/fulfilment`, settings(north));
    await api('POST', '/v1/inventory/bills', { billNo: `in-${id}`, kind: 'inbound', storeId: id, lines: [{ sku: 'TEA', quantity: 10 }] });
  }
  storeToken = (await api('POST', '/v1/tokens', { role: 'store', storeId: 'cli-al-1' })).token;
}, 120_000);

afterAll(async () => {
  await host?.close();
  await database?.drop();
  rmSync(home, { recursive: true, force: true });
});

describe('tongkit allocations', () => {
  it('lists the store’s queue, refuses one allocation and accepts another with the store token', { timeout: 120_000 }, async () => {
    const first = await order('cli-o-1');
    const second = await order('cli-o-2');
    expect([first.storeId, second.storeId]).toEqual(['cli-al-1', 'cli-al-1']);
    const list = await tongkitAsync(['allocations', 'list', 'cli-al-1', '--status', 'allocated'], as(storeToken));
    expect(list.status).toBe(0);
    expect(list.stdout).toContain(first.id);
    expect(list.stdout).toMatch(/TEA×1/);
    expect(list.stdout).toMatch(/\d+m\d\ds left/);
    const refused = await tongkitAsync(['allocations', 'refuse', 'cli-al-1', first.id, '--reason', 'out_of_stock', '--json'], as(storeToken));
    expect(refused.status).toBe(0);
    expect(refused.json).toMatchObject({ status: 'applied', allocation: { status: 'refused', reason: 'out_of_stock' } });
    expect((await api('GET', '/v1/orders/cli-o-1/allocation')).allocations[1]).toMatchObject({ storeId: 'cli-al-2', status: 'allocated' });
    const accepted = await tongkitAsync(['allocations', 'accept', 'cli-al-1', second.id], as(storeToken));
    expect(accepted.status).toBe(0);
    expect(accepted.stdout).toContain('accepted');
  });

  it('refuses another store’s queue like a missing store', { timeout: 60_000 }, async () => {
    const other = await tongkitAsync(['allocations', 'list', 'cli-al-2', '--json'], as(storeToken));
    expect(other.status).toBe(1);
    expect(other.json.error).toMatchObject({ code: 'TK_NOT_FOUND', message: 'no store cli-al-2' });
  });
});
