// 服务通 appointments and e-vouchers over HTTP: a store's capacity with working hours and slots, booking
// a paid stage, the reschedule setting, sign-in and completion with a store or staff token of the
// visit's store (another store's token sees nothing), vouchers issued, prechecked, redeemed once,
// reversed and extended; every route tenant-scoped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant, expectError, ok, publish, startTestHost, uploadOf, type TestHost } from './helpers.js';

let t: TestHost;
let acme: string;
let globex: string;
let storeToken: string;
let otherStoreToken: string;
let staffToken: string;
beforeAll(async () => {
  t = await startTestHost({ runtime: { isolation: 'in-process' } });
  acme = await createMerchant(t, 'apv-acme', { development: true, stores: ['apv-acme-sh', 'apv-acme-bj'] });
  globex = await createMerchant(t, 'apv-globex', { development: true });
  // Every order is a small one for the staged-furniture plan: a measurement visit (20 %, due at once), then installation.
  const { plugin } = await publish(t, await uploadOf('stagedFurniture'));
  for (const token of [acme, globex]) await ok(t.api(token, 'POST', '/v1/installs', { plugin, grantPermissions: ['service:read'], settings: { smallOrderBelowFen: 100_000_000 } }), 201);
  storeToken = (await ok(t.api(acme, 'POST', '/v1/tokens', { role: 'store', storeId: 'apv-acme-sh' }), 201)).token;
  otherStoreToken = (await ok(t.api(acme, 'POST', '/v1/tokens', { role: 'store', storeId: 'apv-acme-bj' }), 201)).token;
  await ok(t.api(acme, 'POST', '/v1/staff', { id: 'tech-7', name: 'Technician 7', storeId: 'apv-acme-sh' }));
  staffToken = (await ok(t.api(acme, 'POST', '/v1/tokens', { role: 'staff', staffId: 'tech-7' }), 201)).token;
  // 2 measurement visits a day in two-hour slots of 1 visit, 09:00–13:00; closed Sundays and on a holiday.
  await ok(t.api(acme, 'PUT', '/v1/stores/apv-acme-sh/service-capacity/measurement', { perDay: 2, opensAt: '09:00', closesAt: '13:00', slotMinutes: 120, perSlot: 1, closedWeekdays: [0], closedDates: ['2026-12-25'] }));
}, 60_000);
afterAll(() => t.close());

let seq = 0;
/** A service order whose first stage (a measurement visit) is paid through the fake provider. */
async function paidVisit(token = acme, storeId = 'apv-acme-sh'): Promise<string> {
  const id = `APV-${++seq}`;
  await ok(t.api(token, 'POST', '/v1/orders', { id, kind: 'service', channel: 'store', storeId, lines: [{ sku: 'm', title: 'Measurement', category: 'furniture', quantity: 1, unitPriceFen: 9_900 }], payments: [{ method: 'card', amountFen: 9_900 }], paidAt: '2026-12-01T08:00:00Z' }), 201);
  await ok(t.api(token, 'POST', '/v1/service-orders', { orderId: id }), 201);
  const { intentId } = await ok(t.api(token, 'POST', `/v1/service-orders/${id}/stages/1/pay`), 201);
  await ok(t.api(token, 'POST', `/v1/dev/payments/${intentId}/capture`, {}));
  return id;
}

describe('appointments API', () => {
  it('publishes store capacity with slots and answers the day sheet to the store’s own tokens only', async () => {
    const sheet = await ok(t.api(storeToken, 'GET', '/v1/stores/apv-acme-sh/appointments?day=2026-12-08'));
    expect(sheet.availability).toEqual([{ kind: 'measurement', open: true, capacity: 2, booked: 0, slots: [{ slot: '09:00', capacity: 1, booked: 0 }, { slot: '11:00', capacity: 1, booked: 0 }] }]);
    expectError(await t.api(otherStoreToken, 'GET', '/v1/stores/apv-acme-sh/appointments?day=2026-12-08'), 404, 'TK_NOT_FOUND');
    expectError(await t.api(acme, 'PUT', '/v1/stores/apv-acme-sh/service-capacity/measurement', { perDay: 2, opensAt: '13:00', closesAt: '09:00' }), 400, 'TK_VALIDATION');
    expectError(await t.api(globex, 'PUT', '/v1/stores/apv-acme-sh/service-capacity/measurement', { perDay: 9 }), 404, 'TK_NOT_FOUND');
  });

  it('books a slot, refuses a full slot, a closed date and a time outside the hours', async () => {
    const a = await paidVisit();
    const b = await paidVisit();
    const booked = await ok(t.api(acme, 'POST', `/v1/service-orders/${a}/stages/1/appointments`, { storeId: 'apv-acme-sh', day: '2026-12-09', slot: '09:00' }), 201);
    expect(booked).toMatchObject({ result: 'applied', appointment: { status: 'booked', day: '2026-12-09', slot: '09:00' } });
    expect((await ok(t.api(acme, 'GET', `/v1/service-orders/${a}`))).stages[0].state).toBe('scheduled');
    expect(await ok(t.api(acme, 'POST', `/v1/service-orders/${b}/stages/1/appointments`, { storeId: 'apv-acme-sh', day: '2026-12-09', slot: '09:00' }))).toMatchObject({ result: 'rejected', code: 'slot_full' });
    expect(await ok(t.api(acme, 'POST', `/v1/service-orders/${b}/stages/1/appointments`, { storeId: 'apv-acme-sh', day: '2026-12-25', slot: '09:00' }))).toMatchObject({ result: 'rejected', code: 'store_closed' });
    expect(await ok(t.api(acme, 'POST', `/v1/service-orders/${b}/stages/1/appointments`, { storeId: 'apv-acme-sh', day: '2026-12-09', slot: '13:00' }))).toMatchObject({ result: 'rejected', code: 'outside_hours' });
    expectError(await t.api(acme, 'POST', `/v1/service-orders/${b}/stages/1/appointments`, { storeId: 'apv-acme-sh', day: '2026-13-40' }), 400, 'TK_VALIDATION');
    const sheet = await ok(t.api(acme, 'GET', '/v1/stores/apv-acme-sh/appointments?day=2026-12-09'));
    expect(sheet.availability[0]).toMatchObject({ booked: 1, slots: [{ slot: '09:00', booked: 1 }, { slot: '11:00', booked: 0 }] });
    expectError(await t.api(globex, 'POST', `/v1/service-orders/${b}/stages/1/appointments`, { storeId: 'apv-acme-sh', day: '2026-12-09', slot: '11:00' }), 404, 'TK_NOT_FOUND');
  });

  it('reschedules as often as the merchant’s setting allows', async () => {
    await ok(t.api(acme, 'PUT', '/v1/service-settings', { maxReschedules: 1 }));
    const order = await paidVisit();
    const { appointment } = await ok(t.api(acme, 'POST', `/v1/service-orders/${order}/stages/1/appointments`, { storeId: 'apv-acme-sh', day: '2026-12-10', slot: '09:00' }), 201);
    expect(await ok(t.api(acme, 'POST', `/v1/appointments/${appointment.id}/reschedule`, { storeId: 'apv-acme-sh', day: '2026-12-10', slot: '11:00' }), 201)).toMatchObject({ appointment: { slot: '11:00', reschedules: 1 } });
    expect(await ok(t.api(acme, 'POST', `/v1/appointments/${appointment.id}/reschedule`, { storeId: 'apv-acme-sh', day: '2026-12-11', slot: '09:00' }))).toMatchObject({ result: 'rejected', code: 'reschedule_limit' });
    await ok(t.api(acme, 'PUT', '/v1/service-settings', { maxReschedules: 2 }));
  });

  it('signs in and completes with a staff or store token of the visit’s store; another store’s token sees nothing; the stage completes', async () => {
    const order = await paidVisit();
    const { appointment } = await ok(t.api(acme, 'POST', `/v1/service-orders/${order}/stages/1/appointments`, { storeId: 'apv-acme-sh', day: '2026-12-14', slot: '11:00' }), 201);
    for (const path of ['sign-in', 'complete']) expectError(await t.api(otherStoreToken, 'POST', `/v1/appointments/${appointment.id}/${path}`, {}), 404, 'TK_NOT_FOUND');
    expectError(await t.api(globex, 'POST', `/v1/appointments/${appointment.id}/sign-in`), 404, 'TK_NOT_FOUND');
    // A store token books nothing: booking and rescheduling are the merchant's.
    expectError(await t.api(storeToken, 'POST', `/v1/appointments/${appointment.id}/cancel`, { reason: 'x' }), 403, 'TK_FORBIDDEN');
    expect(await ok(t.api(staffToken, 'POST', `/v1/appointments/${appointment.id}/sign-in`), 201)).toMatchObject({ result: 'applied', appointment: { status: 'signed_in' } });
    expect((await ok(t.api(staffToken, 'POST', `/v1/appointments/${appointment.id}/sign-in`))).result).toBe('duplicate');
    const done = await ok(t.api(storeToken, 'POST', `/v1/appointments/${appointment.id}/complete`, { notes: 'wall 2.41 m', photoIds: ['ph_1', 'ph_2'] }), 201);
    expect(done.appointment).toMatchObject({ status: 'completed', notes: 'wall 2.41 m', photoIds: ['ph_1', 'ph_2'] });
    const after = await ok(t.api(acme, 'GET', `/v1/service-orders/${order}`));
    expect(after.stages.map((s: { state: string }) => s.state)).toEqual(['completed', 'payable']);
    expect(after.history.find((h: { stageNo: number; to: string }) => h.stageNo === 1 && h.to === 'completed')).toMatchObject({ actor: 'store:apv-acme-sh', reason: `appointment ${appointment.id} completed` });
    expect((await ok(t.api(staffToken, 'GET', `/v1/appointments/${appointment.id}`))).status).toBe('completed');
  });

  it('cancels a booking: its seat is free again and the stage waits for a new visit', async () => {
    const order = await paidVisit();
    const { appointment } = await ok(t.api(acme, 'POST', `/v1/service-orders/${order}/stages/1/appointments`, { storeId: 'apv-acme-sh', day: '2026-12-15', slot: '09:00' }), 201);
    await ok(t.api(acme, 'POST', `/v1/appointments/${appointment.id}/cancel`, { reason: 'buyer asked' }), 201);
    expect((await ok(t.api(acme, 'GET', `/v1/service-orders/${order}`))).stages[0].state).toBe('paid');
    expect((await ok(t.api(acme, 'GET', '/v1/stores/apv-acme-sh/appointments?day=2026-12-15'))).availability[0].booked).toBe(0);
  });
});

describe('e-vouchers API', () => {
  it('issues once per key, prechecks at a store, redeems once per use with a store token, reverses and extends', async () => {
    await ok(t.api(acme, 'PUT', '/v1/voucher-templates/free-measure', { title: 'Free measurement', kind: 'free_service', serviceKind: 'measurement', validDays: 30, storeIds: ['apv-acme-sh'] }));
    expect((await ok(t.api(acme, 'GET', '/v1/voucher-templates'))).items).toEqual([expect.objectContaining({ id: 'free-measure', uses: 1 })]);
    const member = await ok(t.api(acme, 'POST', '/v1/members', { channel: 'online' }), 201);
    const order = await paidVisit();
    const issued = await ok(t.api(acme, 'POST', '/v1/vouchers', { templateId: 'free-measure', memberId: member.memberId, orderId: order, stageNo: 1, issueKey: 'gift-1' }), 201);
    expect(issued.voucher).toMatchObject({ initial: 1, available: 1, locked: 0, used: 0, orderId: order, stageNo: 1 });
    expect((await ok(t.api(acme, 'POST', '/v1/vouchers', { templateId: 'free-measure', memberId: member.memberId, orderId: order, stageNo: 1, issueKey: 'gift-1' }))).voucher.serial).toBe(issued.voucher.serial);
    const serial = issued.voucher.serial as string;
    expect(await ok(t.api(storeToken, 'POST', `/v1/vouchers/${serial}/precheck`, { storeId: 'apv-acme-sh' }))).toMatchObject({ valid: true, stage: { orderId: order, stageNo: 1 } });
    expect(await ok(t.api(acme, 'POST', `/v1/vouchers/${serial}/precheck`, { storeId: 'apv-acme-bj' }))).toMatchObject({ valid: false, code: 'not_valid_here' });
    // A store token redeems only at its own store.
    expectError(await t.api(storeToken, 'POST', `/v1/vouchers/${serial}/redeem`, { storeId: 'apv-acme-bj', requestId: 'till-1' }), 404, 'TK_NOT_FOUND');
    const redeemed = await ok(t.api(storeToken, 'POST', `/v1/vouchers/${serial}/redeem`, { storeId: 'apv-acme-sh', requestId: 'till-1' }), 201);
    expect(redeemed.voucher).toMatchObject({ available: 0, used: 1, locked: 0 });
    expect((await ok(t.api(storeToken, 'POST', `/v1/vouchers/${serial}/redeem`, { storeId: 'apv-acme-sh', requestId: 'till-1' }))).result).toBe('duplicate');
    expect(await ok(t.api(staffToken, 'POST', `/v1/vouchers/${serial}/redeem`, { storeId: 'apv-acme-sh', requestId: 'till-2' }))).toMatchObject({ result: 'rejected', code: 'used_up' });
    expect((await ok(t.api(acme, 'POST', `/v1/voucher-redemptions/${redeemed.redemptionId}/reverse`), 201)).voucher).toMatchObject({ available: 1, used: 0 });
    const extended = await ok(t.api(acme, 'POST', `/v1/vouchers/${serial}/extend`, { validUntil: '2030-01-01T00:00:00.000Z' }));
    expect(extended.validUntil).toBe('2030-01-01T00:00:00.000Z');
    expect((await ok(t.api(acme, 'GET', `/v1/vouchers?memberId=${member.memberId}`))).items).toHaveLength(1);
    expectError(await t.api(globex, 'GET', `/v1/vouchers/${serial}`), 404, 'TK_NOT_FOUND');
    expectError(await t.api(globex, 'POST', `/v1/vouchers/${serial}/redeem`, { storeId: 'apv-globex-store1', requestId: 'x' }), 404, 'TK_NOT_FOUND');
    expectError(await t.api(acme, 'POST', '/v1/vouchers', { templateId: 'free-measure', memberId: 'mem_not-a-member', issueKey: 'gift-2' }), 404, 'TK_NOT_FOUND');
  });
});
