// The staged-furniture plan on a real host (HTTP, PostgreSQL, the plugin in the sandbox): one order
// walked through every stage — a measurement voucher, a booking and a reschedule, a re-price after
// measurement, sign-in and completion with store and staff tokens, the 0 % booking never charged, the
// final payment — and a second order at a store with its own ratios, cancelled by the buyer.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFixtures } from '@tongkit/runtime';
import { buildPlugin } from '@tongkit/runtime/build';
import { createMerchant, ok, publish, startTestHost, type TestHost } from '../../../packages/host/test/helpers.js';

const root = fileURLToPath(new URL('..', import.meta.url));
let t: TestHost;
let brand: string;
let staff: string;
let store: string;

beforeAll(async () => {
  t = await startTestHost({ runtime: { isolation: 'in-process' } });
  brand = await createMerchant(t, 'furn', { development: true, stores: ['furn-sh', 'furn-bj'] });
  const { bundle } = await buildPlugin(root);
  const fixtures = await readFixtures(`${root}/fixtures`, root);
  // Review runs the fixtures in the sandbox before the version is approved.
  const { plugin } = await publish(t, { ...bundle, fixtures });
  const install = await ok(t.api(brand, 'POST', '/v1/installs', { plugin, grantPermissions: ['service:read'], settings: { categoryPlans: [{ category: 'kitchen', ratios: { designOrderBps: 1_000, measurementBps: 2_000, designDeliveryBps: 2_000, installAppointmentBps: 0, finalBps: 5_000 } }] } }), 201);
  // The Beijing store asks a larger deposit and no separate design payment share.
  await ok(t.api(brand, 'PUT', `/v1/installs/${install.id}/stores/furn-bj/settings`, { ratios: { designOrderBps: 2_000, measurementBps: 1_000, designDeliveryBps: 2_000, installAppointmentBps: 0, finalBps: 5_000 } }));
  for (const kind of ['measurement', 'install_appointment']) await ok(t.api(brand, 'PUT', `/v1/stores/furn-sh/service-capacity/${kind}`, { perDay: 3, opensAt: '09:00', closesAt: '18:00', closedWeekdays: [0] }));
  await ok(t.api(brand, 'PUT', '/v1/voucher-templates/free-measure', { title: '免费量尺 free measurement', kind: 'free_service', serviceKind: 'measurement', validDays: 60, storeIds: ['furn-sh'] }));
  await ok(t.api(brand, 'POST', '/v1/staff', { id: 'tech-li', name: '李师傅', storeId: 'furn-sh' }));
  staff = (await ok(t.api(brand, 'POST', '/v1/tokens', { role: 'staff', staffId: 'tech-li' }), 201)).token;
  store = (await ok(t.api(brand, 'POST', '/v1/tokens', { role: 'store', storeId: 'furn-sh' }), 201)).token;
}, 120_000);
afterAll(() => t?.close());

async function order(id: string, totalFen: number, storeId: string, category = 'wardrobe', memberId?: string) {
  await ok(t.api(brand, 'POST', '/v1/orders', { id, kind: 'service', channel: 'store', storeId, ...(memberId ? { member: { id: memberId } } : {}), lines: [{ sku: `${category}-1`, title: category, category, quantity: 1, unitPriceFen: totalFen }], payments: [{ method: 'card', amountFen: totalFen }], paidAt: '2026-12-01T02:00:00Z' }), 201);
  return ok(t.api(brand, 'POST', '/v1/service-orders', { orderId: id }), 201);
}
async function pay(id: string, stageNo: number) {
  const { intentId } = await ok(t.api(brand, 'POST', `/v1/service-orders/${id}/stages/${stageNo}/pay`), 201);
  expect(await ok(t.api(brand, 'POST', `/v1/dev/payments/${intentId}/capture`, {}))).toEqual({ result: 'applied' });
}
const show = (id: string) => ok(t.api(brand, 'GET', `/v1/service-orders/${id}`));
const states = async (id: string) => (await show(id)).stages.map((s: { state: string }) => s.state);
const amounts = async (id: string) => (await show(id)).stages.map((s: { amountFen: number }) => s.amountFen);

describe('staged-furniture', () => {
  it('walks one wardrobe through every stage: voucher, booking, reschedule, re-price, visits by staff and store tokens, final payment', async () => {
    const member = await ok(t.api(brand, 'POST', '/v1/members', { channel: 'store' }), 201);
    const created = await order('F-1001', 1_000_000, 'furn-sh', 'wardrobe', member.memberId);
    expect(created.order.planSource).toBe('plugin');
    expect(await amounts('F-1001')).toEqual([100_000, 100_000, 300_000, 0, 500_000]);
    expect(await states('F-1001')).toEqual(['payable', 'pending', 'pending', 'pending', 'pending']);

    // 1. 定金: paid, the design order signed.
    await pay('F-1001', 1);
    await ok(t.api(brand, 'POST', '/v1/service-orders/F-1001/stages/1/advance', { to: 'completed', reason: 'design order signed' }), 201);
    // 2. 量尺: paid, a free-measurement voucher for it, the visit booked and moved once.
    await pay('F-1001', 2);
    const { voucher } = await ok(t.api(brand, 'POST', '/v1/vouchers', { templateId: 'free-measure', memberId: member.memberId, orderId: 'F-1001', stageNo: 2, issueKey: 'F-1001-measure' }), 201);
    const booked = await ok(t.api(brand, 'POST', '/v1/service-orders/F-1001/stages/2/appointments', { storeId: 'furn-sh', day: '2026-12-08' }), 201);
    expect(booked.appointment.status).toBe('booked');
    const moved = await ok(t.api(brand, 'POST', `/v1/appointments/${booked.appointment.id}/reschedule`, { storeId: 'furn-sh', day: '2026-12-09' }), 201);
    expect(moved.appointment).toMatchObject({ day: '2026-12-09', reschedules: 1 });
    expect(await ok(t.api(store, 'POST', `/v1/vouchers/${voucher.serial}/precheck`, { storeId: 'furn-sh' }))).toMatchObject({ valid: true, stage: { orderId: 'F-1001', stageNo: 2 } });
    expect((await ok(t.api(store, 'POST', `/v1/vouchers/${voucher.serial}/redeem`, { storeId: 'furn-sh', requestId: 'till-7' }), 201)).voucher).toMatchObject({ initial: 1, available: 0, used: 1 });
    await ok(t.api(staff, 'POST', `/v1/appointments/${booked.appointment.id}/sign-in`), 201);
    await ok(t.api(staff, 'POST', `/v1/appointments/${booked.appointment.id}/complete`, { notes: 'wall 2.41 m × 2.60 m', photoIds: ['ph_wall_1'] }), 201);
    expect(await states('F-1001')).toEqual(['completed', 'completed', 'payable', 'pending', 'pending']);

    // Re-priced after measurement: paid stays fixed, the new remainder spreads over 30 / 0 / 50.
    await ok(t.api(brand, 'POST', '/v1/service-orders/F-1001/reprice', { totalFen: 1_200_000, reason: 'measured: a larger wardrobe' }), 201);
    expect(await amounts('F-1001')).toEqual([100_000, 100_000, 375_000, 0, 625_000]);

    // 3. 设计, then 4. the 0 % installation booking (never charged: paid by the host), visited by the store.
    await pay('F-1001', 3);
    await ok(t.api(brand, 'POST', '/v1/service-orders/F-1001/stages/3/advance', { to: 'completed', reason: 'design delivered' }), 201);
    expect((await show('F-1001')).stages[3]).toMatchObject({ state: 'paid', amountFen: 0, paidFen: 0 });
    const install = await ok(t.api(brand, 'POST', '/v1/service-orders/F-1001/stages/4/appointments', { storeId: 'furn-sh', day: '2026-12-22' }), 201);
    await ok(t.api(store, 'POST', `/v1/appointments/${install.appointment.id}/complete`, { notes: 'installed', photoIds: ['ph_done_1', 'ph_done_2'] }), 201);
    // 5. 尾款: due once everything else is done.
    expect((await show('F-1001')).stages[4].state).toBe('payable');
    await pay('F-1001', 5);
    await ok(t.api(brand, 'POST', '/v1/service-orders/F-1001/stages/5/advance', { to: 'completed', reason: 'final payment received' }), 201);
    const done = await show('F-1001');
    expect(done).toMatchObject({ status: 'completed', totalFen: 1_200_000, paidFen: 1_200_000 });
    expect(done.history.map((h: { actor: string }) => h.actor)).toEqual(expect.arrayContaining(['staff:tech-li', 'store:furn-sh', 'host']));
  });

  it('plans by category and order size, and by the store’s own ratios', async () => {
    expect(await amounts((await order('F-1002', 1_000_000, 'furn-sh', 'kitchen')).order.id)).toEqual([100_000, 200_000, 200_000, 0, 500_000]);
    expect(await amounts((await order('F-1003', 200_000, 'furn-sh', 'shelf')).order.id)).toEqual([40_000, 160_000]);
    expect(await amounts((await order('F-1004', 1_000_001, 'furn-bj')).order.id)).toEqual([200_000, 100_000, 200_000, 0, 500_001]);
  });

  it('a buyer’s cancellation forfeits the deposit and refunds the paid refundable measurement', async () => {
    await order('F-1005', 800_000, 'furn-bj');
    await pay('F-1005', 1);
    await ok(t.api(brand, 'POST', '/v1/service-orders/F-1005/stages/1/advance', { to: 'completed', reason: 'design order signed' }), 201);
    await pay('F-1005', 2);
    const cancelled = await ok(t.api(brand, 'POST', '/v1/service-orders/F-1005/cancel', { by: 'buyer', reason: 'moved house' }), 201);
    expect(cancelled.order.status).toBe('cancelled');
    const [deposit, measurement] = cancelled.order.stages;
    expect(deposit).toMatchObject({ state: 'completed', paidFen: 160_000, refundedFen: 0 });
    expect(measurement).toMatchObject({ state: 'refunded', paidFen: 80_000, refundedFen: 80_000 });
    expect(cancelled.order.stages.slice(2).map((s: { state: string }) => s.state)).toEqual(['cancelled', 'cancelled', 'cancelled']);
  });
});
