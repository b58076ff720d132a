// Points and growth (tier spend) for a service order: each paid stage counts once, as its own money
// fact (`<order>#<stageNo>`), and its refund reverses it — through the points module's order machinery
// (its queue, member.points.earn, the platform default, cumulative reversal). A real host over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant, ok, publish, startTestHost, uploadOf, type TestHost } from './helpers.js';

let t: TestHost;
let brand: string;
beforeAll(async () => {
  t = await startTestHost({ runtime: { isolation: 'in-process' } });
  brand = await createMerchant(t, 'ssp', { development: true });
  const { plugin } = await publish(t, await uploadOf('stagedFurniture'));
  await ok(t.api(brand, 'POST', '/v1/installs', { plugin, grantPermissions: ['service:read'] }), 201);
}, 120_000);
afterAll(() => t?.close());

/** The member's balances once the points queue is done (the host's own worker may hold a row: wait for it). */
const balances = async (memberId: string) => {
  for (;;) {
    await t.host.services.orderPoints.drain();
    const { rows } = await t.host.services.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM points_order_work WHERE merchant_id = 'ssp' AND status = 'pending'`);
    if (rows[0]!.n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const view = await t.host.services.points.memberPoints('ssp', memberId);
  return { points: view.points.balance, growth: view.growth.balance };
};
async function pay(id: string, stageNo: number) {
  const { intentId } = await ok(t.api(brand, 'POST', `/v1/service-orders/${id}/stages/${stageNo}/pay`), 201);
  await ok(t.api(brand, 'POST', `/v1/dev/payments/${intentId}/capture`, {}));
}

describe('points for service stages', () => {
  it('counts each paid stage’s amount once (1 point and 1 growth per yuan by default) and reverses it on its refund', async () => {
    const { memberId } = await ok(t.api(brand, 'POST', '/v1/members', { channel: 'store' }), 201);
    await ok(t.api(brand, 'POST', '/v1/orders', { id: 'SSP-1', kind: 'service', channel: 'store', storeId: 'ssp-store1', member: { id: memberId }, lines: [{ sku: 'w', title: 'Wardrobe', category: 'wardrobe', quantity: 1, unitPriceFen: 1_000_000 }], payments: [{ method: 'card', amountFen: 1_000_000 }], paidAt: '2026-12-01T02:00:00Z' }), 201);
    await ok(t.api(brand, 'POST', '/v1/service-orders', { orderId: 'SSP-1' }), 201);
    // The order's own total earns nothing: only its stages' payments are money facts.
    expect(await balances(memberId)).toEqual({ points: 0, growth: 0 });
    await pay('SSP-1', 1);
    expect(await balances(memberId)).toEqual({ points: 1_000, growth: 1_000 });
    // A second drain (a worker running the queue again) counts nothing twice.
    expect(await balances(memberId)).toEqual({ points: 1_000, growth: 1_000 });
    await ok(t.api(brand, 'POST', '/v1/service-orders/SSP-1/stages/1/advance', { to: 'completed', reason: 'signed' }), 201);
    await pay('SSP-1', 2);
    expect(await balances(memberId)).toEqual({ points: 2_000, growth: 2_000 });
    // The merchant cancels: every paid stage not yet completed is refunded, and its refund reverses its points.
    await ok(t.api(brand, 'POST', '/v1/service-orders/SSP-1/cancel', { by: 'merchant', reason: 'cannot deliver' }), 201);
    expect(await balances(memberId)).toEqual({ points: 1_000, growth: 1_000 });
    const ledger = await t.host.services.db.query<{ order_id: string; paid_fen: number; refunded_fen: number }>(`SELECT order_id, paid_fen, refunded_fen FROM points_orders WHERE merchant_id = 'ssp' ORDER BY order_id`);
    expect(ledger.rows.map((r) => [r.order_id, Number(r.paid_fen), Number(r.refunded_fen)])).toEqual([['SSP-1#1', 100_000, 0], ['SSP-1#2', 100_000, 100_000]]);
  });

  it('a buyer’s cancellation keeps the forfeited deposit’s points and reverses the refunded stage’s', async () => {
    const { memberId } = await ok(t.api(brand, 'POST', '/v1/members', { channel: 'store' }), 201);
    await ok(t.api(brand, 'POST', '/v1/orders', { id: 'SSP-2', kind: 'service', channel: 'store', storeId: 'ssp-store1', member: { id: memberId }, lines: [{ sku: 'w', title: 'Wardrobe', category: 'wardrobe', quantity: 1, unitPriceFen: 500_000 }], payments: [{ method: 'card', amountFen: 500_000 }], paidAt: '2026-12-01T02:00:00Z' }), 201);
    await ok(t.api(brand, 'POST', '/v1/service-orders', { orderId: 'SSP-2' }), 201);
    await pay('SSP-2', 1);
    await ok(t.api(brand, 'POST', '/v1/service-orders/SSP-2/stages/1/advance', { to: 'completed', reason: 'signed' }), 201);
    await pay('SSP-2', 2);
    expect(await balances(memberId)).toEqual({ points: 1_000, growth: 1_000 });
    await ok(t.api(brand, 'POST', '/v1/service-orders/SSP-2/cancel', { by: 'buyer', reason: 'changed mind' }), 201);
    expect(await balances(memberId)).toEqual({ points: 500, growth: 500 });
  });
});
