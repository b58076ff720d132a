import { randomUUID } from 'node:crypto';
import { TkError } from '@tongkit/sdk';
import type { Database, Queryable } from '../../platform/storage/database.js';
import { emitDomainEvent, type PublishInTransaction } from '../domain-events.js';
import type { ServiceOrders } from './service-orders.js';
import { moveStage, settleStages, type LockedOrder } from './stage-transitions.js';

/** How many times an appointment may be rescheduled (a merchant setting later; the platform default now). */
export const MAX_RESCHEDULES = 2;

/** An appointment as the API answers it. */
export interface Appointment {
  id: string;
  orderId: string;
  stageNo: number;
  storeId: string;
  day: string;
  status: 'booked' | 'signed_in' | 'completed' | 'cancelled';
  reschedules: number;
  notes: string | null;
  photoIds: string[];
}

/** The outcome of a booking: `rejected` with a code when the store-day is full or closed. */
export type BookingResult = { result: 'applied' | 'duplicate'; appointment: Appointment } | { result: 'rejected'; code: 'store_day_full' | 'store_closed' | 'reschedule_limit'; message: string };

interface AppointmentRow {
  id: string;
  order_id: string;
  stage_no: number;
  store_id: string;
  kind: string;
  day: string;
  status: Appointment['status'];
  reschedules: number;
  notes: string | null;
  photo_ids: string[];
}

const COLUMNS = `id, order_id, stage_no, store_id, kind, to_char(day, 'YYYY-MM-DD') AS day, status, reschedules, notes, photo_ids`;
const toAppointment = (r: AppointmentRow): Appointment => ({ id: r.id, orderId: r.order_id, stageNo: r.stage_no, storeId: r.store_id, day: r.day, status: r.status, reschedules: r.reschedules, notes: r.notes, photoIds: r.photo_ids });
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Appointments for stages that need a visit: booked once the stage is paid, against a store's capacity
 * per day and stage kind. A booking takes a seat of the store-day with one conditional upsert — the
 * row lock of the counter settles concurrent bookings and `booked ≤ capacity` is a CHECK — so a day is
 * never overbooked, whichever host process books. Booking schedules the stage; cancelling returns it to
 * paid; completing the visit completes the stage.
 */
export class Appointments {
  constructor(
    private readonly db: Database,
    private readonly serviceOrders: ServiceOrders,
    private readonly publishIn: PublishInTransaction,
  ) {}

  /** Sets a store's capacity for a stage kind (per day) and its closed weekdays. */
  async setCapacity(merchantId: string, storeId: string, kind: string, perDay: number, closedWeekdays: number[] = []): Promise<void> {
    const store = await this.db.query('SELECT 1 FROM stores WHERE merchant_id = $1 AND id = $2', [merchantId, storeId]);
    if (store.rowCount === 0) throw new TkError('TK_NOT_FOUND', `no store ${storeId} among the merchant's stores`, { path: '/storeId' });
    await this.db.query(
      `INSERT INTO store_service_capacity (merchant_id, store_id, kind, per_day, closed_weekdays) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (merchant_id, store_id, kind) DO UPDATE SET per_day = EXCLUDED.per_day, closed_weekdays = EXCLUDED.closed_weekdays`,
      [merchantId, storeId, kind, perDay, closedWeekdays],
    );
  }

  /** Books the visit of a paid stage at a store on a day (the merchant's local date). */
  async book(merchantId: string, orderId: string, stageNo: number, storeId: string, day: string, actor: string): Promise<BookingResult> {
    if (!DAY.test(day)) throw new TkError('TK_VALIDATION', `not a date: ${day.slice(0, 32)}`, { path: '/day' });
    return this.db.transaction(async (tx) => {
      const locked = await this.serviceOrders.lock(tx, merchantId, orderId);
      const stage = locked.stages.find((s) => s.stage_no === stageNo);
      if (!stage) throw new TkError('TK_NOT_FOUND', `service order ${orderId} has no stage ${stageNo}`, { path: '/stageNo' });
      if (!stage.needs_appointment) throw new TkError('TK_CONFLICT', `stage ${stageNo} needs no appointment`, { path: '/stageNo' });
      const live = await this.live(tx, merchantId, orderId, stageNo);
      if (live) {
        if (live.store_id === storeId && live.day === day) return { result: 'duplicate', appointment: toAppointment(live) };
        throw new TkError('TK_CONFLICT', `stage ${stageNo} already has appointment ${live.id} on ${live.day}: reschedule it`, { path: '/stageNo' });
      }
      if (stage.state !== 'paid') throw new TkError('TK_CONFLICT', `stage ${stageNo} is ${stage.state}: a visit is booked once the stage is paid`, { path: '/stageNo', details: { state: stage.state } });
      const seat = await this.takeSeat(tx, merchantId, storeId, stage.kind, day);
      if (seat !== 'ok') return seat;
      const id = `ap_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
      await tx.query(`INSERT INTO appointments (merchant_id, id, order_id, stage_no, store_id, kind, day, status) VALUES ($1, $2, $3, $4, $5, $6, $7, 'booked')`, [merchantId, id, orderId, stageNo, storeId, stage.kind, day]);
      await moveStage(locked, stage, 'scheduled', { cause: 'merchant', actor, reason: `appointment ${id} at ${storeId} on ${day}` });
      await this.emitBooked(tx, merchantId, { id, orderId, stageNo, storeId, day }, false);
      return { result: 'applied', appointment: toAppointment((await this.live(tx, merchantId, orderId, stageNo))!) };
    });
  }

  /** Moves a booked appointment to another day or store (at most {@link MAX_RESCHEDULES} times). */
  async reschedule(merchantId: string, appointmentId: string, storeId: string, day: string): Promise<BookingResult> {
    if (!DAY.test(day)) throw new TkError('TK_VALIDATION', `not a date: ${day.slice(0, 32)}`, { path: '/day' });
    return this.db.transaction(async (tx) => {
      const { row } = await this.lockAppointment(tx, merchantId, appointmentId);
      if (row.status !== 'booked') throw new TkError('TK_CONFLICT', `appointment ${appointmentId} is ${row.status}`, { path: '/appointmentId' });
      if (row.store_id === storeId && row.day === day) return { result: 'duplicate', appointment: toAppointment(row) };
      if (row.reschedules >= MAX_RESCHEDULES) return { result: 'rejected', code: 'reschedule_limit', message: `appointment ${appointmentId} was rescheduled ${row.reschedules} times already` };
      const seat = await this.takeSeat(tx, merchantId, storeId, row.kind, day);
      if (seat !== 'ok') return seat;
      await this.freeSeat(tx, merchantId, row.store_id, row.kind, row.day);
      await tx.query(`UPDATE appointments SET store_id = $3, day = $4, reschedules = reschedules + 1 WHERE merchant_id = $1 AND id = $2`, [merchantId, appointmentId, storeId, day]);
      await this.emitBooked(tx, merchantId, { id: appointmentId, orderId: row.order_id, stageNo: row.stage_no, storeId, day }, true);
      return { result: 'applied', appointment: toAppointment((await this.byId(tx, merchantId, appointmentId))!) };
    });
  }

  /** Cancels a booked appointment: its seat is freed and the stage waits for a new one (paid). */
  async cancel(merchantId: string, appointmentId: string, actor: string, reason: string): Promise<{ result: 'applied' | 'duplicate'; appointment: Appointment }> {
    return this.db.transaction(async (tx) => {
      const { locked, row } = await this.lockAppointment(tx, merchantId, appointmentId);
      if (row.status === 'cancelled') return { result: 'duplicate', appointment: toAppointment(row) };
      if (row.status !== 'booked') throw new TkError('TK_CONFLICT', `appointment ${appointmentId} is ${row.status}`, { path: '/appointmentId' });
      await this.freeSeat(tx, merchantId, row.store_id, row.kind, row.day);
      await tx.query(`UPDATE appointments SET status = 'cancelled' WHERE merchant_id = $1 AND id = $2`, [merchantId, appointmentId]);
      const stage = locked.stages.find((s) => s.stage_no === row.stage_no)!;
      if (stage.state === 'scheduled') await moveStage(locked, stage, 'paid', { cause: 'merchant', actor, reason: `appointment ${appointmentId} cancelled: ${reason}` });
      return { result: 'applied', appointment: toAppointment((await this.byId(tx, merchantId, appointmentId))!) };
    });
  }

  /** The technician signed in on arrival. */
  async signIn(merchantId: string, appointmentId: string): Promise<{ result: 'applied' | 'duplicate'; appointment: Appointment }> {
    return this.db.transaction(async (tx) => {
      const { row } = await this.lockAppointment(tx, merchantId, appointmentId);
      if (row.status === 'signed_in') return { result: 'duplicate', appointment: toAppointment(row) };
      if (row.status !== 'booked') throw new TkError('TK_CONFLICT', `appointment ${appointmentId} is ${row.status}`, { path: '/appointmentId' });
      await tx.query(`UPDATE appointments SET status = 'signed_in' WHERE merchant_id = $1 AND id = $2`, [merchantId, appointmentId]);
      return { result: 'applied', appointment: toAppointment((await this.byId(tx, merchantId, appointmentId))!) };
    });
  }

  /** Completes the visit with notes and photo references (IDs, not bytes); its stage completes. */
  async complete(merchantId: string, appointmentId: string, actor: string, notes: string | null, photoIds: string[]): Promise<{ result: 'applied' | 'duplicate'; appointment: Appointment }> {
    return this.db.transaction(async (tx) => {
      const { locked, row } = await this.lockAppointment(tx, merchantId, appointmentId);
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

  /** Takes a seat of the store-day in one statement: it only succeeds below capacity. */
  private async takeSeat(tx: Queryable, merchantId: string, storeId: string, kind: string, day: string): Promise<'ok' | Extract<BookingResult, { result: 'rejected' }>> {
    const capacity = await tx.query<{ per_day: number; closed_weekdays: number[] }>(`SELECT per_day, closed_weekdays FROM store_service_capacity WHERE merchant_id = $1 AND store_id = $2 AND kind = $3`, [merchantId, storeId, kind]);
    const row = capacity.rows[0];
    if (!row) return { result: 'rejected', code: 'store_closed', message: `store ${storeId} offers no ${kind} visits` };
    const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
    if (row.closed_weekdays.includes(weekday)) return { result: 'rejected', code: 'store_closed', message: `store ${storeId} is closed on ${day}` };
    const taken = await tx.query(
      `INSERT INTO store_day_bookings (merchant_id, store_id, kind, day, capacity, booked) SELECT $1, $2, $3, $4, $5, 1 WHERE $5 > 0
       ON CONFLICT (merchant_id, store_id, kind, day) DO UPDATE SET booked = store_day_bookings.booked + 1 WHERE store_day_bookings.booked < store_day_bookings.capacity`,
      [merchantId, storeId, kind, day, row.per_day],
    );
    if (taken.rowCount === 1) return 'ok';
    return { result: 'rejected', code: 'store_day_full', message: `store ${storeId} has no ${kind} visit left on ${day}` };
  }

  private async freeSeat(tx: Queryable, merchantId: string, storeId: string, kind: string, day: string): Promise<void> {
    await tx.query(`UPDATE store_day_bookings SET booked = booked - 1 WHERE merchant_id = $1 AND store_id = $2 AND kind = $3 AND day = $4 AND booked > 0`, [merchantId, storeId, kind, day]);
  }

  private async emitBooked(tx: Queryable, merchantId: string, a: { id: string; orderId: string; stageNo: number; storeId: string; day: string }, rescheduled: boolean): Promise<void> {
    await emitDomainEvent(this.publishIn, tx, merchantId, {
      id: `appointment.booked:${a.id}:${a.storeId}:${a.day}`,
      type: 'appointment.booked',
      data: { appointmentId: a.id, orderId: a.orderId, stageNo: a.stageNo, storeId: a.storeId, day: a.day, rescheduled },
      occurredAt: new Date(),
    });
  }

  /** Locks the appointment's service order (the lock order of every stage change), then reads it. */
  private async lockAppointment(tx: Queryable, merchantId: string, appointmentId: string): Promise<{ locked: LockedOrder; row: AppointmentRow }> {
    const found = await this.byId(tx, merchantId, appointmentId);
    if (!found) throw new TkError('TK_NOT_FOUND', `no appointment ${appointmentId.slice(0, 64)}`, { path: '/appointmentId' });
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
