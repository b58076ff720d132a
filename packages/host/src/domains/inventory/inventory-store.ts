import type { Queryable } from '../../platform/storage/database.js';
import type { InventoryBillKind, StockLevel } from './schemas.js';

/** A stock row as locked for a bill. */
export interface StockRow {
  sku: string;
  onHand: number;
  reserved: number;
  needsCount: boolean;
}

/** A reservation line. */
export interface ReservationLine {
  reservationId: string;
  storeId: string;
  sku: string;
  quantity: number;
  status: 'held' | 'short' | 'released' | 'fulfilled';
}

/** One change of a stock row, as a movement records it. */
export interface Movement {
  storeId: string;
  sku: string;
  kind: InventoryBillKind | 'short';
  onHandDelta: number;
  reservedDelta: number;
  reservationId?: string | undefined;
  reason?: string | undefined;
}

const toLevel = (storeId: string, row: StockRow): StockLevel => ({
  storeId,
  sku: row.sku,
  onHand: row.onHand,
  reserved: row.reserved,
  available: Math.max(0, row.onHand - row.reserved),
  needsCount: row.needsCount,
});
export { toLevel as stockLevelOf };

/**
 * SQL of the inventory tables, every statement scoped to the merchant. Runs on the bill's transaction;
 * the lock order is the file header's of migration 051 (bill number → stock rows by SKU → reservation lines).
 */
export class InventoryStore {
  constructor(readonly tx: Queryable) {}

  /** Claims a bill number; false when it is taken (then {@link billOf} reads the first one). Waits for a concurrent claim to end. */
  async claimBill(merchantId: string, billNo: string, kind: InventoryBillKind, requestHash: string): Promise<boolean> {
    const claimed = await this.tx.query('INSERT INTO inventory_bills (merchant_id, bill_no, kind, request_hash) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
      merchantId,
      billNo,
      kind,
      requestHash,
    ]);
    return claimed.rowCount === 1;
  }

  async billOf(merchantId: string, billNo: string): Promise<{ requestHash: string; result: unknown } | undefined> {
    const { rows } = await this.tx.query<{ request_hash: string; result: unknown }>('SELECT request_hash, result FROM inventory_bills WHERE merchant_id = $1 AND bill_no = $2', [merchantId, billNo]);
    return rows[0] && { requestHash: rows[0].request_hash, result: rows[0].result };
  }

  async storeResult(merchantId: string, billNo: string, result: unknown): Promise<void> {
    await this.tx.query('UPDATE inventory_bills SET result = $3::jsonb WHERE merchant_id = $1 AND bill_no = $2', [merchantId, billNo, JSON.stringify(result)]);
  }

  async storeExists(merchantId: string, storeId: string): Promise<boolean> {
    const { rowCount } = await this.tx.query('SELECT 1 FROM stores WHERE merchant_id = $1 AND id = $2', [merchantId, storeId]);
    return rowCount === 1;
  }

  /** Creates the missing stock rows (at zero) of `skus`, in SKU order. */
  async ensureStock(merchantId: string, storeId: string, skus: string[]): Promise<void> {
    await this.tx.query(
      `INSERT INTO inventory_stock (merchant_id, store_id, sku) SELECT $1, $2, sku FROM unnest($3::text[]) AS sku ORDER BY sku ON CONFLICT DO NOTHING`,
      [merchantId, storeId, [...skus].sort()],
    );
  }

  /** Locks the existing stock rows of `skus` in SKU order (the documented order) and returns them by SKU. */
  async lockStock(merchantId: string, storeId: string, skus: string[]): Promise<Map<string, StockRow>> {
    const { rows } = await this.tx.query<{ sku: string; on_hand: number; reserved: number; needs_count: boolean }>(
      `SELECT sku, on_hand, reserved, needs_count FROM inventory_stock WHERE merchant_id = $1 AND store_id = $2 AND sku = ANY($3::text[])
       ORDER BY sku FOR UPDATE`,
      [merchantId, storeId, skus],
    );
    return new Map(rows.map((r) => [r.sku, { sku: r.sku, onHand: r.on_hand, reserved: r.reserved, needsCount: r.needs_count }]));
  }

  async writeStock(merchantId: string, storeId: string, row: StockRow): Promise<void> {
    await this.tx.query('UPDATE inventory_stock SET on_hand = $4, reserved = $5, needs_count = $6, updated_at = now() WHERE merchant_id = $1 AND store_id = $2 AND sku = $3', [
      merchantId,
      storeId,
      row.sku,
      row.onHand,
      row.reserved,
      row.needsCount,
    ]);
  }

  async recordMovements(merchantId: string, billNo: string, movements: Array<Movement & { onHandAfter: number; reservedAfter: number }>): Promise<void> {
    if (movements.length === 0) return;
    await this.tx.query(
      `INSERT INTO inventory_movements (merchant_id, bill_no, store_id, sku, kind, on_hand_delta, reserved_delta, on_hand_after, reserved_after, reservation_id, reason)
       SELECT $1, $2, m.store_id, m.sku, m.kind, m.on_hand_delta, m.reserved_delta, m.on_hand_after, m.reserved_after, m.reservation_id, m.reason
       FROM jsonb_to_recordset($3::jsonb) AS m(store_id text, sku text, kind text, on_hand_delta bigint, reserved_delta bigint, on_hand_after bigint,
         reserved_after bigint, reservation_id text, reason text, ord int)
       ORDER BY m.ord`,
      [
        merchantId,
        billNo,
        JSON.stringify(
          movements.map((m, ord) => ({
            store_id: m.storeId,
            sku: m.sku,
            kind: m.kind,
            on_hand_delta: m.onHandDelta,
            reserved_delta: m.reservedDelta,
            on_hand_after: m.onHandAfter,
            reserved_after: m.reservedAfter,
            reservation_id: m.reservationId ?? null,
            reason: m.reason ?? null,
            ord,
          })),
        ),
      ],
    );
  }

  /** The lines of a reservation, unlocked (to learn its store and SKUs before locking their stock rows). */
  async reservationLines(merchantId: string, reservationId: string, lock = false): Promise<ReservationLine[]> {
    const { rows } = await this.tx.query<{ reservation_id: string; store_id: string; sku: string; quantity: number; status: ReservationLine['status'] }>(
      `SELECT reservation_id, store_id, sku, quantity, status FROM inventory_reservations WHERE merchant_id = $1 AND reservation_id = $2 ORDER BY sku${lock ? ' FOR UPDATE' : ''}`,
      [merchantId, reservationId],
    );
    return rows.map((r) => ({ reservationId: r.reservation_id, storeId: r.store_id, sku: r.sku, quantity: r.quantity, status: r.status }));
  }

  /** Inserts a reservation's lines; false (nothing inserted) when the reservation id is taken. */
  async insertReservation(merchantId: string, billNo: string, storeId: string, reservationId: string, lines: Array<{ sku: string; quantity: number }>): Promise<boolean> {
    const inserted = await this.tx.query(
      `INSERT INTO inventory_reservations (merchant_id, reservation_id, store_id, sku, quantity, status, bill_no)
       SELECT $1, $2, $3, l.sku, l.quantity, 'held', $4 FROM jsonb_to_recordset($5::jsonb) AS l(sku text, quantity bigint) ORDER BY l.sku
       ON CONFLICT DO NOTHING`,
      [merchantId, reservationId, storeId, billNo, JSON.stringify(lines)],
    );
    if (inserted.rowCount === lines.length) return true;
    if (inserted.rowCount > 0) {
      await this.tx.query(`DELETE FROM inventory_reservations WHERE merchant_id = $1 AND reservation_id = $2 AND bill_no = $3`, [merchantId, reservationId, billNo]);
    }
    return false;
  }

  async setReservationStatus(merchantId: string, reservationId: string, skus: string[], status: ReservationLine['status']): Promise<void> {
    await this.tx.query('UPDATE inventory_reservations SET status = $4, updated_at = now() WHERE merchant_id = $1 AND reservation_id = $2 AND sku = ANY($3::text[])', [
      merchantId,
      reservationId,
      skus,
      status,
    ]);
  }

  /** The held reservation lines of a stock row, newest first, locked (the caller holds the stock row). */
  async heldNewestFirst(merchantId: string, storeId: string, sku: string): Promise<ReservationLine[]> {
    const { rows } = await this.tx.query<{ reservation_id: string; quantity: number }>(
      `SELECT reservation_id, quantity FROM inventory_reservations WHERE merchant_id = $1 AND store_id = $2 AND sku = $3 AND status = 'held'
       ORDER BY seq DESC FOR UPDATE`,
      [merchantId, storeId, sku],
    );
    return rows.map((r) => ({ reservationId: r.reservation_id, storeId, sku, quantity: r.quantity, status: 'held' }));
  }

  /** Stock rows of a store (all, or the given SKUs), in SKU order. */
  async stock(merchantId: string, storeId: string, skus?: string[]): Promise<StockLevel[]> {
    const { rows } = await this.tx.query<{ sku: string; on_hand: number; reserved: number; needs_count: boolean }>(
      `SELECT sku, on_hand, reserved, needs_count FROM inventory_stock WHERE merchant_id = $1 AND store_id = $2 AND ($3::text[] IS NULL OR sku = ANY($3::text[]))
       ORDER BY sku LIMIT 1000`,
      [merchantId, storeId, skus ?? null],
    );
    return rows.map((r) => toLevel(storeId, { sku: r.sku, onHand: r.on_hand, reserved: r.reserved, needsCount: r.needs_count }));
  }
}

/** Stock of `skus` at every store of the merchant (routing's candidates), by store then SKU. */
export async function stockAcrossStores(db: Queryable, merchantId: string, skus: string[]): Promise<StockLevel[]> {
  const { rows } = await db.query<{ store_id: string; sku: string; on_hand: number; reserved: number; needs_count: boolean }>(
    `SELECT store_id, sku, on_hand, reserved, needs_count FROM inventory_stock WHERE merchant_id = $1 AND sku = ANY($2::text[]) ORDER BY store_id, sku`,
    [merchantId, skus],
  );
  return rows.map((r) => toLevel(r.store_id, { sku: r.sku, onHand: r.on_hand, reserved: r.reserved, needsCount: r.needs_count }));
}

/** Reservations (id starting with `prefix`) with a line a sale or a count left short, across merchants, oldest first. */
export async function shortReservationIds(db: Queryable, prefix: string, limit: number): Promise<Array<{ merchantId: string; reservationId: string }>> {
  const { rows } = await db.query<{ merchant_id: string; reservation_id: string }>(
    `SELECT merchant_id, reservation_id FROM inventory_reservations WHERE status = 'short' AND starts_with(reservation_id, $1)
     GROUP BY merchant_id, reservation_id ORDER BY min(updated_at) LIMIT $2`,
    [prefix, limit],
  );
  return rows.map((r) => ({ merchantId: r.merchant_id, reservationId: r.reservation_id }));
}
