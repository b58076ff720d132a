import type { Queryable } from '../../platform/storage/database.js';
import type { StoreFulfilmentSettings } from './store-settings.js';

interface Row {
  store_id: string;
  capabilities: Array<'deliver' | 'pickup'>;
  working_hours: StoreFulfilmentSettings['workingHours'];
  closed_days: string[];
  daily_capacity: number;
  priority: number;
  lat: number | null;
  lng: number | null;
  delivery_radius_m: number;
  min_delivery_order_fen: number;
  updated_at: Date;
}

/** A store's fulfilment settings as stored, with when they last changed. */
export interface StoredFulfilment {
  storeId: string;
  settings: StoreFulfilmentSettings;
  updatedAt: string;
}

// closed_days as text: pg turns a `date` into a local-midnight Date, which would shift the calendar day.
const COLUMNS = `store_id, capabilities, working_hours, closed_days::text[] AS closed_days, daily_capacity, priority, lat, lng,
  delivery_radius_m, min_delivery_order_fen, updated_at`;

function fromRow(row: Row): StoredFulfilment {
  return {
    storeId: row.store_id,
    settings: {
      capabilities: row.capabilities,
      workingHours: row.working_hours,
      closedDays: row.closed_days,
      dailyCapacity: row.daily_capacity,
      priority: row.priority,
      location: row.lat === null || row.lng === null ? null : { lat: row.lat, lng: row.lng },
      deliveryRadiusM: row.delivery_radius_m,
      minDeliveryOrderFen: row.min_delivery_order_fen,
    },
    updatedAt: row.updated_at.toISOString(),
  };
}

/** SQL of `store_fulfilment` and the store/merchant facts it needs; every query names the merchant. */
export class StoreFulfilmentStore {
  constructor(private readonly db: Queryable) {}

  /** The merchant's store `storeId` with the merchant's time zone, or undefined (also for another merchant's store). */
  async storeOf(merchantId: string, storeId: string): Promise<{ id: string; channel: string; timeZone: string } | undefined> {
    const { rows } = await this.db.query<{ id: string; channel: string; time_zone: string }>(
      'SELECT s.id, s.channel, m.time_zone FROM stores s JOIN merchants m ON m.id = s.merchant_id WHERE s.merchant_id = $1 AND s.id = $2',
      [merchantId, storeId],
    );
    const row = rows[0];
    return row && { id: row.id, channel: row.channel, timeZone: row.time_zone };
  }

  async get(merchantId: string, storeId: string): Promise<StoredFulfilment | undefined> {
    const { rows } = await this.db.query<Row>(`SELECT ${COLUMNS} FROM store_fulfilment WHERE merchant_id = $1 AND store_id = $2`, [merchantId, storeId]);
    return rows[0] && fromRow(rows[0]);
  }

  /** Every fulfilment point of the merchant, in store id order. */
  async list(merchantId: string): Promise<StoredFulfilment[]> {
    const { rows } = await this.db.query<Row>(`SELECT ${COLUMNS} FROM store_fulfilment WHERE merchant_id = $1 ORDER BY store_id`, [merchantId]);
    return rows.map(fromRow);
  }

  async put(merchantId: string, storeId: string, s: StoreFulfilmentSettings): Promise<StoredFulfilment> {
    const { rows } = await this.db.query<Row>(
      `INSERT INTO store_fulfilment (merchant_id, store_id, capabilities, working_hours, closed_days, daily_capacity, priority, lat, lng,
         delivery_radius_m, min_delivery_order_fen)
       VALUES ($1, $2, $3, $4::jsonb, $5::date[], $6, $7, $8, $9, $10, $11)
       ON CONFLICT (merchant_id, store_id) DO UPDATE SET capabilities = EXCLUDED.capabilities, working_hours = EXCLUDED.working_hours,
         closed_days = EXCLUDED.closed_days, daily_capacity = EXCLUDED.daily_capacity, priority = EXCLUDED.priority, lat = EXCLUDED.lat,
         lng = EXCLUDED.lng, delivery_radius_m = EXCLUDED.delivery_radius_m, min_delivery_order_fen = EXCLUDED.min_delivery_order_fen,
         updated_at = now()
       RETURNING ${COLUMNS}`,
      [merchantId, storeId, s.capabilities, JSON.stringify(s.workingHours), [...s.closedDays].sort(), s.dailyCapacity, s.priority,
        s.location?.lat ?? null, s.location?.lng ?? null, s.deliveryRadiusM, s.minDeliveryOrderFen],
    );
    return fromRow(rows[0]!);
  }

  /**
   * Every fulfilment point of the merchant with its store's channel (a `warehouse` channel is a
   * warehouse), and the merchant's time zone: what order routing offers as candidates.
   */
  async points(merchantId: string): Promise<{ timeZone: string | undefined; points: Array<StoredFulfilment & { channel: string }> }> {
    const { rows } = await this.db.query<Row & { channel: string; time_zone: string }>(
      `SELECT f.store_id, f.capabilities, f.working_hours, f.closed_days::text[] AS closed_days, f.daily_capacity, f.priority, f.lat, f.lng,
         f.delivery_radius_m, f.min_delivery_order_fen, f.updated_at, s.channel, m.time_zone
       FROM store_fulfilment f JOIN stores s ON s.merchant_id = f.merchant_id AND s.id = f.store_id JOIN merchants m ON m.id = f.merchant_id
       WHERE f.merchant_id = $1 ORDER BY f.store_id`,
      [merchantId],
    );
    const zone = rows[0]?.time_zone ?? (await this.db.query<{ time_zone: string }>('SELECT time_zone FROM merchants WHERE id = $1', [merchantId])).rows[0]?.time_zone;
    return { timeZone: zone, points: rows.map((r) => ({ ...fromRow(r), channel: r.channel })) };
  }
}
