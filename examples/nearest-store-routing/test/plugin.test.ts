// The plugin's fixtures through the real sandbox, and a property: whatever the candidates, every answer
// passes the host's own checks of order.route (stock, capacity, opening, refusals, lines covered once).
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, readFixtures, runFixtures, type LoadedPlugin } from '@tongkit/runtime';
import { buildPlugin } from '@tongkit/runtime/build';
import { checkOrderRoute, type PointInput } from '@tongkit/sdk';
import { routeOrder } from '../src/route.js';

const root = fileURLToPath(new URL('..', import.meta.url));
let plugin: LoadedPlugin;
beforeAll(async () => {
  plugin = await createRuntime().load((await buildPlugin(root)).bundle);
});

describe('nearest-store-routing', () => {
  it('passes its fixtures in the sandbox', async () => {
    const results = await runFixtures(plugin, await readFixtures(`${root}/fixtures`, root));
    expect(results.length).toBeGreaterThan(0);
    for (const r of results) expect(r, r.file).toMatchObject({ passed: true });
  });

  it('never gives an answer the host would refuse', () => {
    const sku = fc.constantFrom('TEA', 'CUP', 'POT');
    const store = fc.record({
      storeId: fc.constantFrom('s1', 's2', 's3', 's4', 's5'),
      kind: fc.constantFrom('store' as const, 'warehouse' as const),
      capabilities: fc.subarray(['deliver', 'pickup'] as const),
      openNow: fc.boolean(),
      remainingCapacityToday: fc.nat(3),
      distanceM: fc.option(fc.nat(20_000), { nil: null }),
      deliversHere: fc.boolean(),
      priority: fc.integer({ min: 0, max: 10 }),
      stock: fc.uniqueArray(fc.record({ sku, available: fc.nat(4) }), { selector: (s) => s.sku }),
    });
    const input = fc.record({
      order: fc.record({
        id: fc.constant('o'),
        channel: fc.constant('online'),
        fulfilment: fc.constantFrom('deliver' as const, 'pickup' as const),
        pickupStoreId: fc.constantFrom('s1', 's2'),
        districtCode: fc.constant(null),
        totalFen: fc.nat(10_000),
        lines: fc.array(fc.record({ sku, quantity: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 5 }).map((ls) => ls.map((l, i) => ({ lineId: String(i), ...l }))),
      }),
      candidates: fc.uniqueArray(store, { selector: (s) => s.storeId, maxLength: 5 }),
      refusedBy: fc.subarray(['s1', 's2', 's3']),
      now: fc.constant('2026-12-01T08:00:00Z'),
    });
    const settings = fc.record({ maxDistanceM: fc.integer({ min: 100, max: 20_000 }), preferSingleStore: fc.boolean(), priorityWeightM: fc.nat(1000) });
    fc.assert(
      fc.property(input, settings, (i, s) => {
        expect(checkOrderRoute(i as PointInput<'order.route'>, routeOrder(i as PointInput<'order.route'>, s))).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });
});
