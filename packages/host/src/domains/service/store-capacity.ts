import { TkError } from '@tongkit/sdk';
import type { Database, Queryable } from '../../platform/storage/database.js';

/** A store's service capacity for one stage kind: visits per day, working hours, slots, closed days. */
export interface StoreCapacity {
  storeId: string;
  kind: string;
  perDay: number;
  /** Closed days of the week, 0 = Sunday … 6 = Saturday. */
  closedWeekdays: number[];
  /** Closed dates (holidays), YYYY-MM-DD in the merchant's time zone. */
  closedDates: string[];
  /** Working hours, HH:MM wall-clock (both or neither). */
  opensAt: string | null;
  closesAt: string | null;
  /** Slots every `slotMinutes` from `opensAt`, each taking `perSlot` visits (both or neither). */
  slotMinutes: number | null;
  perSlot: number | null;
}

/** What a day still offers: seats left in the day and per slot. */
export interface DayAvailability {
  storeId: string;
  kind: string;
  day: string;
  open: boolean;
  capacity: number;
  booked: number;
  slots: Array<{ slot: string; capacity: number; booked: number }>;
}

/** Why a seat could not be taken. */
export type SeatRefusal = { result: 'rejected'; code: 'store_day_full' | 'slot_full' | 'store_closed' | 'outside_hours'; message: string };

interface CapacityRow {
  store_id: string;
  kind: string;
  per_day: number;
  closed_weekdays: number[];
  closed_dates: string[];
  opens_at: string | null;
  closes_at: string | null;
  slot_minutes: number | null;
  per_slot: number | null;
}
const COLUMNS = `store_id, kind, per_day, closed_weekdays, ARRAY(SELECT to_char(d, 'YYYY-MM-DD') FROM unnest(closed_dates) d ORDER BY d) AS closed_dates,
  to_char(opens_at, 'HH24:MI') AS opens_at, to_char(closes_at, 'HH24:MI') AS closes_at, slot_minutes, per_slot`;
const toCapacity = (r: CapacityRow): StoreCapacity => ({
  storeId: r.store_id,
  kind: r.kind,
  perDay: r.per_day,
  closedWeekdays: r.closed_weekdays,
  closedDates: r.closed_dates,
  opensAt: r.opens_at,
  closesAt: r.closes_at,
  slotMinutes: r.slot_minutes,
  perSlot: r.per_slot,
});

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const hhmmOf = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** The slot starts of a capacity: every `slotMinutes` from opening while a whole slot fits before closing. */
export function slotsOf(c: Pick<StoreCapacity, 'opensAt' | 'closesAt' | 'slotMinutes'>): string[] {
  if (!c.opensAt || !c.closesAt || !c.slotMinutes) return [];
  const out: string[] = [];
  for (let m = minutesOf(c.opensAt); m + c.slotMinutes <= minutesOf(c.closesAt); m += c.slotMinutes) out.push(hhmmOf(m));
  return out;
}

/**
 * The service capacity of a merchant's stores: set and read per stage kind, and the seats bookings take.
 * A seat of a day (and of its slot, when the store has slots) is taken by one conditional upsert that
 * succeeds only below capacity; the counter's row lock settles concurrent bookings and `booked ≤
 * capacity` is a CHECK. Lock order inside a booking: the service order, then the day, then the slot.
 */
export class StoreCapacities {
  constructor(private readonly db: Database) {}

  /** Sets a store's capacity for a stage kind. Days already booked keep the capacity they were booked with. */
  async configure(merchantId: string, c: StoreCapacity): Promise<StoreCapacity> {
    if ((c.opensAt === null) !== (c.closesAt === null)) throw new TkError('TK_VALIDATION', 'working hours need both opensAt and closesAt', { path: c.opensAt === null ? '/opensAt' : '/closesAt' });
    if (c.opensAt !== null && c.closesAt !== null && minutesOf(c.opensAt) >= minutesOf(c.closesAt)) throw new TkError('TK_VALIDATION', `the store closes (${c.closesAt}) before it opens (${c.opensAt})`, { path: '/closesAt' });
    if ((c.slotMinutes === null) !== (c.perSlot === null)) throw new TkError('TK_VALIDATION', 'slots need both slotMinutes and perSlot', { path: c.slotMinutes === null ? '/slotMinutes' : '/perSlot' });
    if (c.slotMinutes !== null && c.opensAt === null) throw new TkError('TK_VALIDATION', 'slots need working hours (opensAt, closesAt)', { path: '/opensAt' });
    if (c.slotMinutes !== null && slotsOf(c).length === 0) throw new TkError('TK_VALIDATION', `no ${c.slotMinutes}-minute slot fits between ${c.opensAt} and ${c.closesAt}`, { path: '/slotMinutes' });
    const store = await this.db.query('SELECT 1 FROM stores WHERE merchant_id = $1 AND id = $2', [merchantId, c.storeId]);
    if (store.rowCount === 0) throw new TkError('TK_NOT_FOUND', `no store ${c.storeId.slice(0, 64)} among the merchant's stores`, { path: '/storeId' });
    const { rows } = await this.db.query<CapacityRow>(
      `INSERT INTO store_service_capacity (merchant_id, store_id, kind, per_day, closed_weekdays, closed_dates, opens_at, closes_at, slot_minutes, per_slot)
       VALUES ($1, $2, $3, $4, $5, $6::date[], $7, $8, $9, $10)
       ON CONFLICT (merchant_id, store_id, kind) DO UPDATE SET per_day = EXCLUDED.per_day, closed_weekdays = EXCLUDED.closed_weekdays, closed_dates = EXCLUDED.closed_dates,
         opens_at = EXCLUDED.opens_at, closes_at = EXCLUDED.closes_at, slot_minutes = EXCLUDED.slot_minutes, per_slot = EXCLUDED.per_slot
       RETURNING ${COLUMNS}`,
      [merchantId, c.storeId, c.kind, c.perDay, [...new Set(c.closedWeekdays)].sort(), [...new Set(c.closedDates)], c.opensAt, c.closesAt, c.slotMinutes, c.perSlot],
    );
    return toCapacity(rows[0]!);
  }

  /** A store's capacities, one per stage kind; another merchant's store is TK_NOT_FOUND. */
  async ofStore(merchantId: string, storeId: string): Promise<StoreCapacity[]> {
    const store = await this.db.query('SELECT 1 FROM stores WHERE merchant_id = $1 AND id = $2', [merchantId, storeId]);
    if (store.rowCount === 0) throw new TkError('TK_NOT_FOUND', `no store ${storeId.slice(0, 64)} among the merchant's stores`, { path: '/storeId' });
    const { rows } = await this.db.query<CapacityRow>(`SELECT ${COLUMNS} FROM store_service_capacity WHERE merchant_id = $1 AND store_id = $2 ORDER BY kind`, [merchantId, storeId]);
    return rows.map(toCapacity);
  }

  /** What a store-day still offers for a stage kind. */
  async availability(merchantId: string, storeId: string, kind: string, day: string): Promise<DayAvailability> {
    const capacity = (await this.ofStore(merchantId, storeId)).find((c) => c.kind === kind);
    const closed = !capacity || closedReason(capacity, day) !== null;
    const { rows } = await this.db.query<{ booked: number; capacity: number }>(`SELECT booked, capacity FROM store_day_bookings WHERE merchant_id = $1 AND store_id = $2 AND kind = $3 AND day = $4`, [merchantId, storeId, kind, day]);
    const slotRows = await this.db.query<{ slot: string; booked: number; capacity: number }>(
      `SELECT to_char(slot, 'HH24:MI') AS slot, booked, capacity FROM store_slot_bookings WHERE merchant_id = $1 AND store_id = $2 AND kind = $3 AND day = $4`,
      [merchantId, storeId, kind, day],
    );
    const taken = new Map(slotRows.rows.map((r) => [r.slot, r]));
    return {
      storeId,
      kind,
      day,
      open: !closed,
      capacity: rows[0]?.capacity ?? (closed ? 0 : capacity!.perDay),
      booked: rows[0]?.booked ?? 0,
      slots: capacity && !closed ? slotsOf(capacity).map((slot) => ({ slot, capacity: taken.get(slot)?.capacity ?? capacity.perSlot!, booked: taken.get(slot)?.booked ?? 0 })) : [],
    };
  }

  /** Takes a seat of the store-day (and of the slot) in the caller's transaction, or says why not. */
  async takeSeat(tx: Queryable, merchantId: string, storeId: string, kind: string, day: string, slot: string | null): Promise<'ok' | SeatRefusal> {
    const { rows } = await tx.query<CapacityRow>(`SELECT ${COLUMNS} FROM store_service_capacity WHERE merchant_id = $1 AND store_id = $2 AND kind = $3`, [merchantId, storeId, kind]);
    const row = rows[0];
    if (!row) return { result: 'rejected', code: 'store_closed', message: `store ${storeId} offers no ${kind} visits` };
    const capacity = toCapacity(row);
    const closed = closedReason(capacity, day);
    if (closed) return { result: 'rejected', code: 'store_closed', message: `store ${storeId} is closed on ${day} (${closed})` };
    const slots = slotsOf(capacity);
    if (slots.length > 0 && slot === null) return { result: 'rejected', code: 'outside_hours', message: `store ${storeId} books ${kind} visits by slot: name one of ${slots.join(', ')}` };
    if (slot !== null && !slots.includes(slot)) {
      const hours = capacity.opensAt ? `${capacity.opensAt}–${capacity.closesAt}` : 'no slots';
      return { result: 'rejected', code: 'outside_hours', message: `${slot} is not a ${kind} slot of store ${storeId} (${hours}${slots.length ? `; slots ${slots.join(', ')}` : ''})` };
    }
    const day_ = await tx.query(
      `INSERT INTO store_day_bookings (merchant_id, store_id, kind, day, capacity, booked) SELECT $1, $2, $3, $4, $5, 1 WHERE $5 > 0
       ON CONFLICT (merchant_id, store_id, kind, day) DO UPDATE SET booked = store_day_bookings.booked + 1 WHERE store_day_bookings.booked < store_day_bookings.capacity`,
      [merchantId, storeId, kind, day, capacity.perDay],
    );
    if (day_.rowCount !== 1) return { result: 'rejected', code: 'store_day_full', message: `store ${storeId} has no ${kind} visit left on ${day}` };
    if (slot === null) return 'ok';
    const slot_ = await tx.query(
      `INSERT INTO store_slot_bookings (merchant_id, store_id, kind, day, slot, capacity, booked) SELECT $1, $2, $3, $4, $5, $6, 1 WHERE $6 > 0
       ON CONFLICT (merchant_id, store_id, kind, day, slot) DO UPDATE SET booked = store_slot_bookings.booked + 1 WHERE store_slot_bookings.booked < store_slot_bookings.capacity`,
      [merchantId, storeId, kind, day, slot, capacity.perSlot],
    );
    // A rejection is answered, not thrown, so the caller's transaction commits: the day's seat taken
    // above is given back.
    if (slot_.rowCount !== 1) {
      await this.freeSeat(tx, merchantId, storeId, kind, day, null);
      return { result: 'rejected', code: 'slot_full', message: `store ${storeId} has no ${kind} visit left at ${slot} on ${day}` };
    }
    return 'ok';
  }

  /** Gives a seat back (a cancelled or moved appointment). */
  async freeSeat(tx: Queryable, merchantId: string, storeId: string, kind: string, day: string, slot: string | null): Promise<void> {
    await tx.query(`UPDATE store_day_bookings SET booked = booked - 1 WHERE merchant_id = $1 AND store_id = $2 AND kind = $3 AND day = $4 AND booked > 0`, [merchantId, storeId, kind, day]);
    if (slot !== null) await tx.query(`UPDATE store_slot_bookings SET booked = booked - 1 WHERE merchant_id = $1 AND store_id = $2 AND kind = $3 AND day = $4 AND slot = $5 AND booked > 0`, [merchantId, storeId, kind, day, slot]);
  }
}

/** Why a day is closed for a capacity (a weekday or a closed date), or null. */
function closedReason(c: StoreCapacity, day: string): string | null {
  if (c.closedDates.includes(day)) return 'a closed date';
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
  return c.closedWeekdays.includes(weekday) ? 'a closed weekday' : null;
}
