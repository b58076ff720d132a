// nearest-store-routing on the real host (PostgreSQL, the sandbox, the allocation saga): a split order,
// a refusal and its reallocation, a missed SLA, the last unit contended by two orders, and the settings
// (maximum distance, one store vs split, priority weighting) — each decision made by the plugin.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlugin } from '@tongkit/runtime/build';
import { startHost, type Host } from '@tongkit/host';
import { allocationSagaIn, createTestDatabase, type TestDatabase } from '@tongkit/host/testing';

const root = fileURLToPath(new URL('..', import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'tongkit-routing-'));
let database: TestDatabase;
let host: Host;
let url: string;
let installId = '';
let n = 0;

const HOME = { lat: 31.2304, lng: 121.4737 };
const hours = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((day) => ({ day, opens: '00:00', closes: '24:00' }));

async function api(method: string, path: string, body?: unknown, token = host.tokens.devMerchant): Promise<any> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url + path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}
async function settings(values: Record<string, unknown>) {
  await api('PUT', `/v1/installs/${installId}/settings`, { maxDistanceM: 5000, preferSingleStore: true, priorityWeightM: 0, ...values });
}
async function order(lines: Array<{ sku: string; quantity: number }>): Promise<string> {
  const id = `nsr-${++n}`;
  await api('POST', '/v1/orders', {
    id,
    kind: 'goods',
    channel: 'online',
    lines: lines.map((l) => ({ ...l, title: l.sku, category: 'tea', unitPriceFen: 100 })),
    payments: [{ method: 'card', amountFen: lines.reduce((s, l) => s + l.quantity * 100, 0) }],
    paidAt: '2026-12-01T08:00:00Z',
  });
  return id;
}
const deliver = (id: string) => api('POST', `/v1/orders/${id}/allocation`, { fulfilment: 'deliver', delivery: HOME });
const stock = (storeId: string, lines: Array<{ sku: string; quantity: number }>) => api('POST', '/v1/inventory/bills', { billNo: `in-${storeId}-${++n}`, kind: 'inbound', storeId, lines });

beforeAll(async () => {
  database = await createTestDatabase();
  host = await startHost({ databaseUrl: database.url, dataDir: join(home, 'host'), dispatch: false, services: { runtime: { isolation: 'in-process' } } });
  url = await host.listen(0);
  // near: 1.1 km, priority 1; mid: 2.2 km, priority 9; far: 8.9 km (beyond the default maximum distance).
  for (const [id, north, priority] of [['nsr-near', 0.01, 1], ['nsr-mid', 0.02, 9], ['nsr-far', 0.08, 5]] as const) {
    await host.services.tenancy.upsertStore({ id, merchantId: 'dev-merchant', name: id, channel: 'store' });
    await api('PUT', `/v1/stores/${id}/fulfilment`, { capabilities: ['deliver', 'pickup'], workingHours: hours, closedDays: [], dailyCapacity: 20, priority, location: { lat: HOME.lat + north, lng: HOME.lng }, deliveryRadiusM: 20_000, minDeliveryOrderFen: 0 });
  }
  const { bundle } = await buildPlugin(root);
  await api('POST', '/v1/versions', bundle, host.tokens.developer);
  installId = (await api('POST', '/v1/installs', { plugin: 'nearest-store-routing', version: '1.0.0', grantPermissions: ['inventory:read', 'orders:read'] })).id;
}, 120_000);

afterAll(async () => {
  await host?.close();
  await database?.drop();
  rmSync(home, { recursive: true, force: true });
});

describe('nearest-store-routing on the host', () => {
  it('splits an order by line when no store has it all, each part with its own reservation', async () => {
    await settings({ preferSingleStore: false });
    await stock('nsr-near', [{ sku: 'TEA', quantity: 5 }]);
    await stock('nsr-mid', [{ sku: 'CUP', quantity: 5 }]);
    const started = await deliver(await order([{ sku: 'TEA', quantity: 2 }, { sku: 'CUP', quantity: 1 }]));
    expect(started.allocations.map((a: any) => [a.storeId, a.lineNos, a.source])).toEqual([['nsr-mid', [1], 'plugin'], ['nsr-near', [0], 'plugin']]);
  });

  it('prefers one store for the whole order, weighting priority, and ignores stores beyond the maximum distance', async () => {
    await stock('nsr-mid', [{ sku: 'TEA', quantity: 5 }]);
    await stock('nsr-far', [{ sku: 'BOWL', quantity: 5 }]);
    await settings({ preferSingleStore: true });
    const whole = await deliver(await order([{ sku: 'TEA', quantity: 1 }, { sku: 'CUP', quantity: 1 }]));
    expect(whole.allocations.map((a: any) => a.storeId)).toEqual(['nsr-mid']);
    // With priority worth 200 m a point, mid (2.2 km, priority 9) outranks near (1.1 km, priority 1).
    await settings({ priorityWeightM: 200 });
    expect((await deliver(await order([{ sku: 'TEA', quantity: 1 }]))).allocations[0].storeId).toBe('nsr-mid');
    await settings({ priorityWeightM: 0 });
    expect((await deliver(await order([{ sku: 'TEA', quantity: 1 }]))).allocations[0].storeId).toBe('nsr-near');
    // BOWL is only at far (8.9 km): beyond 5 km not routable by the plugin, within 10 km routed there.
    const beyond = await deliver(await order([{ sku: 'BOWL', quantity: 1 }]));
    expect(beyond).toMatchObject({ status: 'failed', allocations: [] });
    await settings({ maxDistanceM: 10_000 });
    expect((await deliver(await order([{ sku: 'BOWL', quantity: 1 }]))).allocations[0].storeId).toBe('nsr-far');
    await settings({});
  });

  it('reallocates a refusal to the next store, never back to the refusing one', async () => {
    const id = await order([{ sku: 'TEA', quantity: 1 }]);
    const first = (await deliver(id)).allocations[0];
    expect(first.storeId).toBe('nsr-near');
    await api('POST', `/v1/stores/nsr-near/allocations/${first.id}/refuse`, { reason: 'out_of_stock' });
    const view = await api('GET', `/v1/orders/${id}/allocation`);
    expect(view).toMatchObject({ status: 'allocated', refusedBy: ['nsr-near'] });
    expect(view.allocations[1]).toMatchObject({ storeId: 'nsr-mid', source: 'plugin', attempt: 2 });
  });

  it('treats a missed SLA as a refusal, and answers the late accept superseded', async () => {
    const id = await order([{ sku: 'TEA', quantity: 1 }]);
    const first = (await deliver(id)).allocations[0];
    await allocationSagaIn(host.services.modules).sweep({ at: new Date(Date.parse(first.dueAt) + 1000) });
    const late = await api('POST', `/v1/stores/${first.storeId}/allocations/${first.id}/accept`);
    expect(late).toMatchObject({ status: 'rejected', reason: 'superseded', allocation: { status: 'expired', reason: 'sla_missed' } });
    const view = await api('GET', `/v1/orders/${id}/allocation`);
    expect(view.allocations[1].storeId).not.toBe(first.storeId);
  });

  it('gives the last unit to one of two orders racing for it, never both', async () => {
    await stock('nsr-near', [{ sku: 'LAST', quantity: 1 }]);
    const ids = [await order([{ sku: 'LAST', quantity: 1 }]), await order([{ sku: 'LAST', quantity: 1 }])];
    const results = await Promise.all(ids.map(deliver));
    expect(results.map((r) => r.status).sort()).toEqual(['allocated', 'failed']);
    const level = (await api('GET', '/v1/stores/nsr-near/stock?sku=LAST')).items[0];
    expect(level).toMatchObject({ onHand: 1, reserved: 1, available: 0 });
  });
});
