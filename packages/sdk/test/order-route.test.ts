// order.route as a spec: the host's checks of a routing decision (each at its JSON path) and the platform
// default — nearest open store that can fill the whole order, else the warehouse — which always passes them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXTENSION_POINTS, checkOrderRoute, routeToNearestStore, type OrderRouteInput } from '../src/index.js';

const store = (storeId: string, distanceM: number, stock: Record<string, number>, extra: Partial<OrderRouteInput['candidates'][number]> = {}): OrderRouteInput['candidates'][number] => ({
  storeId,
  kind: 'store',
  capabilities: ['deliver', 'pickup'],
  openNow: true,
  remainingCapacityToday: 5,
  distanceM,
  deliversHere: true,
  priority: 5,
  stock: Object.entries(stock).map(([sku, available]) => ({ sku, available })),
  ...extra,
});

const order = (fulfilment: 'deliver' | 'pickup', pickupStoreId: string | null = null): OrderRouteInput['order'] => ({
  id: 'o-1',
  channel: 'online',
  fulfilment,
  pickupStoreId,
  districtCode: '310101',
  totalFen: 19_800,
  lines: [
    { lineId: 'l1', sku: 'TEA', quantity: 2 },
    { lineId: 'l2', sku: 'CUP', quantity: 1 },
  ],
});

const input = (candidates: OrderRouteInput['candidates'], fulfilment: 'deliver' | 'pickup' = 'deliver', extra: Partial<OrderRouteInput> = {}): OrderRouteInput => ({
  order: order(fulfilment, fulfilment === 'pickup' ? 'near' : null),
  candidates,
  refusedBy: [],
  now: '2026-12-03T04:00:00Z',
  ...extra,
});

describe('order.route fallback', () => {
  it('is the catalogue entry’s fallback, exclusive', () => {
    expect(EXTENSION_POINTS['order.route']).toMatchObject({ combine: 'exclusive', primitive: '商品通' });
    expect(EXTENSION_POINTS['order.route'].fallbackOutput).toBe(routeToNearestStore);
  });

  it('picks the nearest open store that can fill the whole order', () => {
    const decision = routeToNearestStore(input([store('far', 900, { TEA: 5, CUP: 5 }), store('near', 300, { TEA: 5, CUP: 5 }), store('nearest-short', 100, { TEA: 1, CUP: 5 })]));
    expect(decision.allocations).toEqual([{ storeId: 'near', lines: ['l1', 'l2'] }]);
  });

  it('skips closed, full, refusing and out-of-radius stores, then falls back to the warehouse', () => {
    const candidates = [
      store('closed', 100, { TEA: 5, CUP: 5 }, { openNow: false }),
      store('full', 110, { TEA: 5, CUP: 5 }, { remainingCapacityToday: 0 }),
      store('refused', 120, { TEA: 5, CUP: 5 }),
      store('too-far', 130, { TEA: 5, CUP: 5 }, { deliversHere: false }),
      store('wh', 50_000, { TEA: 50, CUP: 50 }, { kind: 'warehouse' }),
    ];
    expect(routeToNearestStore(input(candidates, 'deliver', { refusedBy: ['refused'] })).allocations).toEqual([{ storeId: 'wh', lines: ['l1', 'l2'] }]);
  });

  it('says why when nothing can fill the order', () => {
    const decision = routeToNearestStore(input([store('a', 100, { TEA: 1 })]));
    expect(decision).toEqual({ allocations: [], reason: expect.stringMatching(/^not routable/) });
  });

  it('sends a pickup order whole to the chosen store, or nowhere', () => {
    expect(routeToNearestStore(input([store('near', 300, { TEA: 5, CUP: 5 })], 'pickup')).allocations).toEqual([{ storeId: 'near', lines: ['l1', 'l2'] }]);
    expect(routeToNearestStore(input([store('near', 300, { TEA: 1, CUP: 5 }), store('other', 10, { TEA: 9, CUP: 9 })], 'pickup')).allocations).toEqual([]);
  });
});

describe('order.route checks', () => {
  const candidates = [store('a', 100, { TEA: 5 }), store('b', 200, { CUP: 5 }), store('c', 300, { TEA: 5, CUP: 5 }, { openNow: false })];
  it('accepts a split delivery that covers every line once from stores that have the goods', () => {
    expect(checkOrderRoute(input(candidates), { allocations: [{ storeId: 'a', lines: ['l1'] }, { storeId: 'b', lines: ['l2'] }], reason: 'split' })).toEqual([]);
  });
  it.each([
    ['a store that is not a candidate', [{ storeId: 'zz', lines: ['l1', 'l2'] }], '/allocations/0/storeId'],
    ['a store without the stock', [{ storeId: 'a', lines: ['l1', 'l2'] }], '/allocations/0'],
    ['a closed store', [{ storeId: 'c', lines: ['l1', 'l2'] }], '/allocations/0'],
    ['a line twice', [{ storeId: 'a', lines: ['l1'] }, { storeId: 'b', lines: ['l2', 'l1'] }], '/allocations/1/lines/1'],
    ['a line left out', [{ storeId: 'a', lines: ['l1'] }], '/allocations'],
    ['a line not in the order', [{ storeId: 'a', lines: ['l1', 'l9'] }, { storeId: 'b', lines: ['l2'] }], '/allocations/0/lines/1'],
  ])('refuses %s at its path', (_what, allocations, path) => {
    expect(checkOrderRoute(input(candidates), { allocations, reason: 'r' }).map((p) => p.path)).toContain(path);
  });
  it('refuses a store that already refused the order, and a split pickup order', () => {
    const refused = checkOrderRoute(input([store('a', 1, { TEA: 5, CUP: 5 })], 'deliver', { refusedBy: ['a'] }), { allocations: [{ storeId: 'a', lines: ['l1', 'l2'] }], reason: 'r' });
    expect(refused[0]?.message).toMatch(/already refused/);
    const pickup = input([store('near', 1, { TEA: 5 }), store('b', 2, { CUP: 5 })], 'pickup');
    expect(checkOrderRoute(pickup, { allocations: [{ storeId: 'near', lines: ['l1'] }, { storeId: 'b', lines: ['l2'] }], reason: 'split' }).map((p) => p.message)).toContain('a pickup order is never split across stores');
  });

  it('always accepts the fallback’s own decision (property)', () => {
    const candidate = fc.record({
      storeId: fc.constantFrom('s1', 's2', 's3', 's4', 'w1'),
      distanceM: fc.integer({ min: 0, max: 20_000 }),
      tea: fc.integer({ min: 0, max: 4 }),
      cup: fc.integer({ min: 0, max: 2 }),
      openNow: fc.boolean(),
      capacity: fc.integer({ min: 0, max: 2 }),
      deliversHere: fc.boolean(),
      priority: fc.integer({ min: 0, max: 10 }),
    });
    fc.assert(
      fc.property(fc.uniqueArray(candidate, { selector: (c) => c.storeId, maxLength: 5 }), fc.constantFrom('deliver' as const, 'pickup' as const), fc.subarray(['s1', 's2', 'w1']), (cs, fulfilment, refusedBy) => {
        const routeInput = input(
          cs.map((c) => store(c.storeId, c.distanceM, { TEA: c.tea, CUP: c.cup }, { openNow: c.openNow, remainingCapacityToday: c.capacity, deliversHere: c.deliversHere, priority: c.priority, kind: c.storeId.startsWith('w') ? 'warehouse' : 'store' })),
          fulfilment,
          { refusedBy },
        );
        const decision = routeToNearestStore(routeInput);
        expect(checkOrderRoute(routeInput, decision)).toEqual([]);
        if (decision.allocations.length === 0) expect(decision.reason).toMatch(/^not routable/);
      }),
    );
  });
});
