// The allocation saga as a spec, on a real host: the routing input the host builds (distances, not the
// customer's location; capacity left today; open now), the nearest-store fallback, a store's accept,
// refusal and reallocation, a missed SLA and the late accept answered `superseded`, the warehouse after
// N decisions, a pickup's code, a till sale that leaves an allocation short, store tokens that see only
// their own queue, and other merchants' orders and stores answered like missing ones.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocationSagaIn } from '../src/testing.js';
import { distanceMetres } from '../src/domains/allocation/routing-input.js';
import { invalidRouteOutput } from '../src/domains/allocation/router.js';
import { createMerchant, expectError, ok, startTestHost, type TestHost } from './helpers.js';

const t: TestHost = await startTestHost({ runtime: { isolation: 'in-process' } });
afterAll(() => t.close());
const saga = allocationSagaIn(t.host.services.modules);

const HOME = { lat: 31.2304, lng: 121.4737 };
const ALL_DAY = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((day) => ({ day, opens: '00:00', closes: '24:00' }));
const point = (north: number, extra: Record<string, unknown> = {}) => ({
  capabilities: ['deliver', 'pickup'],
  workingHours: ALL_DAY,
  closedDays: [],
  dailyCapacity: 10,
  priority: 5,
  location: { lat: HOME.lat + north, lng: HOME.lng },
  deliveryRadiusM: 10_000,
  minDeliveryOrderFen: 0,
  ...extra,
});

let a = '';
let b = '';
let storeToken1 = '';
let storeToken2 = '';
let orderNo = 0;

async function stock(token: string, storeId: string, lines: Array<{ sku: string; quantity: number }>) {
  await ok(t.api(token, 'POST', '/v1/inventory/bills', { billNo: `in-${storeId}-${orderNo++}`, kind: 'inbound', storeId, lines }), 201);
}
async function order(token: string, lines: Array<{ sku: string; quantity: number }>): Promise<string> {
  const id = `alloc-o-${++orderNo}`;
  const total = lines.reduce((sum, l) => sum + l.quantity * 100, 0);
  await ok(
    t.api(token, 'POST', '/v1/orders', {
      id,
      kind: 'goods',
      channel: 'online',
      lines: lines.map((l) => ({ ...l, title: l.sku, category: 'tea', unitPriceFen: 100 })),
      payments: [{ method: 'card', amountFen: total }],
      paidAt: '2026-12-01T08:00:00Z',
    }),
    201,
  );
  return id;
}
const deliver = (token: string, id: string) => ok(t.api(token, 'POST', `/v1/orders/${id}/allocation`, { fulfilment: 'deliver', delivery: { ...HOME, districtCode: '310101' } }), 201);
const available = async (token: string, storeId: string, sku: string) => ((await ok(t.api(token, 'GET', `/v1/stores/${storeId}/stock?sku=${sku}`))).items[0]?.available ?? 0) as number;

beforeAll(async () => {
  a = await createMerchant(t, 'al-a', { stores: ['al-a-1', 'al-a-2', 'al-a-3', 'al-a-closed'] });
  await ok(t.api(t.host.tokens.admin, 'POST', '/v1/admin/stores', { id: 'al-a-wh', merchantId: 'al-a', name: 'Warehouse', channel: 'warehouse' }));
  b = await createMerchant(t, 'al-b', { stores: ['al-b-1'] });
  // 1.1 km, 2.2 km, 3.3 km north of the customer; a closer store that is closed; a warehouse 50 km away.
  await ok(t.api(a, 'PUT', '/v1/stores/al-a-1/fulfilment', point(0.01)));
  await ok(t.api(a, 'PUT', '/v1/stores/al-a-2/fulfilment', point(0.02)));
  await ok(t.api(a, 'PUT', '/v1/stores/al-a-3/fulfilment', point(0.03)));
  await ok(t.api(a, 'PUT', '/v1/stores/al-a-closed/fulfilment', point(0.005, { workingHours: [] })));
  await ok(t.api(a, 'PUT', '/v1/stores/al-a-wh/fulfilment', point(0.45, { deliveryRadiusM: 100_000, dailyCapacity: 1000 })));
  await ok(t.api(b, 'PUT', '/v1/stores/al-b-1/fulfilment', point(0.01)));
  for (const store of ['al-a-1', 'al-a-2', 'al-a-3', 'al-a-closed', 'al-a-wh']) await stock(a, store, [{ sku: 'TEA', quantity: 20 }, { sku: 'CUP', quantity: 20 }]);
  storeToken1 = (await ok(t.api(a, 'POST', '/v1/tokens', { role: 'store', storeId: 'al-a-1' }), 201)).token;
  storeToken2 = (await ok(t.api(a, 'POST', '/v1/tokens', { role: 'store', storeId: 'al-a-2' }), 201)).token;
});

describe('routing an order', () => {
  it('sends it to the nearest open store that fills it, reserves its goods, and gives plugins distances, never the location', async () => {
    const id = await order(a, [{ sku: 'TEA', quantity: 2 }, { sku: 'CUP', quantity: 1 }]);
    const before = await available(a, 'al-a-1', 'TEA');
    const started = await deliver(a, id);
    expect(started).toMatchObject({ result: 'applied', status: 'allocated', attempts: 1, fallbacks: 0 });
    expect(started.allocations).toHaveLength(1);
    expect(started.allocations[0]).toMatchObject({ storeId: 'al-a-1', status: 'allocated', source: 'platform', lineNos: [0, 1], lines: [{ sku: 'CUP', quantity: 1 }, { sku: 'TEA', quantity: 2 }] });
    expect(started.allocations[0].secondsLeft).toBeGreaterThan(29 * 60);
    expect(await available(a, 'al-a-1', 'TEA')).toBe(before - 2);
    // The logged input: distances the host computed, no coordinates; the closed store is offered as closed.
    await t.host.services.extensions.flushLog(); // the invoke route's log is written behind
    const { rows } = await t.host.services.db.query<{ input: any }>(`SELECT input FROM invocations WHERE merchant_id = 'al-a' AND point = 'order.route' AND input->'order'->>'id' = $1`, [id]);
    const input = rows[0]!.input;
    expect(JSON.stringify(input)).not.toMatch(/lat|lng|121\.47/);
    const byId = Object.fromEntries(input.candidates.map((c: any) => [c.storeId, c]));
    expect(byId['al-a-1'].distanceM).toBe(distanceMetres(HOME, { lat: HOME.lat + 0.01, lng: HOME.lng }));
    expect(byId['al-a-closed']).toMatchObject({ openNow: false });
    expect(byId['al-a-wh']).toMatchObject({ kind: 'warehouse' });
    expect(input.order).toMatchObject({ districtCode: '310101', fulfilment: 'deliver' });
    const event = await t.host.services.db.query<{ data: any }>(`SELECT data FROM events WHERE merchant_id = 'al-a' AND type = 'order.allocated' AND data->>'orderId' = $1`, [id]);
    expect(event.rows[0]!.data).toMatchObject({ orderId: id, attempt: 1, source: 'platform', allocations: [{ storeId: 'al-a-1', kind: 'store' }] });
  });

  it('answers the same request again as a duplicate, another request for the order as TK_CONFLICT, and a bad request at its path', async () => {
    const id = await order(a, [{ sku: 'TEA', quantity: 1 }]);
    await deliver(a, id);
    expect(await ok(t.api(a, 'POST', `/v1/orders/${id}/allocation`, { fulfilment: 'deliver', delivery: { ...HOME, districtCode: '310101' } }), 200)).toMatchObject({ result: 'duplicate', attempts: 1 });
    expectError(await t.api(a, 'POST', `/v1/orders/${id}/allocation`, { fulfilment: 'pickup', pickupStoreId: 'al-a-2' }), 409, 'TK_CONFLICT');
    expectError(await t.api(a, 'POST', `/v1/orders/${id}/allocation`, { fulfilment: 'deliver' }), 400, 'TK_VALIDATION', '/delivery');
    expectError(await t.api(a, 'POST', `/v1/orders/${id}/allocation`, { fulfilment: 'pickup' }), 400, 'TK_VALIDATION', '/pickupStoreId');
  });

  it('checks a plugin’s decision: a store without the stock is TK_INVALID_OUTPUT at its path', () => {
    const input = {
      order: { id: 'o', channel: 'online', fulfilment: 'deliver' as const, pickupStoreId: null, districtCode: null, totalFen: 100, lines: [{ lineId: '0', sku: 'TEA', quantity: 3 }] },
      candidates: [{ storeId: 's1', kind: 'store' as const, capabilities: ['deliver' as const], openNow: true, remainingCapacityToday: 1, distanceM: 10, deliversHere: true, priority: 1, stock: [{ sku: 'TEA', available: 2 }] }],
      refusedBy: [],
      now: '2026-12-01T08:00:00Z',
    };
    const error = invalidRouteOutput(input, { allocations: [{ storeId: 's1', lines: ['0'] }], reason: 'mine' });
    expect(error).toMatchObject({ code: 'TK_INVALID_OUTPUT', path: '/allocations/0' });
    expect(invalidRouteOutput(input, { allocations: [], reason: 'not routable' })).toBeUndefined();
  });
});

describe('the saga', () => {
  it('reallocates a refusal to the next store, never to the refusing one, and gives its goods and place back', async () => {
    const id = await order(a, [{ sku: 'TEA', quantity: 1 }]);
    const first = (await deliver(a, id)).allocations[0];
    expect(first.storeId).toBe('al-a-1');
    const held = await available(a, 'al-a-1', 'TEA');
    const refused = await ok(t.api(storeToken1, 'POST', `/v1/stores/al-a-1/allocations/${first.id}/refuse`, { reason: 'out_of_stock', note: 'shelf empty' }));
    expect(refused).toMatchObject({ status: 'applied', allocation: { status: 'refused', reason: 'out_of_stock', note: 'shelf empty' } });
    expect(await available(a, 'al-a-1', 'TEA')).toBe(held + 1);
    const view = await ok(t.api(a, 'GET', `/v1/orders/${id}/allocation`));
    expect(view).toMatchObject({ status: 'allocated', attempts: 2, refusedBy: ['al-a-1'] });
    expect(view.allocations.map((x: any) => [x.storeId, x.status])).toEqual([['al-a-1', 'refused'], ['al-a-2', 'allocated']]);
    // A second refusal is a duplicate; the refused store's accept now answers superseded.
    expect((await ok(t.api(storeToken1, 'POST', `/v1/stores/al-a-1/allocations/${first.id}/refuse`, { reason: 'out_of_stock' }))).status).toBe('duplicate');
    expect(await ok(t.api(storeToken1, 'POST', `/v1/stores/al-a-1/allocations/${first.id}/accept`))).toMatchObject({ status: 'rejected', reason: 'superseded' });
    const second = view.allocations[1];
    expect(await ok(t.api(storeToken2, 'POST', `/v1/stores/al-a-2/allocations/${second.id}/accept`))).toMatchObject({ status: 'applied', allocation: { status: 'accepted' } });
    expect((await ok(t.api(storeToken2, 'POST', `/v1/stores/al-a-2/allocations/${second.id}/accept`))).status).toBe('duplicate');
    expect(await ok(t.api(storeToken2, 'POST', `/v1/stores/al-a-2/allocations/${second.id}/refuse`, { reason: 'other' }))).toMatchObject({ status: 'rejected', reason: 'already_accepted' });
    expect((await ok(t.api(a, 'GET', `/v1/orders/${id}/allocation`))).status).toBe('accepted');
  });

  it('counts a missed SLA as a refusal (the sweep), and the late accept answers superseded', async () => {
    const id = await order(a, [{ sku: 'CUP', quantity: 1 }]);
    const first = (await deliver(a, id)).allocations[0];
    const swept = await saga.sweep({ at: new Date(Date.parse(first.dueAt) + 1000) });
    expect(swept.expired).toBeGreaterThanOrEqual(1);
    const view = await ok(t.api(a, 'GET', `/v1/orders/${id}/allocation`));
    expect(view.allocations[0]).toMatchObject({ id: first.id, status: 'expired', reason: 'sla_missed' });
    expect(view.refusedBy).toContain(first.storeId);
    expect(view.allocations[1]).toMatchObject({ status: 'allocated', attempt: 2 });
    expect(view.allocations[1].storeId).not.toBe(first.storeId);
    expect(await ok(t.api(storeToken1, 'POST', `/v1/stores/al-a-1/allocations/${first.id}/accept`))).toMatchObject({ status: 'rejected', reason: 'superseded', allocation: { status: 'expired' } });
  });

  it('sends the lines to the warehouse after the last routing decision', async () => {
    await ok(t.api(a, 'PUT', '/v1/allocation-settings', { slaMinutes: 30, maxAttempts: 2 }));
    try {
      const id = await order(a, [{ sku: 'TEA', quantity: 1 }]);
      const first = (await deliver(a, id)).allocations[0];
      await ok(t.api(a, 'POST', `/v1/stores/${first.storeId}/allocations/${first.id}/refuse`, { reason: 'no_capacity' }));
      const second = (await ok(t.api(a, 'GET', `/v1/orders/${id}/allocation`))).allocations[1];
      await ok(t.api(a, 'POST', `/v1/stores/${second.storeId}/allocations/${second.id}/refuse`, { reason: 'closed' }));
      const view = await ok(t.api(a, 'GET', `/v1/orders/${id}/allocation`));
      expect(view).toMatchObject({ status: 'warehouse', failureReason: 'no store accepted in 2 routing decisions' });
      expect(view.allocations[2]).toMatchObject({ storeId: 'al-a-wh', status: 'accepted', source: 'warehouse', dueAt: null });
    } finally {
      await ok(t.api(a, 'PUT', '/v1/allocation-settings', { slaMinutes: 30, maxAttempts: 3 }));
    }
  });

  it('gives an accepted pickup its code, which the store consumes once', async () => {
    const id = await order(a, [{ sku: 'TEA', quantity: 1 }]);
    const started = await ok(t.api(a, 'POST', `/v1/orders/${id}/allocation`, { fulfilment: 'pickup', pickupStoreId: 'al-a-3' }), 201);
    expect(started.allocations[0]).toMatchObject({ storeId: 'al-a-3' });
    expect(started.pickupCode).toBeNull();
    await ok(t.api(a, 'POST', `/v1/stores/al-a-3/allocations/${started.allocations[0].id}/accept`));
    const view = await ok(t.api(a, 'GET', `/v1/orders/${id}/allocation`));
    expect(view.pickupCode.code).toMatch(/^[0-9]{8}$/);
    expect(await ok(t.api(a, 'POST', '/v1/stores/al-a-3/pickups', { code: view.pickupCode.code }))).toMatchObject({ status: 'applied', orderId: id });
  });

  it('never sends a refused pickup elsewhere: the order fails', async () => {
    const id = await order(a, [{ sku: 'TEA', quantity: 1 }]);
    const started = await ok(t.api(a, 'POST', `/v1/orders/${id}/allocation`, { fulfilment: 'pickup', pickupStoreId: 'al-a-3' }), 201);
    await ok(t.api(a, 'POST', `/v1/stores/al-a-3/allocations/${started.allocations[0].id}/refuse`, { reason: 'damaged' }));
    expect(await ok(t.api(a, 'GET', `/v1/orders/${id}/allocation`))).toMatchObject({ status: 'failed', allocations: [{ status: 'refused' }] });
  });

  it('frees an allocation a till sale left short and reallocates it (the sweep)', async () => {
    await stock(a, 'al-a-1', [{ sku: 'RARE', quantity: 1 }]);
    await stock(a, 'al-a-2', [{ sku: 'RARE', quantity: 1 }]);
    const id = await order(a, [{ sku: 'RARE', quantity: 1 }]);
    const first = (await deliver(a, id)).allocations[0];
    expect(first.storeId).toBe('al-a-1');
    const sale = await ok(t.api(a, 'POST', '/v1/inventory/bills', { billNo: `till-${id}`, kind: 'outbound', storeId: 'al-a-1', lines: [{ sku: 'RARE', quantity: 1 }] }), 201);
    expect(sale.shortReservations).toEqual([{ reservationId: first.id, sku: 'RARE', quantity: 1 }]);
    expect((await saga.sweep()).short).toBeGreaterThanOrEqual(1);
    const view = await ok(t.api(a, 'GET', `/v1/orders/${id}/allocation`));
    expect(view.allocations.map((x: any) => [x.storeId, x.status])).toEqual([['al-a-1', 'short'], ['al-a-2', 'allocated']]);
    expect(view.refusedBy).toEqual([]);
  });

  it('gives the last unit to one of two orders racing for it', async () => {
    await stock(a, 'al-a-1', [{ sku: 'LAST', quantity: 1 }]);
    const ids = [await order(a, [{ sku: 'LAST', quantity: 1 }]), await order(a, [{ sku: 'LAST', quantity: 1 }])];
    const results = await Promise.all(ids.map((id) => deliver(a, id)));
    expect(results.map((r) => r.status).sort()).toEqual(['allocated', 'failed']);
    expect(await available(a, 'al-a-1', 'LAST')).toBe(0);
    const rows = await t.host.services.db.query<{ reserved: number; on_hand: number }>(`SELECT reserved, on_hand FROM inventory_stock WHERE merchant_id = 'al-a' AND store_id = 'al-a-1' AND sku = 'LAST'`);
    expect(rows.rows[0]).toEqual({ reserved: 1, on_hand: 1 });
  });
});

describe('store queues and tenants', () => {
  it('shows a store token its own queue with the SLA countdown, and another store’s like a missing one', async () => {
    const id = await order(a, [{ sku: 'TEA', quantity: 1 }]);
    const allocation = (await deliver(a, id)).allocations[0];
    const queue = await ok(t.api(storeToken1, 'GET', '/v1/stores/al-a-1/allocations?status=allocated'));
    expect(queue.items.map((x: any) => x.id)).toContain(allocation.id);
    expect(queue.items.every((x: any) => x.storeId === 'al-a-1' && x.status === 'allocated' && x.secondsLeft > 0)).toBe(true);
    const other = expectError(await t.api(storeToken1, 'GET', '/v1/stores/al-a-2/allocations'), 404, 'TK_NOT_FOUND');
    const none = expectError(await t.api(storeToken1, 'GET', '/v1/stores/al-a-none/allocations'), 404, 'TK_NOT_FOUND');
    expect(other.message.replace('al-a-2', 'X')).toBe(none.message.replace('al-a-none', 'X'));
    // Store 2's token cannot answer store 1's allocation, by either store's path.
    expectError(await t.api(storeToken2, 'POST', `/v1/stores/al-a-1/allocations/${allocation.id}/accept`), 404, 'TK_NOT_FOUND');
    expectError(await t.api(storeToken2, 'POST', `/v1/stores/al-a-2/allocations/${allocation.id}/accept`), 404, 'TK_NOT_FOUND', '/params/allocationId');
    expect((await ok(t.api(a, 'GET', `/v1/orders/${id}/allocation`))).allocations[0].status).toBe('allocated');
    // A store token may not start or read an order's allocation (merchant routes).
    expectError(await t.api(storeToken1, 'GET', `/v1/orders/${id}/allocation`), 403, 'TK_FORBIDDEN');
  });

  it('answers another merchant’s order, store and allocation like missing ones', async () => {
    const id = await order(a, [{ sku: 'TEA', quantity: 1 }]);
    const allocation = (await deliver(a, id)).allocations[0];
    expectError(await t.api(b, 'POST', `/v1/orders/${id}/allocation`, { fulfilment: 'deliver', delivery: HOME }), 404, 'TK_NOT_FOUND', '/params/id');
    expectError(await t.api(b, 'GET', `/v1/orders/${id}/allocation`), 404, 'TK_NOT_FOUND');
    expectError(await t.api(b, 'GET', '/v1/stores/al-a-1/allocations'), 404, 'TK_NOT_FOUND');
    expectError(await t.api(b, 'POST', `/v1/stores/al-a-1/allocations/${allocation.id}/accept`), 404, 'TK_NOT_FOUND');
    expectError(await t.api(b, 'POST', `/v1/stores/al-b-1/allocations/${allocation.id}/refuse`, { reason: 'other' }), 404, 'TK_NOT_FOUND');
    expect((await ok(t.api(a, 'GET', `/v1/orders/${id}/allocation`))).allocations[0].status).toBe('allocated');
  });
});
