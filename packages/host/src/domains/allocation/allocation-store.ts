import type { Queryable } from '../../platform/storage/database.js';

export type AllocationOrderStatus = 'routing' | 'allocated' | 'accepted' | 'warehouse' | 'failed';
export type AllocationStatus = 'allocated' | 'accepted' | 'refused' | 'expired' | 'short';
export type AllocationSource = 'plugin' | 'fallback' | 'platform' | 'warehouse';
/** The allocations that hold goods and a place in the store's day. */
export const LIVE: readonly AllocationStatus[] = ['allocated', 'accepted'];

/** An order in the saga, as stored. */
export interface AllocationOrderRow {
  orderId: string;
  fulfilment: 'deliver' | 'pickup';
  pickupStoreId: string | null;
  districtCode: string | null;
  distances: Record<string, number>;
  status: AllocationOrderStatus;
  attempts: number;
  maxAttempts: number;
  slaMinutes: number;
  refusedBy: string[];
  fallbacks: number;
  failureReason: string | null;
  requestHash: string;
}

/** One store's part of an order, as stored. */
export interface AllocationRow {
  id: string;
  orderId: string;
  storeId: string;
  attempt: number;
  lineNos: number[];
  lines: Array<{ sku: string; quantity: number }>;
  status: AllocationStatus;
  source: AllocationSource;
  reason: string | null;
  note: string | null;
  localDay: string;
  dueAt: Date | null;
  answeredAt: Date | null;
  createdAt: Date;
}

const ORDER_COLUMNS = `order_id, fulfilment, pickup_store_id, district_code, distances, status, attempts, max_attempts, sla_minutes, refused_by, fallbacks, failure_reason, request_hash`;
const ALLOCATION_COLUMNS = `id, order_id, store_id, attempt, line_nos, lines, status, source, reason, note, to_char(local_day, 'YYYY-MM-DD') AS local_day, due_at, answered_at, created_at`;

interface OrderDbRow {
  order_id: string;
  fulfilment: 'deliver' | 'pickup';
  pickup_store_id: string | null;
  district_code: string | null;
  distances: Record<string, number>;
  status: AllocationOrderStatus;
  attempts: number;
  max_attempts: number;
  sla_minutes: number;
  refused_by: string[];
  fallbacks: number;
  failure_reason: string | null;
  request_hash: string;
}
interface AllocationDbRow {
  id: string;
  order_id: string;
  store_id: string;
  attempt: number;
  line_nos: number[];
  lines: Array<{ sku: string; quantity: number }>;
  status: AllocationStatus;
  source: AllocationSource;
  reason: string | null;
  note: string | null;
  local_day: string;
  due_at: Date | null;
  answered_at: Date | null;
  created_at: Date;
}

const toOrder = (r: OrderDbRow): AllocationOrderRow => ({
  orderId: r.order_id,
  fulfilment: r.fulfilment,
  pickupStoreId: r.pickup_store_id,
  districtCode: r.district_code,
  distances: r.distances,
  status: r.status,
  attempts: r.attempts,
  maxAttempts: r.max_attempts,
  slaMinutes: r.sla_minutes,
  refusedBy: r.refused_by,
  fallbacks: r.fallbacks,
  failureReason: r.failure_reason,
  requestHash: r.request_hash,
});
const toAllocation = (r: AllocationDbRow): AllocationRow => ({
  id: r.id,
  orderId: r.order_id,
  storeId: r.store_id,
  attempt: r.attempt,
  lineNos: r.line_nos,
  lines: r.lines,
  status: r.status,
  source: r.source,
  reason: r.reason,
  note: r.note,
  localDay: r.local_day,
  dueAt: r.due_at,
  answeredAt: r.answered_at,
  createdAt: r.created_at,
});

/**
 * SQL of the saga's tables (migration 054), every statement scoped to the merchant. Runs on the saga
 * step's transaction; the lock order is the migration header's (order row → capacity rows by store →
 * stock rows through inventory bills).
 */
export class AllocationStore {
  constructor(readonly tx: Queryable) {}

  async settings(merchantId: string): Promise<{ slaMinutes: number; maxAttempts: number } | undefined> {
    const { rows } = await this.tx.query<{ sla_minutes: number; max_attempts: number }>('SELECT sla_minutes, max_attempts FROM allocation_settings WHERE merchant_id = $1', [merchantId]);
    return rows[0] && { slaMinutes: rows[0].sla_minutes, maxAttempts: rows[0].max_attempts };
  }

  async putSettings(merchantId: string, s: { slaMinutes: number; maxAttempts: number }): Promise<void> {
    await this.tx.query(
      `INSERT INTO allocation_settings (merchant_id, sla_minutes, max_attempts) VALUES ($1, $2, $3)
       ON CONFLICT (merchant_id) DO UPDATE SET sla_minutes = EXCLUDED.sla_minutes, max_attempts = EXCLUDED.max_attempts, updated_at = now()`,
      [merchantId, s.slaMinutes, s.maxAttempts],
    );
  }

  /** Starts an order's saga; false when the order already has one (then read it with {@link order}). */
  async insertOrder(merchantId: string, o: Omit<AllocationOrderRow, 'status' | 'attempts' | 'refusedBy' | 'fallbacks' | 'failureReason'>): Promise<boolean> {
    const { rowCount } = await this.tx.query(
      `INSERT INTO allocation_orders (merchant_id, order_id, request_hash, fulfilment, pickup_store_id, district_code, distances, status, max_attempts, sla_minutes)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, 'routing', $8, $9) ON CONFLICT DO NOTHING`,
      [merchantId, o.orderId, o.requestHash, o.fulfilment, o.pickupStoreId, o.districtCode, JSON.stringify(o.distances), o.maxAttempts, o.slaMinutes],
    );
    return rowCount === 1;
  }

  /** The order's saga row; `lock`: FOR UPDATE, the first lock of every saga step. */
  async order(merchantId: string, orderId: string, lock = false): Promise<AllocationOrderRow | undefined> {
    const { rows } = await this.tx.query<OrderDbRow>(`SELECT ${ORDER_COLUMNS} FROM allocation_orders WHERE merchant_id = $1 AND order_id = $2${lock ? ' FOR UPDATE' : ''}`, [merchantId, orderId]);
    return rows[0] && toOrder(rows[0]);
  }

  async updateOrder(merchantId: string, orderId: string, patch: Partial<Pick<AllocationOrderRow, 'status' | 'attempts' | 'refusedBy' | 'fallbacks' | 'failureReason'>>): Promise<void> {
    const columns: Record<string, string> = { status: 'status', attempts: 'attempts', refusedBy: 'refused_by', fallbacks: 'fallbacks', failureReason: 'failure_reason' };
    const entries = Object.entries(patch).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return;
    const sets = entries.map(([key], i) => `${columns[key]} = $${i + 3}`);
    await this.tx.query(`UPDATE allocation_orders SET ${sets.join(', ')}, updated_at = now() WHERE merchant_id = $1 AND order_id = $2`, [merchantId, orderId, ...entries.map(([, v]) => v)]);
  }

  /** The order's allocations, in decision order. */
  async allocationsOf(merchantId: string, orderId: string): Promise<AllocationRow[]> {
    const { rows } = await this.tx.query<AllocationDbRow>(`SELECT ${ALLOCATION_COLUMNS} FROM allocations WHERE merchant_id = $1 AND order_id = $2 ORDER BY attempt, store_id`, [merchantId, orderId]);
    return rows.map(toAllocation);
  }

  async allocation(merchantId: string, id: string): Promise<AllocationRow | undefined> {
    const { rows } = await this.tx.query<AllocationDbRow>(`SELECT ${ALLOCATION_COLUMNS} FROM allocations WHERE merchant_id = $1 AND id = $2`, [merchantId, id]);
    return rows[0] && toAllocation(rows[0]);
  }

  async insertAllocation(merchantId: string, a: Omit<AllocationRow, 'answeredAt' | 'createdAt' | 'reason' | 'note'>): Promise<void> {
    await this.tx.query(
      `INSERT INTO allocations (merchant_id, id, order_id, store_id, attempt, line_nos, lines, status, source, local_day, due_at, answered_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10::date, $11, CASE WHEN $8 = 'accepted' THEN now() END)`,
      [merchantId, a.id, a.orderId, a.storeId, a.attempt, a.lineNos, JSON.stringify(a.lines), a.status, a.source, a.localDay, a.dueAt],
    );
  }

  async answer(merchantId: string, id: string, status: AllocationStatus, answeredAt: Date, reason: string | null = null, note: string | null = null): Promise<void> {
    await this.tx.query('UPDATE allocations SET status = $3, answered_at = $4, reason = $5, note = $6 WHERE merchant_id = $1 AND id = $2', [merchantId, id, status, answeredAt, reason, note]);
  }

  /**
   * Takes one of the store's places on a local day, unless `capacity` are taken: one conditional
   * statement on the locked row, so two orders racing for the last place get one of them.
   */
  async takeCapacity(merchantId: string, storeId: string, localDay: string, capacity: number): Promise<boolean> {
    const { rowCount } = await this.tx.query(
      `INSERT INTO allocation_capacity AS c (merchant_id, store_id, local_day, used) SELECT $1, $2, $3::date, 1 WHERE $4::int >= 1
       ON CONFLICT (merchant_id, store_id, local_day) DO UPDATE SET used = c.used + 1 WHERE c.used < $4::int`,
      [merchantId, storeId, localDay, capacity],
    );
    return rowCount === 1;
  }

  /** Gives a place back (a refused, expired or short allocation). */
  async giveCapacity(merchantId: string, storeId: string, localDay: string): Promise<void> {
    await this.tx.query('UPDATE allocation_capacity SET used = used - 1 WHERE merchant_id = $1 AND store_id = $2 AND local_day = $3::date AND used > 0', [merchantId, storeId, localDay]);
  }

  /** Places taken per store on a local day. */
  async usedOn(merchantId: string, localDay: string): Promise<Map<string, number>> {
    const { rows } = await this.tx.query<{ store_id: string; used: number }>('SELECT store_id, used FROM allocation_capacity WHERE merchant_id = $1 AND local_day = $2::date', [merchantId, localDay]);
    return new Map(rows.map((r) => [r.store_id, r.used]));
  }

  /** A store's queue, newest first (only `status` when given). */
  async queue(merchantId: string, storeId: string, status: AllocationStatus | undefined, limit: number): Promise<AllocationRow[]> {
    const { rows } = await this.tx.query<AllocationDbRow>(
      `SELECT ${ALLOCATION_COLUMNS} FROM allocations WHERE merchant_id = $1 AND store_id = $2 AND ($3::text IS NULL OR status = $3) ORDER BY created_at DESC, id LIMIT $4`,
      [merchantId, storeId, status ?? null, limit],
    );
    return rows.map(toAllocation);
  }

  /** Allocations whose SLA passed at `now` without an answer (across merchants). */
  async overdue(now: Date, limit: number): Promise<Array<{ merchantId: string; id: string }>> {
    const { rows } = await this.tx.query<{ merchant_id: string; id: string }>(`SELECT merchant_id, id FROM allocations WHERE status = 'allocated' AND due_at <= $1 ORDER BY due_at LIMIT $2`, [now, limit]);
    return rows.map((r) => ({ merchantId: r.merchant_id, id: r.id }));
  }

  /** Orders left waiting for a routing decision since before `before` (a crash between a refusal and its reallocation). */
  async stalled(before: Date, limit: number): Promise<Array<{ merchantId: string; orderId: string }>> {
    const { rows } = await this.tx.query<{ merchant_id: string; order_id: string }>(`SELECT merchant_id, order_id FROM allocation_orders WHERE status = 'routing' AND updated_at <= $1 ORDER BY updated_at LIMIT $2`, [before, limit]);
    return rows.map((r) => ({ merchantId: r.merchant_id, orderId: r.order_id }));
  }
}
