import { randomUUID } from 'node:crypto';
import { TkError } from '@tongkit/sdk';
import type { Database, Queryable } from '../../platform/storage/database.js';
import { emitDomainEvent, type PublishInTransaction } from '../domain-events.js';
import type { ServiceOrders } from './service-orders.js';
import { moveStage, settleStages, type LockedOrder } from './stage-transitions.js';
import { StoreCapacities, type SeatRefusal, type StoreCapacity } from './store-capacity.js';

/** How many times an appointment may be rescheduled when the merchant set nothing (`service_settings`). */
export const MAX_RESCHEDULES = 2;

/** Who does a visit's sign-in or completion: a store or staff token reaches only its own store's visits. */
export interface VisitActor {
  actor: string;
  /** The store of a store or staff token; undefined for the merchant (or an admin acting for it). */
  storeId?: string | undefined;
}

/** An appointment as the API answers it. */
export interface Appointment {
  id: string;
  orderId: string;
  stageNo: number;
  storeId: string;
  day: string;
  /** The slot's start (HH:MM) at a store with slots; null for a day booking. */
  slot: string | null;
  status: 'booked' | 'signed_in' | 'completed' | 'cancelled';
  reschedules: number;
  notes: string | null;
  photoIds: string[];
}

/** The outcome of a booking: `rejected` with a code when the store-day is full or closed. */
export type BookingResult = { result: 'applied' | 'duplicate'; appointment: Appointment } | SeatRefusal | { result: 'rejected'; code: 'reschedule_limit'; message: string };

interface AppointmentRow {
  id: string;
  order_id: string;
  stage_no: number;
  store_id: string;
  kind: string;
  day: string;
  slot: string | null;
  status: Appointment['status'];
  reschedules: number;
  notes: string | null;
  photo_ids: string[];
}

const COLUMNS = `id, order_id, stage_no, store_id, kind, to_char(day, 'YYYY-MM-DD') AS day, to_char(slot, 'HH24:MI') AS slot, status, reschedules, notes, photo_ids`;
const toAppointment = (r: AppointmentRow): Appointment => ({ id: r.id, orderId: r.order_id, stageNo: r.stage_no, storeId: r.store_id, day: r.day, slot: r.slot, status: r.status, reschedules: r.reschedules, notes: r.notes, photoIds: r.photo_ids });
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const SLOT = /^([01]\d|2[0-3]):[0-5]\d$/;
function checkWhen(day: string, slot: string | null): void {
  if (!DAY.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) throw new TkError('TK_VALIDATION', `not a date (YYYY-MM-DD): ${day.slice(0, 32)}`, { path: '/day' });
  if (slot !== null && !SLOT.test(slot)) throw new TkError('TK_VALIDATION', `not a slot time (HH:MM): ${slot.slice(0, 32)}`, { path: '/slot' });
}

/**
 * Appointments for stages that need a visit: booked once the stage is paid, against a store's capacity
 * per day and stage kind. A booking takes a seat of the store-day with one conditional upsert — the
 * row lock of the counter settles concurrent bookings and `booked ≤ capacity` is a CHECK — so a day is
 * never overbooked, whichever host process books. Booking schedules the stage; cancelling returns it to
 * paid; completing the visit completes the stage.
 */
export class Appointments {
  /** The stores' capacities the bookings take seats of. */
  readonly capacities: StoreCapacities;

  constructor(
    private readonly db: Database,
    private readonly serviceOrders: ServiceOrders,
    private readonly publishIn: PublishInTransaction,
  ) {
    this.capacities = new StoreCapacities(db);
  }

  /** Sets a store's capacity for a stage kind (per day) and its closed weekdays (no hours, no slots). */
  async setCapacity(merchantId: string, storeId: string, kind: string, perDay: number, closedWeekdays: number[] = []): Promise<void> {
    await this.capacities.configure(merchantId, { storeId, kind, perDay, closedWeekdays, closedDates: [], opensAt: null, closesAt: null, slotMinutes: null, perSlot: null });
  }

  /** Sets a store's full capacity for a stage kind: per day, working hours, slots, closed days. */
  configureCapacity(merchantId: string, capacity: StoreCapacity): Promise<StoreCapacity> {
    return this.capacities.configure(merchantId, capacity);
  }

  /** How many times the merchant lets an appointment be rescheduled. */
  async maxReschedulesOf(merchantId: string, db: Queryable = this.db): Promise<number> {
    const { rows } = await db.query<{ max_reschedules: number }>('SELECT max_reschedules FROM service_settings WHERE merchant_id = $1', [merchantId]);
    return rows[0]?.max_reschedules ?? MAX_RESCHEDULES;
  }

  /** Sets how many times an appointment may be rescheduled (0–20). */
  async setMaxReschedules(merchantId: string, maxReschedules: number): Promise<number> {
    if (!Number.isInteger(maxReschedules) || maxReschedules < 0 || maxReschedules > 20) throw new TkError('TK_VALIDATION', 'maxReschedules is a whole number from 0 to 20', { path: '/maxReschedules' });
    await this.db.query(
      `INSERT INTO service_settings (merchant_id, max_reschedules) VALUES ($1, $2) ON CONFLICT (merchant_id) DO UPDATE SET max_reschedules = EXCLUDED.max_reschedules, updated_at = now()`,
      [merchantId, maxReschedules],
    );
    return maxReschedules;
  }

  /** An appointment; another merchant's (or, for a store or staff token, another store's) is TK_NOT_FOUND. */
  async get(merchantId: string, appointmentId: string, atStore?: string, db: Queryable = this.db): Promise<Appointment> {
    const row = await this.byId(db, merchantId, appointmentId);
    if (!row || (atStore !== undefined && row.store_id !== atStore)) throw new TkError('TK_NOT_FOUND', `no appointment ${appointmentId.slice(0, 64)}`, { path: '/appointmentId' });
    return toAppointment(row);
  }

  /** A store's appointments on a day (a store's day sheet), by slot. */
  async ofStoreDay(merchantId: string, storeId: string, day: string): Promise<Appointment[]> {
    checkWhen(day, null);
    const { rows } = await this.db.query<AppointmentRow>(`SELECT ${COLUMNS} FROM appointments WHERE merchant_id = $1 AND store_id = $2 AND day = $3 ORDER BY slot NULLS FIRST, created_at, id`, [merchantId, storeId, day]);
    return rows.map(toAppointment);
  }

  /** Books the visit of a paid stage at a store on a day (the merchant's local date), in a slot when the store has slots. */
  async book(merchantId: string, orderId: string, stageNo: number, storeId: string, day: string, actor: string, slot: string | null = null, db?: Queryable): Promise<BookingResult> {
    checkWhen(day, slot);
    const run = <T>(work: (tx: Queryable) => Promise<T>) => (db ? work(db) : this.db.transaction(work));
    return run(async (tx) => {
      const locked = await this.serviceOrders.lock(tx, merchantId, orderId);
      const stage = locked.stages.find((s) => s.stage_no === stageNo);
      if (!stage) throw new TkError('TK_NOT_FOUND', `service order ${orderId} has no stage ${stageNo}`, { path: '/stageNo' });
      if (!stage.needs_appointment) throw new TkError('TK_CONFLICT', `stage ${stageNo} needs no appointment`, { path: '/stageNo' });
      const live = await this.live(tx, merchantId, orderId, stageNo);
      if (live) {
        if (live.store_id === storeId && live.day === day && live.slot === slot) return { result: 'duplicate', appointment: toAppointment(live) };
        throw new TkError('TK_CONFLICT', `stage ${stageNo} already has appointment ${live.id} on ${live.day}: reschedule it`, { path: '/stageNo' });
      }
      const store = await tx.query('SELECT 1 FROM stores WHERE merchant_id = $1 AND id = $2', [merchantId, storeId]);
      if (store.rowCount === 0) throw new TkError('TK_NOT_FOUND', `no store ${storeId.slice(0, 64)} among the merchant's stores`, { path: '/storeId' });
      if (stage.state !== 'paid') throw new TkError('TK_CONFLICT', `stage ${stageNo} is ${stage.state}: a visit is booked once the stage is paid`, { path: '/stageNo', details: { state: stage.state } });
      const seat = await this.capacities.takeSeat(tx, merchantId, storeId, stage.kind, day, slot);
      if (seat !== 'ok') return seat;
      const id = `ap_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
      await tx.query(`INSERT INTO appointments (merchant_id, id, order_id, stage_no, store_id, kind, day, slot, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'booked')`, [merchantId, id, orderId, stageNo, storeId, stage.kind, day, slot]);
      await moveStage(locked, stage, 'scheduled', { cause: 'merchant', actor, reason: `appointment ${id} at ${storeId} on ${day}${slot ? ` ${slot}` : ''}` });
      await this.emitBooked(tx, merchantId, { id, orderId, stageNo, storeId, day, slot }, false);
      return { result: 'applied', appointment: toAppointment((await this.live(tx, merchantId, orderId, stageNo))!) };
    });
  }

  /** Moves a booked appointment to another day, slot or store (at most the merchant's `maxReschedules` times). */
  async reschedule(merchantId: string, appointmentId: string, storeId: string, day: string, slot: string | null = null): Promise<BookingResult> {
    checkWhen(day, slot);
    return this.db.transaction(async (tx) => {
      const { row } = await this.lockAppointment(tx, merchantId, appointmentId);
      if (row.status !== 'booked') throw new TkError('TK_CONFLICT', `appointment ${appointmentId} is ${row.status}`, { path: '/appointmentId', details: { status: row.status } });
      if (row.store_id === storeId && row.day === day && row.slot === slot) return { result: 'duplicate', appointment: toAppointment(row) };
      const store = await tx.query('SELECT 1 FROM stores WHERE merchant_id = $1 AND id = $2', [merchantId, storeId]);
      if (store.rowCount === 0) throw new TkError('TK_NOT_FOUND', `no store ${storeId.slice(0, 64)} among the merchant's stores`, { path: '/storeId' });
      const limit = await this.maxReschedulesOf(merchantId, tx);
      if (row.reschedules >= limit) return { result: 'rejected', code: 'reschedule_limit', message: `appointment ${appointmentId} was rescheduled ${row.reschedules} times already (the limit is ${limit})` };
      // The old seat is given back first so a move within a full day (another slot) can take its place.
      await this.capacities.freeSeat(tx, merchantId, row.store_id, row.kind, row.day, row.slot);
      const seat = await this.capacities.takeSeat(tx, merchantId, storeId, row.kind, day, slot);
      if (seat !== 'ok') {
        await this.retake(tx, merchantId, row);
        return seat;
      }
      await tx.query(`UPDATE appointments SET store_id = $3, day = $4, slot = $5, reschedules = reschedules + 1 WHERE merchant_id = $1 AND id = $2`, [merchantId, appointmentId, storeId, day, slot]);
      await this.emitBooked(tx, merchantId, { id: appointmentId, orderId: row.order_id, stageNo: row.stage_no, storeId, day, slot }, true);
      return { result: 'applied', appointment: toAppointment((await this.byId(tx, merchantId, appointmentId))!) };
    });
  }

  /** Cancels a booked appointment: its seat is freed and the stage waits for a new one (paid). */
  async cancel(merchantId: string, appointmentId: string, actor: string, reason: string): Promise<{ result: 'applied' | 'duplicate'; appointment: Appointment }> {
    return this.db.transaction(async (tx) => {
      const { locked, row } = await this.lockAppointment(tx, merchantId, appointmentId);
      if (row.status === 'cancelled') return { result: 'duplicate', appointment: toAppointment(row) };
      if (row.status !== 'booked') throw new TkError('TK_CONFLICT', `appointment ${appointmentId} is ${row.status}`, { path: '/appointmentId' });
      await this.capacities.freeSeat(tx, merchantId, row.store_id, row.kind, row.day, row.slot);
      await tx.query(`UPDATE appointments SET status = 'cancelled' WHERE merchant_id = $1 AND id = $2`, [merchantId, appointmentId]);
      const stage = locked.stages.find((s) => s.stage_no === row.stage_no)!;
      if (stage.state === 'scheduled') await moveStage(locked, stage, 'paid', { cause: 'merchant', actor, reason: `appointment ${appointmentId} cancelled: ${reason}` });
      return { result: 'applied', appointment: toAppointment((await this.byId(tx, merchantId, appointmentId))!) };
    });
  }

  /** The technician signed in on arrival (a store or staff token: only at its own store). */
  async signIn(merchantId: string, appointmentId: string, by: VisitActor = { actor: `merchant:${merchantId}` }): Promise<{ result: 'applied' | 'duplicate'; appointment: Appointment }> {
    return this.db.transaction(async (tx) => {
      const { row } = await this.lockAppointment(tx, merchantId, appointmentId, by.storeId);
      if (row.status === 'signed_in') return { result: 'duplicate', appointment: toAppointment(row) };
      if (row.status !== 'booked') throw new TkError('TK_CONFLICT', `appointment ${appointmentId} is ${row.status}`, { path: '/appointmentId' });
      await tx.query(`UPDATE appointments SET status = 'signed_in' WHERE merchant_id = $1 AND id = $2`, [merchantId, appointmentId]);
      return { result: 'applied', appointment: toAppointment((await this.byId(tx, merchantId, appointmentId))!) };
    });
  }

  /** Completes the visit with notes and photo references (IDs, not bytes); its stage completes. */
  async complete(merchantId: string, appointmentId: string, by: string | VisitActor, notes: string | null, photoIds: string[]): Promise<{ result: 'applied' | 'duplicate'; appointment: Appointment }> {
    const { actor, storeId } = typeof by === 'string' ? { actor: by, storeId: undefined } : by;
    return this.db.transaction(async (tx) => {
      const { locked, row } = await this.lockAppointment(tx, merchantId, appointmentId, storeId);
      if (row.status === 'completed') return { result: 'duplicate', appointment: toAppointment(row) };
      if (row.status !== 'signed_in' && row.status !== 'booked') throw new TkError('TK_CONFLICT', `appointment ${appointmentId} is ${row.status}`, { path: '/appointmentId' });
      await tx.query(`UPDATE appointments SET status = 'completed', notes = $3, photo_ids = $4 WHERE merchant_id = $1 AND id = $2`, [merchantId, appointmentId, notes, photoIds]);
      const stage = locked.stages.find((s) => s.stage_no === row.stage_no)!;
      await moveStage(locked, stage, 'completed', { cause: 'merchant', actor, reason: `appointment ${appointmentId} completed` });
      await settleStages(locked);
      await emitDomainEvent(this.publishIn, tx, merchantId, {
        id: `appointment.completed:${appointmentId}`,
        type: 'appointment.completed',
        data: { appointmentId, orderId: row.order_id, stageNo: row.stage_no, storeId: row.store_id, day: row.day, notes, photoIds },
        occurredAt: new Date(),
      });
      return { result: 'applied', appointment: toAppointment((await this.byId(tx, merchantId, appointmentId))!) };
    });
  }

  /** The appointments of a service order. */
  async ofOrder(merchantId: string, orderId: string, db: Queryable = this.db): Promise<Appointment[]> {
    const { rows } = await db.query<AppointmentRow>(`SELECT ${COLUMNS} FROM appointments WHERE merchant_id = $1 AND order_id = $2 ORDER BY created_at, id`, [merchantId, orderId]);
    return rows.map(toAppointment);
  }

  /** Takes back the seat an appointment held when its move was refused (it was freed for the move). */
  private async retake(tx: Queryable, merchantId: string, row: AppointmentRow): Promise<void> {
    await tx.query(`UPDATE store_day_bookings SET booked = booked + 1 WHERE merchant_id = $1 AND store_id = $2 AND kind = $3 AND day = $4`, [merchantId, row.store_id, row.kind, row.day]);
    if (row.slot !== null) await tx.query(`UPDATE store_slot_bookings SET booked = booked + 1 WHERE merchant_id = $1 AND store_id = $2 AND kind = $3 AND day = $4 AND slot = $5`, [merchantId, row.store_id, row.kind, row.day, row.slot]);
  }

  private async emitBooked(tx: Queryable, merchantId: string, a: { id: string; orderId: string; stageNo: number; storeId: string; day: string; slot: string | null }, rescheduled: boolean): Promise<void> {
    await emitDomainEvent(this.publishIn, tx, merchantId, {
      id: `appointment.booked:${a.id}:${a.storeId}:${a.day}:${a.slot ?? 'day'}`,
      type: 'appointment.booked',
      data: { appointmentId: a.id, orderId: a.orderId, stageNo: a.stageNo, storeId: a.storeId, day: a.day, rescheduled },
      occurredAt: new Date(),
    });
  }

  /** Locks the appointment's service order (the lock order of every stage change), then reads it. */
  private async lockAppointment(tx: Queryable, merchantId: string, appointmentId: string, atStore?: string): Promise<{ locked: LockedOrder; row: AppointmentRow }> {
    const found = await this.byId(tx, merchantId, appointmentId);
    // Another store's visit answers like one that does not exist (a store token sees only its own).
    if (!found || (atStore !== undefined && found.store_id !== atStore)) throw new TkError('TK_NOT_FOUND', `no appointment ${appointmentId.slice(0, 64)}`, { path: '/appointmentId' });
    const locked = await this.serviceOrders.lock(tx, merchantId, found.order_id);
    return { locked, row: (await this.byId(tx, merchantId, appointmentId))! };
  }

  private async byId(db: Queryable, merchantId: string, id: string): Promise<AppointmentRow | undefined> {
    const { rows } = await db.query<AppointmentRow>(`SELECT ${COLUMNS} FROM appointments WHERE merchant_id = $1 AND id = $2`, [merchantId, id]);
    return rows[0];
  }

  private async live(db: Queryable, merchantId: string, orderId: string, stageNo: number): Promise<AppointmentRow | undefined> {
    const { rows } = await db.query<AppointmentRow>(`SELECT ${COLUMNS} FROM appointments WHERE merchant_id = $1 AND order_id = $2 AND stage_no = $3 AND status IN ('booked', 'signed_in')`, [merchantId, orderId, stageNo]);
    return rows[0];
  }
}
