import { Type, type Static } from '@sinclair/typebox';
import { Fen, SYNC_POINT_BUDGET, Timestamp, type ExtensionPointSpec, type OutputProblem } from './shared.js';

const StoreId = Type.String({ minLength: 1, maxLength: 64 });
const LineId = Type.String({ minLength: 1, maxLength: 64 });
const Sku = Type.String({ minLength: 1, maxLength: 64 });

const OrderRouteInput = Type.Object(
  {
    order: Type.Object(
      {
        id: Type.String({ minLength: 1, maxLength: 128 }),
        channel: Type.String({ minLength: 1, maxLength: 32, description: 'where it was placed: online, mini-program, …' }),
        fulfilment: Type.Union([Type.Literal('deliver'), Type.Literal('pickup')]),
        pickupStoreId: Type.Union([StoreId, Type.Null()], { description: 'the store the customer chose (pickup orders)' }),
        districtCode: Type.Union([Type.String({ pattern: '^[0-9]{6}$' }), Type.Null()], { description: 'delivery district (行政区划代码); never the precise address' }),
        totalFen: Fen(),
        lines: Type.Array(Type.Object({ lineId: LineId, sku: Sku, quantity: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }), { minItems: 1, maxItems: 50 }),
      },
      { additionalProperties: false },
    ),
    candidates: Type.Array(
      Type.Object(
        {
          storeId: StoreId,
          kind: Type.Union([Type.Literal('store'), Type.Literal('warehouse')]),
          capabilities: Type.Array(Type.Union([Type.Literal('deliver'), Type.Literal('pickup')])),
          openNow: Type.Boolean(),
          remainingCapacityToday: Type.Integer({ minimum: 0, description: 'orders it can still take today (merchant’s local day)' }),
          distanceM: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'to the delivery address, computed by the host; null for pickup orders' }),
          deliversHere: Type.Boolean({ description: 'the address is within its delivery radius and the order meets its minimum' }),
          priority: Type.Integer({ minimum: 0, maximum: 10 }),
          stock: Type.Array(Type.Object({ sku: Sku, available: Type.Integer({ minimum: 0 }) }, { additionalProperties: false })),
        },
        { additionalProperties: false },
      ),
      { maxItems: 200 },
    ),
    refusedBy: Type.Array(StoreId, { description: 'stores that already refused this order (never allocate to them again)' }),
    now: Timestamp({ description: 'The decision time; plugins must use this, not a clock' }),
  },
  { additionalProperties: false },
);
export type OrderRouteInput = Static<typeof OrderRouteInput>;

const OrderRouteOutput = Type.Object(
  {
    allocations: Type.Array(Type.Object({ storeId: StoreId, lines: Type.Array(LineId, { minItems: 1 }) }, { additionalProperties: false }), {
      maxItems: 50,
      description: 'who fulfils which lines; empty = not routable',
    }),
    reason: Type.String({ minLength: 1, maxLength: 200, description: 'why (for a not-routable answer: what is missing)' }),
  },
  { additionalProperties: false },
);
export type OrderRouteOutput = Static<typeof OrderRouteOutput>;
type Candidate = OrderRouteInput['candidates'][number];

/** Whether `store` can take the lines `lineIds` of the order now (open, capacity, capability, stock, not refused). */
function canTake(input: OrderRouteInput, store: Candidate, lineIds: readonly string[]): string | undefined {
  if (input.refusedBy.includes(store.storeId)) return `store ${store.storeId} already refused this order`;
  if (!store.openNow) return `store ${store.storeId} is closed now`;
  if (store.remainingCapacityToday < 1) return `store ${store.storeId} has no capacity left today`;
  if (!store.capabilities.includes(input.order.fulfilment)) return `store ${store.storeId} does not ${input.order.fulfilment === 'deliver' ? 'deliver' : 'offer pickup'}`;
  if (input.order.fulfilment === 'deliver' && !store.deliversHere) return `store ${store.storeId} does not deliver to this address`;
  const needed = new Map<string, number>();
  for (const id of lineIds) {
    const line = input.order.lines.find((l) => l.lineId === id);
    if (line) needed.set(line.sku, (needed.get(line.sku) ?? 0) + line.quantity);
  }
  for (const [sku, quantity] of needed) {
    const available = store.stock.find((s) => s.sku === sku)?.available ?? 0;
    if (available < quantity) return `store ${store.storeId} has ${available} of ${sku}, the lines need ${quantity}`;
  }
  return undefined;
}

/**
 * The platform default: the nearest open store that can fill the whole order (ties: higher priority,
 * then store id), else the first warehouse that can; a pickup order goes to the chosen store or nowhere.
 */
export function routeToNearestStore(input: OrderRouteInput): OrderRouteOutput {
  const all = input.order.lines.map((l) => l.lineId);
  if (input.order.fulfilment === 'pickup') {
    const chosen = input.candidates.find((c) => c.storeId === input.order.pickupStoreId);
    const problem = chosen ? canTake(input, chosen, all) : 'the pickup store is not a candidate';
    return problem || !chosen ? { allocations: [], reason: `not routable: ${problem}` } : { allocations: [{ storeId: chosen.storeId, lines: all }], reason: 'platform default: the chosen pickup store' };
  }
  const able = input.candidates.filter((c) => canTake(input, c, all) === undefined);
  const stores = able
    .filter((c) => c.kind === 'store')
    .sort((a, b) => (a.distanceM ?? Infinity) - (b.distanceM ?? Infinity) || b.priority - a.priority || (a.storeId < b.storeId ? -1 : 1));
  const nearest = stores[0];
  if (nearest) return { allocations: [{ storeId: nearest.storeId, lines: all }], reason: 'platform default: nearest open store that can fill the whole order' };
  const warehouse = able.find((c) => c.kind === 'warehouse');
  if (warehouse) return { allocations: [{ storeId: warehouse.storeId, lines: all }], reason: 'platform default: no store can fill the order; the warehouse' };
  return { allocations: [], reason: 'not routable: no store or warehouse can fill the whole order' };
}

/**
 * What the host checks in a routing decision, each at its JSON path: allocated stores are candidates that
 * can take their lines (stock, capacity, open, capability, not refused), each at most once; every line is
 * covered exactly once; a pickup order goes whole to the chosen store; an empty answer gives a reason.
 */
export function checkOrderRoute(input: OrderRouteInput, output: OrderRouteOutput): OutputProblem[] {
  const problems: OutputProblem[] = [];
  const covered = new Map<string, string>();
  const stores = new Set<string>();
  output.allocations.forEach((allocation, i) => {
    const store = input.candidates.find((c) => c.storeId === allocation.storeId);
    if (!store) problems.push({ path: `/allocations/${i}/storeId`, message: `store ${allocation.storeId} is not a candidate` });
    if (stores.has(allocation.storeId)) problems.push({ path: `/allocations/${i}/storeId`, message: `store ${allocation.storeId} is allocated twice: give it one allocation` });
    stores.add(allocation.storeId);
    allocation.lines.forEach((lineId, j) => {
      if (!input.order.lines.some((l) => l.lineId === lineId)) problems.push({ path: `/allocations/${i}/lines/${j}`, message: `line ${lineId} is not in the order` });
      else if (covered.has(lineId)) problems.push({ path: `/allocations/${i}/lines/${j}`, message: `line ${lineId} is already allocated to ${covered.get(lineId)}` });
      else covered.set(lineId, allocation.storeId);
    });
    const problem = store && canTake(input, store, allocation.lines);
    if (problem) problems.push({ path: `/allocations/${i}`, message: problem });
  });
  if (output.allocations.length > 0) {
    const missing = input.order.lines.filter((l) => !covered.has(l.lineId)).map((l) => l.lineId);
    if (missing.length > 0) problems.push({ path: '/allocations', message: `lines ${missing.join(', ')} are not allocated: cover every line, or allocate none (not routable)` });
    if (input.order.fulfilment === 'pickup') {
      if (output.allocations.length > 1) problems.push({ path: '/allocations', message: 'a pickup order is never split across stores' });
      else if (output.allocations[0]!.storeId !== input.order.pickupStoreId) problems.push({ path: '/allocations/0/storeId', message: `a pickup order goes to the chosen store ${input.order.pickupStoreId}` });
    }
  }
  return problems;
}

/**
 * `order.route` (商品通): which store(s) fulfil an online order. Exclusive. The input carries distances the
 * host computed, never the customer's precise location. Fallback: the nearest open store that can fill the
 * whole order, else the warehouse.
 */
export const orderRoute = {
  id: 'order.route',
  apiVersion: '2026-11',
  primitive: '商品通',
  title: 'Route an order to stores',
  description:
    'Decides which store(s) fulfil an order from stock per line, remaining capacity today, opening, distance to the delivery address (computed by the host), priority and earlier refusals. The host checks the allocation, reserves the stock and runs the acceptance saga.',
  input: OrderRouteInput,
  output: OrderRouteOutput,
  budget: SYNC_POINT_BUDGET,
  combine: 'exclusive',
  permissions: ['inventory:read', 'orders:read'],
  fallback: 'nearest open store that can fill the whole order, else the warehouse',
  fallbackOutput: routeToNearestStore,
  checkOutput: (input, output) => checkOrderRoute(input as OrderRouteInput, output as OrderRouteOutput),
} satisfies ExtensionPointSpec<typeof OrderRouteInput, typeof OrderRouteOutput>;
