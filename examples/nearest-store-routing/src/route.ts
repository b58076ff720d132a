import type { PointInput, PointOutput } from '@tongkit/sdk';

type Input = PointInput<'order.route'>;
type Output = PointOutput<'order.route'>;
type Candidate = Input['candidates'][number];

/** The merchant's routing settings. */
export interface RoutingSettings {
  /** Stores farther than this from the delivery address are not considered (metres). */
  maxDistanceM: number;
  /** true: one store for the whole order when any can fill it; false: each line to the best store that has it. */
  preferSingleStore: boolean;
  /** How many metres one point of store priority is worth: a priority-10 store 10 × this farther away still ranks equal. */
  priorityWeightM: number;
}

/** Whether a store may take part of this order at all (the host checks the same and refuses an output that breaks it). */
function eligible(input: Input, store: Candidate, settings: RoutingSettings): boolean {
  if (input.refusedBy.includes(store.storeId) || !store.openNow || store.remainingCapacityToday < 1) return false;
  if (!store.capabilities.includes(input.order.fulfilment)) return false;
  if (input.order.fulfilment === 'deliver') return store.deliversHere && store.distanceM !== null && store.distanceM <= settings.maxDistanceM;
  return true;
}

const score = (store: Candidate, settings: RoutingSettings) => (store.distanceM ?? 0) - store.priority * settings.priorityWeightM;
const availableOf = (store: Candidate) => new Map(store.stock.map((s) => [s.sku, s.available]));

/** Whether `store` has the stock for all of `lines`, counted per SKU. */
function fills(store: Candidate, lines: Input['order']['lines']): boolean {
  const left = availableOf(store);
  for (const line of lines) {
    const have = left.get(line.sku) ?? 0;
    if (have < line.quantity) return false;
    left.set(line.sku, have - line.quantity);
  }
  return true;
}

/**
 * Routes an order: a pickup to the chosen store when it can take it; a delivery to the best-ranked
 * store within the maximum distance (rank: distance minus priority × weight, then store id) — the whole
 * order to one store when preferred and possible, else each line to the best store that still has it.
 * Anything it cannot place makes the order not routable, with the reason (the host then applies its
 * own default or the warehouse).
 */
export function routeOrder(input: Input, settings: RoutingSettings): Output {
  const lines = input.order.lines;
  if (input.order.fulfilment === 'pickup') {
    const chosen = input.candidates.find((c) => c.storeId === input.order.pickupStoreId);
    if (!chosen || !eligible(input, chosen, settings) || !fills(chosen, lines)) return { allocations: [], reason: 'the chosen pickup store cannot take the order' };
    return { allocations: [{ storeId: chosen.storeId, lines: lines.map((l) => l.lineId) }], reason: 'the chosen pickup store' };
  }
  const ranked = input.candidates.filter((c) => eligible(input, c, settings)).sort((a, b) => score(a, settings) - score(b, settings) || (a.storeId < b.storeId ? -1 : 1));
  if (ranked.length === 0) return { allocations: [], reason: `no open store with capacity delivers here within ${settings.maxDistanceM} m` };
  if (settings.preferSingleStore) {
    const whole = ranked.find((c) => fills(c, lines));
    if (whole) return { allocations: [{ storeId: whole.storeId, lines: lines.map((l) => l.lineId) }], reason: 'one store for the whole order' };
  }
  const left = new Map(ranked.map((c) => [c.storeId, availableOf(c)]));
  const byStore = new Map<string, string[]>();
  for (const line of lines) {
    const store = ranked.find((c) => (left.get(c.storeId)!.get(line.sku) ?? 0) >= line.quantity);
    if (!store) return { allocations: [], reason: `no store within ${settings.maxDistanceM} m has ${line.quantity} of ${line.sku}` };
    const stock = left.get(store.storeId)!;
    stock.set(line.sku, stock.get(line.sku)! - line.quantity);
    byStore.set(store.storeId, [...(byStore.get(store.storeId) ?? []), line.lineId]);
  }
  return { allocations: [...byStore].map(([storeId, lineIds]) => ({ storeId, lines: lineIds })), reason: byStore.size > 1 ? 'split across the nearest stores that have the goods' : 'the nearest store that has the goods' };
}
