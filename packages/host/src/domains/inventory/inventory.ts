import { TkError } from '@tongkit/sdk';
import type { Database, Queryable } from '../../platform/storage/database.js';
import type { HostPlatform } from '../../platform/modules/host-module.js';
import { canonicalJson, requestHashOf } from '../../platform/modules/idempotency.js';
import { InventoryStore, shortReservationIds, stockAcrossStores, stockLevelOf, type Movement, type StockRow } from './inventory-store.js';
import type { BillRejection, BillResult, InventoryBill, StockLevel } from './schemas.js';

type Publish = HostPlatform['publishIn'];

/** Paths are relative to the bill; a host call passes its argument's path as `at`. */
function checkBill(bill: InventoryBill, at = ''): void {
  if (!('lines' in bill)) return;
  const seen = new Set<string>();
  bill.lines.forEach((line, index) => {
    if (seen.has(line.sku)) throw new TkError('TK_VALIDATION', `SKU ${line.sku} appears twice in the bill`, { path: `${at}/lines/${index}/sku`, hint: 'Give each SKU one line.' });
    seen.add(line.sku);
    if ('delta' in line && line.delta === 0) throw new TkError('TK_VALIDATION', 'an adjustment line changes stock: delta is not 0', { path: `${at}/lines/${index}/delta` });
  });
}

/** The working state of one bill: the locked rows, what it changes, what it leaves short. */
class BillWork {
  readonly movements: Array<Movement & { onHandAfter: number; reservedAfter: number }> = [];
  readonly shortReservations: BillResult['shortReservations'] = [];
  readonly touched = new Set<string>();

  constructor(
    readonly storeId: string,
    readonly rows: Map<string, StockRow>,
  ) {}

  row(sku: string): StockRow {
    const row = this.rows.get(sku);
    if (!row) throw new TkError('TK_INTERNAL', `stock row ${this.storeId}/${sku} was not locked`);
    return row;
  }

  change(movement: Movement): void {
    const row = this.row(movement.sku);
    row.onHand += movement.onHandDelta;
    row.reserved += movement.reservedDelta;
    this.touched.add(movement.sku);
    this.movements.push({ ...movement, onHandAfter: row.onHand, reservedAfter: row.reserved });
  }

  stock(): StockLevel[] {
    return [...this.touched].sort().map((sku) => stockLevelOf(this.storeId, this.row(sku)));
  }
}

/**
 * Inventory (商品通): stock per (store, SKU), changed only by bills with the merchant's bill number.
 *
 * - The same number with the same body is a `duplicate` returning the first outcome (a rejected bill's
 *   too); with another body TK_CONFLICT.
 * - A till's outbound sale always applies; the reservations it leaves uncovered (newest first) are marked
 *   short, and on hand below zero is flagged for a count.
 * - A reservation holds all its lines or none, never more than is available when it is made.
 * - Every change writes a movement row and an `inventory.changed` event to the outbox, in the bill's
 *   transaction; rows are locked in one order (migration 051's header), so concurrent bills never deadlock.
 */
export class Inventory {
  constructor(
    private readonly db: Database,
    private readonly publishIn: Publish,
  ) {}

  /** Applies a bill in its own transaction. */
  async applyBill(merchantId: string, bill: InventoryBill): Promise<BillResult> {
    checkBill(bill);
    return this.db.transaction((tx) => this.applyBillIn(tx, merchantId, bill));
  }

  /** Applies a bill on the caller's transaction (a host call's, with its idempotency record). `at`: the bill's JSON path in the caller's request. */
  async applyBillIn(tx: Queryable, merchantId: string, bill: InventoryBill, at = ''): Promise<BillResult> {
    checkBill(bill, at);
    const store = new InventoryStore(tx);
    const requestHash = requestHashOf(canonicalJson(bill));
    if (!(await store.claimBill(merchantId, bill.billNo, bill.kind, requestHash))) {
      const first = await store.billOf(merchantId, bill.billNo);
      if (first?.requestHash !== requestHash) {
        throw new TkError('TK_CONFLICT', `bill number ${bill.billNo} was already used for another bill`, {
          path: `${at}/billNo`,
          hint: 'A bill number names one bill: resend it only with the same body, or give a new bill a new number.',
        });
      }
      const result = first.result as BillResult;
      return { ...result, status: 'duplicate', firstStatus: result.status === 'rejected' ? 'rejected' : 'applied' };
    }
    const result = await this.apply(store, merchantId, bill, at);
    await store.storeResult(merchantId, bill.billNo, result);
    return result;
  }

  private async apply(store: InventoryStore, merchantId: string, bill: InventoryBill, at: string): Promise<BillResult> {
    const base = { billNo: bill.billNo, kind: bill.kind };
    const reject = (reason: BillRejection, extra: Partial<BillResult> = {}, stock: StockLevel[] = []): BillResult => ({
      ...base,
      status: 'rejected',
      reason,
      stock,
      shortReservations: [],
      ...extra,
    });

    if (bill.kind === 'release' || bill.kind === 'fulfilment') {
      const found = await store.reservationLines(merchantId, bill.reservationId);
      if (found.length === 0) return reject('reservation_not_found');
      const storeId = found[0]!.storeId;
      const work = new BillWork(storeId, await store.lockStock(merchantId, storeId, found.map((l) => l.sku)));
      // Read again under the stock rows' locks: a sale may have marked a line short meanwhile.
      const lines = await store.reservationLines(merchantId, bill.reservationId, true);
      if (bill.kind === 'fulfilment') {
        if (lines.some((l) => l.status === 'short')) return reject('reservation_short');
        if (!lines.every((l) => l.status === 'held')) return reject('reservation_not_open');
        for (const l of lines) work.change({ storeId, sku: l.sku, kind: 'fulfilment', onHandDelta: -l.quantity, reservedDelta: -l.quantity, reservationId: l.reservationId });
        await store.setReservationStatus(merchantId, bill.reservationId, lines.map((l) => l.sku), 'fulfilled');
      } else {
        const open = lines.filter((l) => l.status === 'held' || l.status === 'short');
        if (open.length === 0) return reject('reservation_not_open');
        for (const l of open) {
          // A short line holds nothing any more: releasing it only closes it.
          if (l.status === 'held') work.change({ storeId, sku: l.sku, kind: 'release', onHandDelta: 0, reservedDelta: -l.quantity, reservationId: l.reservationId });
        }
        await store.setReservationStatus(merchantId, bill.reservationId, open.map((l) => l.sku), 'released');
      }
      return this.finish(store, merchantId, bill, work);
    }

    if (!(await store.storeExists(merchantId, bill.storeId))) throw new TkError('TK_NOT_FOUND', `no store ${bill.storeId}`, { path: `${at}/storeId` });
    const skus = bill.lines.map((l) => l.sku);
    // A reservation never creates stock rows: a SKU the store has never stocked has nothing to hold.
    if (bill.kind !== 'reservation') await store.ensureStock(merchantId, bill.storeId, skus);
    const work = new BillWork(bill.storeId, await store.lockStock(merchantId, bill.storeId, skus));

    switch (bill.kind) {
      case 'inbound':
        for (const l of bill.lines) work.change({ storeId: bill.storeId, sku: l.sku, kind: 'inbound', onHandDelta: l.quantity, reservedDelta: 0 });
        break;
      case 'outbound':
        for (const l of bill.lines) work.change({ storeId: bill.storeId, sku: l.sku, kind: 'outbound', onHandDelta: -l.quantity, reservedDelta: 0 });
        await this.markUncoveredShort(store, merchantId, work, skus);
        break;
      case 'adjustment': {
        const negative = bill.lines.filter((l) => work.row(l.sku).onHand + l.delta < 0);
        if (negative.length > 0) return reject('on_hand_negative', {}, negative.map((l) => stockLevelOf(bill.storeId, work.row(l.sku))));
        for (const l of bill.lines) work.change({ storeId: bill.storeId, sku: l.sku, kind: 'adjustment', onHandDelta: l.delta, reservedDelta: 0, reason: bill.reason });
        for (const l of bill.lines) work.row(l.sku).needsCount = false;
        await this.markUncoveredShort(store, merchantId, work, skus);
        break;
      }
      case 'reservation': {
        const insufficient = bill.lines
          .map((l) => {
            const row = work.rows.get(l.sku);
            return { sku: l.sku, requested: l.quantity, available: row ? Math.max(0, row.onHand - row.reserved) : 0 };
          })
          .filter((l) => l.available < l.requested);
        if (insufficient.length > 0) return reject('insufficient_stock', { insufficient });
        if (!(await store.insertReservation(merchantId, bill.billNo, bill.storeId, bill.reservationId, bill.lines))) return reject('reservation_exists');
        for (const l of bill.lines) {
          work.change({ storeId: bill.storeId, sku: l.sku, kind: 'reservation', onHandDelta: 0, reservedDelta: l.quantity, reservationId: bill.reservationId });
        }
        break;
      }
    }
    return this.finish(store, merchantId, bill, work);
  }

  /**
   * After a sale or a count lowered on hand: while the held reservations of a row exceed what is on hand,
   * mark the newest short (the older allocation keeps what it was promised). A short line stops counting
   * in `reserved`; its allocation is reallocated by the saga.
   */
  private async markUncoveredShort(store: InventoryStore, merchantId: string, work: BillWork, skus: string[]): Promise<void> {
    for (const sku of [...skus].sort()) {
      const row = work.row(sku);
      if (row.onHand < 0) row.needsCount = true;
      if (row.reserved <= Math.max(row.onHand, 0)) continue;
      for (const line of await store.heldNewestFirst(merchantId, work.storeId, sku)) {
        if (row.reserved <= Math.max(row.onHand, 0)) break;
        work.change({ storeId: work.storeId, sku, kind: 'short', onHandDelta: 0, reservedDelta: -line.quantity, reservationId: line.reservationId });
        await store.setReservationStatus(merchantId, line.reservationId, [sku], 'short');
        work.shortReservations.push({ reservationId: line.reservationId, sku, quantity: line.quantity });
      }
    }
  }

  private async finish(store: InventoryStore, merchantId: string, bill: InventoryBill, work: BillWork): Promise<BillResult> {
    for (const sku of work.touched) await store.writeStock(merchantId, work.storeId, work.row(sku));
    await store.recordMovements(merchantId, bill.billNo, work.movements);
    const result: BillResult = { billNo: bill.billNo, kind: bill.kind, status: 'applied', stock: work.stock(), shortReservations: work.shortReservations };
    await this.publishIn(store.tx, merchantId, {
      type: 'inventory.changed',
      data: {
        billNo: bill.billNo,
        kind: bill.kind,
        storeId: work.storeId,
        ...('reservationId' in bill ? { reservationId: bill.reservationId } : {}),
        stock: result.stock,
        shortReservations: result.shortReservations,
      },
    });
    return result;
  }

  /** Stock of a merchant's store (all SKUs, or the given ones); TK_NOT_FOUND for a store that is not the merchant's. */
  async stock(merchantId: string, storeId: string, skus?: string[], path = '/storeId'): Promise<StockLevel[]> {
    const store = new InventoryStore(this.db);
    if (!(await store.storeExists(merchantId, storeId))) throw new TkError('TK_NOT_FOUND', `no store ${storeId}`, { path });
    return store.stock(merchantId, storeId, skus);
  }

  /** Stock of `skus` at every store of the merchant, by store then SKU (what order routing offers as candidates' stock). */
  async stockAcrossStores(merchantId: string, skus: string[], db: Queryable = this.db): Promise<StockLevel[]> {
    return stockAcrossStores(db, merchantId, skus);
  }

  /**
   * Reservations with an id starting with `prefix` that a sale or a count left short (across merchants,
   * oldest first): the allocation saga's sweep reallocates them.
   */
  async shortReservations(prefix: string, limit = 100): Promise<Array<{ merchantId: string; reservationId: string }>> {
    return shortReservationIds(this.db, prefix, limit);
  }
}
