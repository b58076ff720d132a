// Properties of the allocation saga, with fast-check on real PostgreSQL over concurrent connections:
// orders routed at the same moment as till sales never take more of a store's day than its capacity nor
// more goods than it has (reserved = Σ live allocations ≤ on hand), the capacity counter is exactly the
// live allocations, and after the sweep every allocation a sale left uncovered is marked short (and its
// lines routed again), while no live allocation holds a short reservation.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocationSagaIn } from '../src/testing.js';
import { createMerchant, ok, startTestHost, type TestHost } from './helpers.js';

const t: TestHost = await startTestHost({ runtime: { isolation: 'in-process' } });
afterAll(() => t.close());
const saga = allocationSagaIn(t.host.services.modules);
const HOME = { lat: 31.2304, lng: 121.4737 };
const ALL_DAY = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((day) => ({ day, opens: '00:00', closes: '24:00' }));

let token = '';
beforeAll(async () => {
  token = await createMerchant(t, 'alp', { stores: [] });
});

interface Scenario {
  stores: Array<{ capacity: number; stock: number }>;
  orders: number[];
  sales: Array<{ store: number; quantity: number }>;
}
const scenario: fc.Arbitrary<Scenario> = fc.record({
  stores: fc.array(fc.record({ capacity: fc.nat(3), stock: fc.nat(3) }), { minLength: 1, maxLength: 3 }),
  orders: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 1, maxLength: 6 }),
  sales: fc.array(fc.record({ store: fc.nat(2), quantity: fc.integer({ min: 1, max: 2 }) }), { maxLength: 2 }),
});

let run = 0;
describe('the allocation saga under concurrency', () => {
  it('never over-allocates a store’s capacity or stock, and marks every allocation a sale uncovered short', { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const r = ++run;
        const sku = `P${r}`;
        const stores = s.stores.map((_, i) => `alp-${r}-${i}`);
        for (const [i, store] of s.stores.entries()) {
          await ok(t.api(t.host.tokens.admin, 'POST', '/v1/admin/stores', { id: stores[i], merchantId: 'alp', name: stores[i], channel: 'store' }));
          await ok(t.api(token, 'PUT', `/v1/stores/${stores[i]}/fulfilment`, { capabilities: ['deliver'], workingHours: ALL_DAY, closedDays: [], dailyCapacity: store.capacity, priority: 5, location: { lat: HOME.lat + 0.01 * (i + 1), lng: HOME.lng }, deliveryRadiusM: 50_000, minDeliveryOrderFen: 0 }));
          if (store.stock > 0) await ok(t.api(token, 'POST', '/v1/inventory/bills', { billNo: `alp-in-${r}-${i}`, kind: 'inbound', storeId: stores[i], lines: [{ sku, quantity: store.stock }] }), 201);
        }
        const orderIds = s.orders.map((_, i) => `alp-${r}-o${i}`);
        for (const [i, quantity] of s.orders.entries()) {
          await ok(t.api(token, 'POST', '/v1/orders', { id: orderIds[i], kind: 'goods', channel: 'online', lines: [{ sku, title: sku, category: 'c', quantity, unitPriceFen: 100 }], payments: [{ method: 'card', amountFen: quantity * 100 }], paidAt: '2026-12-01T08:00:00Z' }), 201);
        }
        // Every order and every till sale at once, each on its own connection.
        await Promise.all([
          ...orderIds.map((id) => ok(t.api(token, 'POST', `/v1/orders/${id}/allocation`, { fulfilment: 'deliver', delivery: HOME }), 201)),
          ...s.sales.filter((sale) => sale.store < stores.length).map((sale, i) => ok(t.api(token, 'POST', '/v1/inventory/bills', { billNo: `alp-till-${r}-${i}`, kind: 'outbound', storeId: stores[sale.store], lines: [{ sku, quantity: sale.quantity }] }), 201)),
        ]);
        await saga.sweep();
        await saga.sweep();

        const db = t.host.services.db;
        const allocations = (await db.query<{ id: string; store_id: string; status: string; quantity: number }>(
          `SELECT id, store_id, status, (lines->0->>'quantity')::int AS quantity FROM allocations WHERE merchant_id = 'alp' AND store_id = ANY($1::text[])`,
          [stores],
        )).rows;
        const live = allocations.filter((a) => a.status === 'allocated' || a.status === 'accepted');
        for (const [i, store] of s.stores.entries()) {
          const mine = live.filter((a) => a.store_id === stores[i]);
          expect(mine.length).toBeLessThanOrEqual(store.capacity);
          const used = (await db.query<{ used: number }>(`SELECT used FROM allocation_capacity WHERE merchant_id = 'alp' AND store_id = $1`, [stores[i]])).rows[0]?.used ?? 0;
          expect(used).toBe(mine.length);
          const row = (await db.query<{ on_hand: number; reserved: number }>(`SELECT on_hand::int, reserved::int FROM inventory_stock WHERE merchant_id = 'alp' AND store_id = $1 AND sku = $2`, [stores[i], sku])).rows[0];
          const held = mine.reduce((sum, a) => sum + a.quantity, 0);
          expect(row?.reserved ?? 0).toBe(held);
          expect(held).toBeLessThanOrEqual(Math.max(row?.on_hand ?? 0, 0));
        }
        // Every allocation whose reservation a sale left uncovered is marked short; no live one holds a short line.
        const shorted = (await db.query<{ reservation_id: string }>(`SELECT DISTINCT reservation_id FROM inventory_movements WHERE merchant_id = 'alp' AND kind = 'short' AND sku = $1`, [sku])).rows.map((x) => x.reservation_id);
        for (const id of shorted) expect(allocations.find((a) => a.id === id)?.status, id).toBe('short');
        const open = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM inventory_reservations WHERE merchant_id = 'alp' AND sku = $1 AND status = 'short'`, [sku])).rows[0]!.n;
        expect(open).toBe(0);
        // An order is allocated, or it failed: none left waiting for a decision.
        const states = (await db.query<{ status: string }>(`SELECT status FROM allocation_orders WHERE merchant_id = 'alp' AND order_id = ANY($1::text[])`, [orderIds])).rows;
        expect(states.every((x) => x.status === 'allocated' || x.status === 'failed')).toBe(true);
      }),
      { numRuns: 15 },
    );
  });
});
