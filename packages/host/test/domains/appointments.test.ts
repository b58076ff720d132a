// 服务通 appointments as a spec: booked once the stage is paid, against a store's capacity per day;
// never overbooked, also when many bookings race; reschedule, cancel, sign-in and completion.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceStagePlan } from '@tongkit/sdk';
import { Appointments } from '../../src/domains/service/appointments.js';
import { PaymentCallbacks } from '../../src/domains/service/payments.js';
import { ServiceOrders } from '../../src/domains/service/service-orders.js';
import { eventsOf, startDomainHost, type DomainHost } from './support.js';

let host: DomainHost;
let service: ServiceOrders;
let payments: PaymentCallbacks;
let appointments: Appointments;

/** Measurement (paid at once, needs a visit), then the rest. */
const plan: ServiceStagePlan[] = [
  { kind: 'measurement', ratioBps: 1_000, needsAppointment: true, refundable: true, due: 'on_creation' },
  { kind: 'installation', ratioBps: 9_000, needsAppointment: true, refundable: true, due: 'after_previous_completes' },
];

beforeAll(async () => {
  host = await startDomainHost();
  await host.database.db.query(`UPDATE merchants SET is_development = true`);
  const s = host.services;
  const publishIn: ConstructorParameters<typeof ServiceOrders>[2] = (tx, m, e, d) => s.dispatcher.publishIn(tx, m, e, d);
  service = new ServiceOrders(s.db, s.orders, publishIn, async () => ({ stages: plan, source: 'plugin', installId: null }));
  payments = new PaymentCallbacks(s.db, service);
  appointments = new Appointments(s.db, service, publishIn);
  await appointments.setCapacity('acme', 'acme-sh', 'measurement', 3, [0]);
});
afterAll(() => host.close());

let seq = 0;
/** A service order whose measurement stage is paid, ready to book. */
async function paidMeasurement(): Promise<string> {
  const id = `ap-${++seq}`;
  await host.services.orders.create('acme', { id, kind: 'service', channel: 'store', storeId: 'acme-sh', lines: [{ sku: 'w', title: 'W', category: 'furniture', quantity: 1, unitPriceFen: 100_000 }], payments: [{ method: 'card', amountFen: 100_000 }], paidAt: '2026-12-01T08:00:00Z' });
  await service.create('acme', id);
  const { intentId } = await service.pay('acme', id, 1);
  const signed = await payments.fakeCapture('acme', intentId!);
  expect((await payments.receive(signed.headers, signed.body)).result).toBe('applied');
  return id;
}
const booked = async (day: string) => (await host.database.db.query<{ booked: number }>(`SELECT booked FROM store_day_bookings WHERE merchant_id = 'acme' AND day = $1`, [day])).rows[0]?.booked ?? 0;

describe('appointments', () => {
  it('books a paid stage’s visit (the stage is scheduled), reschedules, cancels, and completes it with notes and photos', async () => {
    const order = await paidMeasurement();
    const first = await appointments.book('acme', order, 1, 'acme-sh', '2026-12-08', 'merchant:acme');
    if (first.result === 'rejected') throw new Error(first.message);
    expect((await service.get('acme', order)).stages[0]!.state).toBe('scheduled');
    expect((await appointments.book('acme', order, 1, 'acme-sh', '2026-12-08', 'merchant:acme')).result).toBe('duplicate');
    const moved = await appointments.reschedule('acme', first.appointment.id, 'acme-sh', '2026-12-09');
    expect(moved).toMatchObject({ result: 'applied', appointment: { day: '2026-12-09', reschedules: 1 } });
    expect([await booked('2026-12-08'), await booked('2026-12-09')]).toEqual([0, 1]);
    await appointments.reschedule('acme', first.appointment.id, 'acme-sh', '2026-12-10');
    expect(await appointments.reschedule('acme', first.appointment.id, 'acme-sh', '2026-12-11')).toMatchObject({ result: 'rejected', code: 'reschedule_limit' });
    await appointments.cancel('acme', first.appointment.id, 'merchant:acme', 'buyer asked');
    expect((await service.get('acme', order)).stages[0]!.state).toBe('paid');
    const again = await appointments.book('acme', order, 1, 'acme-sh', '2026-12-15', 'merchant:acme');
    if (again.result === 'rejected') throw new Error(again.message);
    await appointments.signIn('acme', again.appointment.id);
    const done = await appointments.complete('acme', again.appointment.id, 'staff:tech-7', 'measured 2.4 m', ['photo_1', 'photo_2']);
    expect(done.appointment).toMatchObject({ status: 'completed', notes: 'measured 2.4 m', photoIds: ['photo_1', 'photo_2'] });
    const after = await service.get('acme', order);
    expect(after.stages.map((s) => s.state)).toEqual(['completed', 'payable']);
    expect((await eventsOf(host, 'acme', 'appointment.completed')).map((e) => e.data['appointmentId'])).toContain(again.appointment.id);
  });

  it('refuses a stage that is not paid, a closed day, and another merchant’s order or store', async () => {
    const order = await paidMeasurement();
    await expect(appointments.book('acme', order, 2, 'acme-sh', '2026-12-08', 'merchant:acme')).rejects.toMatchObject({ code: 'TK_CONFLICT', message: expect.stringMatching(/pending/) });
    // 2026-12-06 is a Sunday: closed.
    expect(await appointments.book('acme', order, 1, 'acme-sh', '2026-12-06', 'merchant:acme')).toMatchObject({ result: 'rejected', code: 'store_closed' });
    await expect(appointments.book('globex', order, 1, 'acme-sh', '2026-12-08', 'merchant:globex')).rejects.toMatchObject({ code: 'TK_NOT_FOUND' });
    await expect(appointments.setCapacity('globex', 'acme-sh', 'measurement', 9)).rejects.toMatchObject({ code: 'TK_NOT_FOUND', path: '/storeId' });
  });

  it('never overbooks a store-day under concurrent bookings (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 8 }), async (capacity, bookers) => {
        const kind = `measurement`;
        const day = `2027-01-${String(++seq % 28 + 1).padStart(2, '0')}`;
        const storeId = `acme-cap-${seq}`;
        await host.services.tenancy.upsertStore({ id: storeId, merchantId: 'acme', name: storeId, channel: 'store' });
        await appointments.setCapacity('acme', storeId, kind, capacity);
        const orders = await Promise.all(Array.from({ length: bookers }, () => paidMeasurement()));
        const results = await Promise.all(orders.map((order) => appointments.book('acme', order, 1, storeId, day, 'merchant:acme')));
        const applied = results.filter((r) => r.result === 'applied').length;
        expect(applied).toBe(Math.min(capacity, bookers));
        expect(results.filter((r) => r.result === 'rejected').every((r) => r.result === 'rejected' && (r.code === 'store_day_full' || capacity === 0))).toBe(true);
        const { rows } = await host.database.db.query<{ n: string }>(`SELECT count(*) AS n FROM appointments WHERE merchant_id = 'acme' AND store_id = $1 AND status = 'booked'`, [storeId]);
        expect(Number(rows[0]!.n)).toBe(applied);
      }),
      { numRuns: 12 },
    );
  }, 240_000);
});
