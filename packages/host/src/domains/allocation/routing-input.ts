import type { PointInput } from '@tongkit/sdk';
import type { StoredFulfilment } from '../fulfilment/store-fulfilment.js';
import { isOpenAt } from '../fulfilment/store-settings.js';

/** The `order.route` input, as the SDK's catalogue types it. */
export type OrderRouteInput = PointInput<'order.route'>;

/** A point on the earth (WGS-84 degrees). */
export interface LatLng {
  lat: number;
  lng: number;
}

const EARTH_RADIUS_M = 6_371_008.8;
const radians = (degrees: number) => (degrees * Math.PI) / 180;

/**
 * Great-circle distance in whole metres (haversine on the mean earth radius): good to a few metres at
 * city scale, which is all a delivery radius asks. The host computes it; plugins only ever see the result.
 */
export function distanceMetres(a: LatLng, b: LatLng): number {
  const dLat = radians(b.lat - a.lat);
  const dLng = radians(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(radians(a.lat)) * Math.cos(radians(b.lat)) * Math.sin(dLng / 2) ** 2;
  return Math.round(2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h))));
}

/** Distances from the delivery address to every fulfilment point with a location, by store id. */
export function distancesFrom(delivery: LatLng, points: ReadonlyArray<Pick<StoredFulfilment, 'storeId' | 'settings'>>): Record<string, number> {
  const distances: Record<string, number> = {};
  for (const point of points) if (point.settings.location) distances[point.storeId] = distanceMetres(delivery, point.settings.location);
  return distances;
}

/** What routing knows about an order, from the host's own tables (never from the caller of the decision). */
export interface RoutableOrder {
  orderId: string;
  channel: string;
  fulfilment: 'deliver' | 'pickup';
  pickupStoreId: string | null;
  districtCode: string | null;
  totalFen: number;
  /** The lines still to route (not held by a live allocation). */
  lines: Array<{ lineNo: number; sku: string; quantity: number }>;
  distances: Record<string, number>;
  refusedBy: string[];
}

/** The facts of the merchant's fulfilment points at the moment of the decision. */
export interface RoutingFacts {
  timeZone: string;
  points: ReadonlyArray<StoredFulfilment & { channel: string }>;
  /** Available units by store id, then SKU. */
  available: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** Orders each store took today (the merchant's local day), by store id. */
  usedToday: ReadonlyMap<string, number>;
  now: Date;
}

/**
 * Assembles the `order.route` input from the host's data: every fulfilment point of the merchant as a
 * candidate with its stock of the order's SKUs, the capacity it has left today, whether it is open now
 * (working hours and closed days in the merchant's time zone), the distance the host computed to the
 * delivery address (null for pickup orders and stores without a location), whether it delivers there
 * (within its radius, the order at or above its minimum), its priority, and the stores that refused.
 * The customer's precise location is not in it: only distances are.
 */
export function buildRoutingInput(order: RoutableOrder, facts: RoutingFacts): OrderRouteInput {
  const skus = [...new Set(order.lines.map((l) => l.sku))].sort();
  return {
    order: {
      id: order.orderId,
      channel: order.channel,
      fulfilment: order.fulfilment,
      pickupStoreId: order.pickupStoreId,
      districtCode: order.districtCode,
      totalFen: order.totalFen,
      lines: order.lines.map((l) => ({ lineId: String(l.lineNo), sku: l.sku, quantity: l.quantity })),
    },
    candidates: facts.points.map((point) => {
      const s = point.settings;
      const distanceM = order.fulfilment === 'deliver' ? (order.distances[point.storeId] ?? null) : null;
      const stock = facts.available.get(point.storeId);
      return {
        storeId: point.storeId,
        kind: point.channel === 'warehouse' ? ('warehouse' as const) : ('store' as const),
        capabilities: [...s.capabilities],
        openNow: isOpenAt(s, facts.timeZone, facts.now),
        remainingCapacityToday: Math.max(0, s.dailyCapacity - (facts.usedToday.get(point.storeId) ?? 0)),
        distanceM,
        deliversHere: order.fulfilment === 'deliver' && distanceM !== null && distanceM <= s.deliveryRadiusM && order.totalFen >= s.minDeliveryOrderFen,
        priority: s.priority,
        stock: skus.map((sku) => ({ sku, available: stock?.get(sku) ?? 0 })),
      };
    }),
    refusedBy: [...order.refusedBy],
    now: facts.now.toISOString(),
  };
}
