import { randomUUID } from 'node:crypto';
import { TkError } from '@tongkit/sdk';
import type { Database, Queryable } from '../../platform/storage/database.js';
import { canonicalJson, requestHashOf } from '../../platform/modules/idempotency.js';
import { emitDomainEvent, type PublishInTransaction } from '../domain-events.js';
import type { StoreFulfilment } from '../fulfilment/store-fulfilment.js';
import { localTimeOf } from '../fulfilment/store-settings.js';
import type { Inventory } from '../inventory/inventory.js';
import type { Orders } from '../orders/orders.js';
import type { PickupCodes } from '../pickup/pickup-codes.js';
import { AllocationStore, LIVE, type AllocationOrderRow, type AllocationRow, type AllocationSource, type AllocationStatus } from './allocation-store.js';
import type { OrderRouter, OrderRouteOutput, RoutingDecision } from './router.js';
import { buildRoutingInput, distancesFrom, type OrderRouteInput, type RoutingFacts } from './routing-input.js';
import {
  DEFAULT_ALLOCATION_SETTINGS,
  type AllocateRequest,
  type AllocationSettings,
  type AllocationView,
  type AnswerResult,
  type OrderAllocationView,
  type RefuseRequest,
  type StartResult,
} from './schemas.js';

/** The services the saga works through (each owns its tables). */
export interface AllocationDeps {
  orders: Orders;
  inventory: Inventory;
  fulfilment: StoreFulfilment;
  router: OrderRouter;
  pickupCodes: PickupCodes;
  publishIn: PublishInTransaction;
  clock?: () => Date;
}

/** A decision that could not be applied: a place or a unit it counted on was taken meanwhile. Routed again with fresh facts. */
class Contended extends Error {}

/** How many times one routing step re-reads the facts after losing a race for stock or capacity. */
const CONTENDED_ROUNDS = 4;
const newAllocationId = () => `alc_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
const reserveBillNo = (id: string) => `alloc:${id}:reserve`;
const releaseBillNo = (id: string) => `alloc:${id}:release`;

function toView(a: AllocationRow, now: Date): AllocationView {
  const waiting = a.status === 'allocated' && a.dueAt !== null;
  return {
    id: a.id,
    orderId: a.orderId,
    storeId: a.storeId,
    attempt: a.attempt,
    lineNos: a.lineNos,
    lines: a.lines,
    status: a.status,
    source: a.source,
    reason: a.reason,
    note: a.note,
    dueAt: a.dueAt?.toISOString() ?? null,
    secondsLeft: waiting ? Math.max(0, Math.floor((a.dueAt!.getTime() - now.getTime()) / 1000)) : null,
    answeredAt: a.answeredAt?.toISOString() ?? null,
    createdAt: a.createdAt.toISOString(),
  };
}

/** The order's saga status from its allocations: waiting on a store, lines left to route, or done. */
function statusAfter(allocations: AllocationRow[], lineNos: number[]): AllocationOrderRow['status'] {
  const live = allocations.filter((a) => LIVE.includes(a.status));
  if (live.some((a) => a.status === 'allocated')) return 'allocated';
  const covered = new Set(live.flatMap((a) => a.lineNos));
  if (lineNos.some((n) => !covered.has(n))) return 'routing';
  return live.some((a) => a.source === 'warehouse') ? 'warehouse' : 'accepted';
}

/** The SKUs and quantities of some lines, one entry per SKU in SKU order (a reservation bill's lines). */
function linesOf(order: { lines: Array<{ lineNo: number; sku: string; quantity: number }> }, lineNos: number[]): Array<{ sku: string; quantity: number }> {
  const bySku = new Map<string, number>();
  for (const line of order.lines) if (lineNos.includes(line.lineNo)) bySku.set(line.sku, (bySku.get(line.sku) ?? 0) + line.quantity);
  return [...bySku].sort(([a], [b]) => (a < b ? -1 : 1)).map(([sku, quantity]) => ({ sku, quantity }));
}

/**
 * The allocation saga (商品通; Tmall's Waiting → Allocated → AllocateFail): an online order is routed by
 * `order.route` (or its fallback) to stores, which hold its goods (an inventory reservation per
 * allocation) and a place in their day's capacity; each store accepts within the SLA or refuses with a
 * reason; a refusal, a missed SLA (the sweep) or goods a till sale took (short) give the place and the
 * goods back and route the lines again, never to a store that refused; after `maxAttempts` decisions, or
 * when nobody can fill it, the warehouse takes what is left, else the order fails. A store's accept that
 * arrives after its allocation moved on answers `superseded`.
 *
 * Every step is one transaction that locks the order's saga row first, then capacity rows in store
 * order, then stock rows through inventory bills in store order (migration 054's header), so steps of
 * one order serialize and two orders never deadlock. Stock is never oversold: a reservation bill holds
 * only what is available under its row locks, and a decision that lost a race is routed again.
 */
export class AllocationSaga {
  private readonly clock: () => Date;

  constructor(
    private readonly db: Database,
    private readonly deps: AllocationDeps,
  ) {
    this.clock = deps.clock ?? (() => new Date());
  }

  async settings(merchantId: string): Promise<AllocationSettings> {
    return (await new AllocationStore(this.db).settings(merchantId)) ?? DEFAULT_ALLOCATION_SETTINGS;
  }

  async putSettings(merchantId: string, settings: AllocationSettings): Promise<AllocationSettings> {
    await this.deps.fulfilment.points(merchantId);
    await new AllocationStore(this.db).putSettings(merchantId, settings);
    return settings;
  }

  /**
   * Starts routing an order (idempotent: the same order with the same request again is a `duplicate`
   * answering its state; with another request TK_CONFLICT). The delivery location only serves to
   * compute distances to the stores; it is not stored and never reaches a plugin.
   */
  async start(merchantId: string, orderId: string, request: AllocateRequest): Promise<StartResult> {
    const order = await this.deps.orders.get(merchantId, orderId).catch((error: unknown) => {
      throw TkError.from(error, 'reading the order failed').code === 'TK_NOT_FOUND' ? new TkError('TK_NOT_FOUND', `no order ${orderId.slice(0, 64)}`, { path: '/params/id' }) : error;
    });
    // After the order's look-up: another merchant's order answers like a missing one, whatever the body.
    if (request.fulfilment === 'deliver' && !request.delivery) throw new TkError('TK_VALIDATION', 'a delivery needs the address’s location', { path: '/delivery' });
    if (request.fulfilment === 'pickup' && !request.pickupStoreId) throw new TkError('TK_VALIDATION', 'a pickup names the store the customer chose', { path: '/pickupStoreId' });
    if (request.fulfilment === 'pickup' && request.delivery) throw new TkError('TK_VALIDATION', 'a pickup order has no delivery address', { path: '/delivery' });
    if (order.kind !== 'goods') throw new TkError('TK_VALIDATION', `order ${orderId} is a service order: its stages are booked, not routed to stores`, { path: '/params/id' });
    if (order.status === 'cancelled' || order.status === 'refunded') throw new TkError('TK_CONFLICT', `order ${orderId} is ${order.status}: nothing to fulfil`, { path: '/params/id' });
    const { points } = await this.deps.fulfilment.points(merchantId);
    if (request.pickupStoreId && !points.some((p) => p.storeId === request.pickupStoreId)) {
      throw new TkError('TK_NOT_FOUND', `no fulfilment point ${request.pickupStoreId}`, { path: '/pickupStoreId', hint: 'Set the store’s fulfilment settings first (tongkit fulfilment set).' });
    }
    const settings = await this.settings(merchantId);
    const requestHash = requestHashOf(canonicalJson(request));
    const inserted = await new AllocationStore(this.db).insertOrder(merchantId, {
      orderId,
      requestHash,
      fulfilment: request.fulfilment,
      pickupStoreId: request.pickupStoreId ?? null,
      districtCode: request.delivery?.districtCode ?? null,
      distances: request.delivery ? distancesFrom(request.delivery, points) : {},
      maxAttempts: settings.maxAttempts,
      slaMinutes: settings.slaMinutes,
    });
    if (!inserted) {
      const first = await new AllocationStore(this.db).order(merchantId, orderId);
      if (first?.requestHash !== requestHash) {
        throw new TkError('TK_CONFLICT', `order ${orderId} is already being allocated with another request`, { path: '/', hint: 'Read its allocation: GET /v1/orders/:id/allocation.' });
      }
    }
    // A duplicate routes too: it picks up an order a crash left waiting for its first decision.
    await this.route(merchantId, orderId);
    return { result: inserted ? 'applied' : 'duplicate', ...(await this.view(merchantId, orderId)) };
  }

  /** The order's saga: its state, its allocations, and the pickup code once a pickup is accepted. */
  async view(merchantId: string, orderId: string): Promise<OrderAllocationView> {
    const store = new AllocationStore(this.db);
    const order = await store.order(merchantId, orderId);
    if (!order) throw new TkError('TK_NOT_FOUND', `order ${orderId.slice(0, 64)} is not being allocated`, { path: '/params/id' });
    const now = this.clock();
    const allocations = await store.allocationsOf(merchantId, orderId);
    const pickupCode = order.fulfilment === 'pickup' && order.status === 'accepted' ? ((await this.deps.pickupCodes.openCodeOf(merchantId, orderId)) ?? null) : null;
    return {
      orderId,
      fulfilment: order.fulfilment,
      status: order.status,
      attempts: order.attempts,
      maxAttempts: order.maxAttempts,
      slaMinutes: order.slaMinutes,
      refusedBy: order.refusedBy,
      fallbacks: order.fallbacks,
      failureReason: order.failureReason,
      pickupCode,
      allocations: allocations.map((a) => toView(a, now)),
    };
  }

  /** A store's queue (newest first): what it has to accept or refuse, with the SLA countdown. */
  async queue(merchantId: string, storeId: string, status: AllocationStatus | undefined, limit = 50): Promise<AllocationView[]> {
    const now = this.clock();
    return (await new AllocationStore(this.db).queue(merchantId, storeId, status, limit)).map((a) => toView(a, now));
  }

  /** TK_NOT_FOUND unless the merchant has the store (another merchant's answers the same). */
  async requireStore(merchantId: string, storeId: string): Promise<void> {
    const { rowCount } = await this.db.query('SELECT 1 FROM stores WHERE merchant_id = $1 AND id = $2', [merchantId, storeId]);
    if (rowCount === 0) throw new TkError('TK_NOT_FOUND', `no store ${storeId}`, { path: '/params/storeId' });
  }

  /** The allocation `id` at `storeId`; another store's (or merchant's) answers exactly like one that does not exist. */
  private async allocationAt(merchantId: string, storeId: string, id: string): Promise<AllocationRow> {
    const found = await new AllocationStore(this.db).allocation(merchantId, id);
    if (!found || found.storeId !== storeId) throw new TkError('TK_NOT_FOUND', `no allocation ${id} at store ${storeId}`, { path: '/params/allocationId' });
    return found;
  }

  /**
   * The store accepts its allocation: `applied`, a `duplicate` of an earlier accept, or `rejected` /
   * `superseded` when it moved on (refused, its SLA passed — also when the sweep has not run yet —, or
   * short). An accepted pickup gets its pickup code.
   */
  async accept(merchantId: string, storeId: string, allocationId: string): Promise<AnswerResult> {
    const found = await this.allocationAt(merchantId, storeId, allocationId);
    const now = this.clock();
    const outcome = await this.db.transaction(async (tx) => {
      const store = new AllocationStore(tx);
      const order = (await store.order(merchantId, found.orderId, true))!;
      const a = (await store.allocation(merchantId, allocationId))!;
      if (a.status === 'accepted') return { status: 'duplicate' as const, order };
      if (a.status === 'allocated' && a.dueAt !== null && a.dueAt <= now) {
        // The SLA passed before the sweep came by: the same as the sweep's expiry, then superseded.
        await this.free(tx, merchantId, order, a, 'expired', 'sla_missed', null, now);
        return { status: 'rejected' as const, reason: 'superseded' as const, order, reroute: true };
      }
      if (a.status !== 'allocated') return { status: 'rejected' as const, reason: 'superseded' as const, order };
      await store.answer(merchantId, allocationId, 'accepted', now);
      const lineNos = (await this.deps.orders.get(merchantId, found.orderId, tx)).lines.map((l) => l.lineNo);
      await store.updateOrder(merchantId, found.orderId, { status: statusAfter(await store.allocationsOf(merchantId, found.orderId), lineNos) });
      return { status: 'applied' as const, order };
    });
    if ('reroute' in outcome) await this.route(merchantId, found.orderId);
    else if (outcome.status !== 'rejected' && outcome.order.fulfilment === 'pickup') {
      // Issued after the accept commits (the pickup service's own transaction); the same order again answers the same code.
      await this.deps.pickupCodes.issue(merchantId, { orderId: found.orderId, storeId });
    }
    const allocation = toView((await new AllocationStore(this.db).allocation(merchantId, allocationId))!, now);
    return { status: outcome.status, ...('reason' in outcome ? { reason: outcome.reason } : {}), allocation };
  }

  /** The store refuses with a reason: its goods and its place go back, and the lines are routed again, never to this store. */
  async refuse(merchantId: string, storeId: string, allocationId: string, request: RefuseRequest): Promise<AnswerResult> {
    const found = await this.allocationAt(merchantId, storeId, allocationId);
    const now = this.clock();
    const outcome = await this.db.transaction(async (tx) => {
      const store = new AllocationStore(tx);
      const order = (await store.order(merchantId, found.orderId, true))!;
      const a = (await store.allocation(merchantId, allocationId))!;
      if (a.status === 'refused') return { status: 'duplicate' as const };
      if (a.status === 'accepted') return { status: 'rejected' as const, reason: 'already_accepted' as const };
      if (a.status !== 'allocated') return { status: 'rejected' as const, reason: 'superseded' as const };
      await this.free(tx, merchantId, order, a, 'refused', request.reason, request.note ?? null, now);
      return { status: 'applied' as const };
    });
    if (outcome.status === 'applied') await this.route(merchantId, found.orderId);
    const allocation = toView((await new AllocationStore(this.db).allocation(merchantId, allocationId))!, now);
    return { ...outcome, allocation };
  }

  /**
   * Ends a live allocation (the caller holds the order's row): its place in the store's day and its
   * goods go back, and the order waits for a new decision. A refusal or a missed SLA also keeps the
   * store from this order; a short allocation does not (the store simply lacks the goods now).
   */
  private async free(tx: Queryable, merchantId: string, order: AllocationOrderRow, a: AllocationRow, status: 'refused' | 'expired' | 'short', reason: string, note: string | null, now: Date): Promise<void> {
    const store = new AllocationStore(tx);
    // The warehouse step takes no place in a day's capacity.
    if (a.source !== 'warehouse') await store.giveCapacity(merchantId, a.storeId, a.localDay);
    await this.deps.inventory.applyBillIn(tx, merchantId, { billNo: releaseBillNo(a.id), kind: 'release', reservationId: a.id });
    await store.answer(merchantId, a.id, status, now, reason, note);
    const refusedBy = status === 'short' || order.refusedBy.includes(a.storeId) ? order.refusedBy : [...order.refusedBy, a.storeId];
    await store.updateOrder(merchantId, order.orderId, { status: 'routing', refusedBy });
  }

  /**
   * Routes the order's uncovered lines (all of them at first; after a refusal, those of the refused
   * part), when it waits for a decision: the facts are read, `order.route` decides (or its fallback),
   * and the decision is applied in one transaction. A decision that lost a race for the last unit or
   * the last place is routed again with fresh facts; past `maxAttempts` decisions — or when nothing
   * can fill the lines — the warehouse takes them, else the order fails.
   */
  async route(merchantId: string, orderId: string): Promise<void> {
    for (let round = 0; round < CONTENDED_ROUNDS; round++) {
      const state = await new AllocationStore(this.db).order(merchantId, orderId);
      if (!state || state.status !== 'routing') return;
      const order = await this.deps.orders.get(merchantId, orderId);
      const allocations = await new AllocationStore(this.db).allocationsOf(merchantId, orderId);
      const covered = new Set(allocations.filter((a) => LIVE.includes(a.status)).flatMap((a) => a.lineNos));
      const lines = order.lines
        .map((l) => ({ lineNo: l.lineNo, sku: l.sku, quantity: l.quantity - l.refundedQuantity }))
        .filter((l) => l.quantity > 0 && !covered.has(l.lineNo));
      const now = this.clock();
      try {
        if (state.attempts >= state.maxAttempts) {
          await this.toWarehouse(merchantId, order, state, lines, `no store accepted in ${state.maxAttempts} routing decisions`, now);
          return;
        }
        const facts = await this.facts(merchantId, lines.map((l) => l.sku), now);
        const input = buildRoutingInput(
          { orderId, channel: order.channel, fulfilment: state.fulfilment, pickupStoreId: state.pickupStoreId, districtCode: state.districtCode, totalFen: order.totalFen, lines, distances: state.distances, refusedBy: state.refusedBy },
          facts,
        );
        if (input.order.lines.length === 0) return;
        const decision = await this.deps.router.decide(merchantId, input);
        if (decision.output.allocations.length === 0) {
          await this.toWarehouse(merchantId, order, state, lines, decision.output.reason, now);
          return;
        }
        await this.apply(merchantId, order, state, input, decision, facts, now);
        return;
      } catch (error) {
        if (!(error instanceof Contended)) throw error;
      }
    }
    // Still contended: the order stays in routing and the sweep routes it again.
  }

  /** The facts of a decision: the fulfilment points, their available stock of `skus`, the places taken today. */
  private async facts(merchantId: string, skus: string[], now: Date): Promise<RoutingFacts> {
    const { timeZone, points } = await this.deps.fulfilment.points(merchantId);
    const available = new Map<string, Map<string, number>>();
    for (const level of await this.deps.inventory.stockAcrossStores(merchantId, [...new Set(skus)])) {
      let store = available.get(level.storeId);
      if (!store) available.set(level.storeId, (store = new Map()));
      store.set(level.sku, level.available);
    }
    const usedToday = await new AllocationStore(this.db).usedOn(merchantId, localTimeOf(now, timeZone).date);
    return { timeZone, points, available, usedToday, now };
  }

  /** Applies a checked decision: places (store order), then reservations (store order), then the allocations and `order.allocated`. */
  private async apply(merchantId: string, order: Awaited<ReturnType<Orders['get']>>, state: AllocationOrderRow, input: OrderRouteInput, decision: RoutingDecision, facts: RoutingFacts, now: Date): Promise<void> {
    const parts = [...decision.output.allocations].sort((a, b) => (a.storeId < b.storeId ? -1 : 1)).map((part) => {
      const lineNos = part.lines.map(Number).sort((a, b) => a - b);
      return { id: newAllocationId(), storeId: part.storeId, lineNos, lines: linesOf(order, lineNos), kind: input.candidates.find((c) => c.storeId === part.storeId)!.kind };
    });
    const localDay = localTimeOf(now, facts.timeZone).date;
    const dueAt = new Date(now.getTime() + state.slaMinutes * 60_000);
    await this.db.transaction(async (tx) => {
      const store = new AllocationStore(tx);
      const locked = await store.order(merchantId, order.id, true);
      // Someone else decided meanwhile (another process's sweep): theirs stands.
      if (!locked || locked.status !== 'routing' || locked.attempts !== state.attempts) return;
      for (const part of parts) {
        const capacity = facts.points.find((p) => p.storeId === part.storeId)!.settings.dailyCapacity;
        if (!(await store.takeCapacity(merchantId, part.storeId, localDay, capacity))) throw new Contended();
      }
      for (const part of parts) {
        const bill = await this.deps.inventory.applyBillIn(tx, merchantId, { billNo: reserveBillNo(part.id), kind: 'reservation', storeId: part.storeId, reservationId: part.id, lines: part.lines });
        if (bill.status !== 'applied') throw new Contended();
        await store.insertAllocation(merchantId, { id: part.id, orderId: order.id, storeId: part.storeId, attempt: locked.attempts + 1, lineNos: part.lineNos, lines: part.lines, status: 'allocated', source: decision.source, localDay, dueAt });
      }
      await store.updateOrder(merchantId, order.id, { status: 'allocated', attempts: locked.attempts + 1, fallbacks: locked.fallbacks + (decision.source === 'fallback' ? 1 : 0) });
      await this.announce(tx, merchantId, order.id, locked, locked.attempts + 1, decision.source, parts.map((p) => ({ ...p, dueAt })), now);
    });
  }

  /**
   * After the stores: the first warehouse whose available stock covers the lines takes them (accepted at
   * once: a warehouse has no acceptance step), else the order fails (AllocateFail) with the reason. A
   * pickup order never goes to a warehouse.
   */
  private async toWarehouse(merchantId: string, order: Awaited<ReturnType<Orders['get']>>, state: AllocationOrderRow, lines: Array<{ lineNo: number; sku: string; quantity: number }>, reason: string, now: Date): Promise<void> {
    const lineNos = lines.map((l) => l.lineNo);
    const wanted = linesOf({ lines }, lineNos);
    const facts = await this.facts(merchantId, wanted.map((l) => l.sku), now);
    const warehouses = state.fulfilment === 'pickup' ? [] : facts.points.filter((p) => p.channel === 'warehouse' && wanted.every((l) => (facts.available.get(p.storeId)?.get(l.sku) ?? 0) >= l.quantity));
    const localDay = localTimeOf(now, facts.timeZone).date;
    await this.db.transaction(async (tx) => {
      const store = new AllocationStore(tx);
      const locked = await store.order(merchantId, order.id, true);
      if (!locked || locked.status !== 'routing' || locked.attempts !== state.attempts) return;
      for (const warehouse of warehouses) {
        const id = newAllocationId();
        const bill = await this.deps.inventory.applyBillIn(tx, merchantId, { billNo: reserveBillNo(id), kind: 'reservation', storeId: warehouse.storeId, reservationId: id, lines: wanted });
        if (bill.status !== 'applied') continue;
        await store.insertAllocation(merchantId, { id, orderId: order.id, storeId: warehouse.storeId, attempt: locked.attempts + 1, lineNos, lines: wanted, status: 'accepted', source: 'warehouse', localDay, dueAt: null });
        const status = statusAfter(await store.allocationsOf(merchantId, order.id), order.lines.map((l) => l.lineNo));
        await store.updateOrder(merchantId, order.id, { status, attempts: locked.attempts + 1, failureReason: reason });
        await this.announce(tx, merchantId, order.id, locked, locked.attempts + 1, 'warehouse', [{ id, storeId: warehouse.storeId, kind: 'warehouse', lineNos, lines: wanted, dueAt: null }], now);
        return;
      }
      await store.updateOrder(merchantId, order.id, { status: 'failed', failureReason: `${reason}; ${state.fulfilment === 'pickup' ? 'a pickup order goes to its chosen store only' : 'no warehouse has the goods'}` });
    });
  }

  private async announce(tx: Queryable, merchantId: string, orderId: string, order: AllocationOrderRow, attempt: number, source: AllocationSource, parts: Array<{ id: string; storeId: string; kind: 'store' | 'warehouse'; lineNos: number[]; lines: Array<{ sku: string; quantity: number }>; dueAt: Date | null }>, now: Date): Promise<void> {
    await emitDomainEvent(this.deps.publishIn, tx, merchantId, {
      id: `order.allocated:${orderId}:${attempt}`,
      type: 'order.allocated',
      occurredAt: now,
      data: {
        orderId,
        fulfilment: order.fulfilment,
        attempt,
        source,
        allocations: parts.map((p) => ({ allocationId: p.id, storeId: p.storeId, kind: p.kind, lineNos: p.lineNos, lines: p.lines, dueAt: p.dueAt?.toISOString() ?? null })),
      },
    });
  }

  /**
   * The saga's periodic work, for every merchant: allocations whose SLA passed are expired (a refusal)
   * and rerouted; allocations a till sale left short are freed and rerouted; orders a crash left waiting
   * for a decision are routed. Returns what it did. Safe to run in several processes at once: every
   * step re-checks under the order's lock. `at`: the instant to sweep as of (default now).
   */
  async sweep(options: { limit?: number; at?: Date } = {}): Promise<{ expired: number; short: number; routed: number }> {
    const now = options.at ?? this.clock();
    const limit = options.limit ?? 200;
    const store = new AllocationStore(this.db);
    let expired = 0;
    let short = 0;
    for (const due of await store.overdue(now, limit)) {
      const a = await store.allocation(due.merchantId, due.id);
      if (!a) continue;
      if (await this.endIfStill(due.merchantId, a, ['allocated'], 'expired', 'sla_missed', now, (x) => x.dueAt !== null && x.dueAt <= now)) expired++;
      await this.route(due.merchantId, a.orderId);
    }
    for (const found of await this.deps.inventory.shortReservations('alc_', limit)) {
      const a = await store.allocation(found.merchantId, found.reservationId);
      if (!a) continue;
      if (await this.endIfStill(found.merchantId, a, LIVE, 'short', 'stock_short', now)) short++;
      await this.route(found.merchantId, a.orderId);
    }
    const stalled = await store.stalled(new Date(now.getTime() - 60_000), limit);
    for (const s of stalled) await this.route(s.merchantId, s.orderId);
    return { expired, short, routed: stalled.length };
  }

  private async endIfStill(merchantId: string, a: AllocationRow, statuses: readonly AllocationStatus[], status: 'expired' | 'short', reason: string, now: Date, also: (a: AllocationRow) => boolean = () => true): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const store = new AllocationStore(tx);
      const order = (await store.order(merchantId, a.orderId, true))!;
      const current = (await store.allocation(merchantId, a.id))!;
      if (!statuses.includes(current.status) || !also(current)) {
        // Not live any more but its reservation is short: close it, so the sweep does not see it again.
        if (status === 'short' && !LIVE.includes(current.status)) await this.deps.inventory.applyBillIn(tx, merchantId, { billNo: `${releaseBillNo(a.id)}:short`, kind: 'release', reservationId: a.id });
        return false;
      }
      await this.free(tx, merchantId, order, current, status, reason, null, now);
      return true;
    });
  }
}

export type { OrderRouteOutput };
