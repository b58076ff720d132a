// Points earned per order: member.points.earn (the first merge point) on order.paid, with a failing
// install, the platform default, the cap, and cumulative reversal on refunds — also a refund processed
// before its order's earn. Real sandboxed plugins on a real PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlugin } from '@tongkit/runtime/build';
import { createHostServices, type HostServices } from '../src/testing.js';
import { type Principal } from '../src/index.js';
import { DEFAULT_EARN_POLICY, mergeEarnAnswers } from '../src/domains/points/index.js';
import { createTestDatabase, type TestDatabase } from '../src/testing.js';
import { PLUGIN_DIRS } from './helpers.js';

const developer: Principal = { role: 'developer', subjectId: 'dev-earn' };

let test: TestDatabase;
let services: HostServices;

async function publishPlugin(dir: string): Promise<string> {
  const { bundle } = await buildPlugin(dir);
  // Development merchants run unreviewed versions: a plugin that always fails could not pass review.
  return (await services.registry.deploy(developer, bundle)).plugin;
}

beforeAll(async () => {
  test = await createTestDatabase();
  services = createHostServices(test.db, { runtime: { isolation: 'in-process' } });
  await services.tenancy.upsertTier({ id: 'standard', name: 'Standard' });
  await services.tenancy.upsertDeveloper({ id: developer.subjectId, name: 'Earn developer' });
  for (const id of ['two-plugins', 'no-plugins', 'failing-only']) await services.tenancy.upsertMerchant({ id, name: id, tierId: 'standard', development: true });
  const perYuan = await publishPlugin(PLUGIN_DIRS.earnPerYuan);
  const failing = await publishPlugin(PLUGIN_DIRS.earnFailing);
  const grant = ['member:read', 'orders:read'] as const;
  // Install order is merge order: the failing one first, so it must not stop the one after it.
  await services.installs.install('two-plugins', { plugin: failing, grantPermissions: [...grant] });
  await services.installs.install('two-plugins', { plugin: perYuan, grantPermissions: [...grant], settings: { pointsPerYuan: 3 } });
  await services.installs.install('failing-only', { plugin: failing, grantPermissions: [...grant] });
}, 120_000);

afterAll(async () => {
  await services?.runtime.dispose();
  await test?.drop();
});

let seq = 0;
async function paidOrder(merchantId: string, spendFen: number, category = 'food') {
  const { memberId } = await services.members.register(merchantId, { channel: 'online' });
  const id = `O-${++seq}`;
  await services.orders.create(merchantId, {
    id,
    kind: 'goods',
    channel: 'online',
    member: { id: memberId },
    lines: [{ sku: 'sku', title: 'Item', category, quantity: 1, unitPriceFen: spendFen }],
    payments: [{ method: 'card', amountFen: spendFen }],
    paidAt: '2026-11-25T08:00:00Z',
  });
  return { id, memberId };
}
const refund = (merchantId: string, orderId: string, amountFen: number) =>
  services.orders.refund(merchantId, orderId, { refundId: `R-${++seq}`, amountFen, refundedAt: '2026-11-26T08:00:00Z' });
const balances = async (merchantId: string, memberId: string) => {
  const view = await services.points.memberPoints(merchantId, memberId);
  return { points: view.points.balance, growth: view.growth.balance, debt: view.points.debt };
};

describe('the merge rule', () => {
  const answer = (installId: string, points: number, growth = 0) => ({ installId, plugin: installId, ok: true as const, output: { points, growth, reason: installId } });

  it('adds every answer up, each as its own source', () => {
    const { grants } = mergeEarnAnswers([answer('a', 10, 1), answer('b', 5, 2)], 10_000, DEFAULT_EARN_POLICY);
    expect(grants.map((g) => [g.source.id, g.points, g.growth])).toEqual([
      ['a', 10, 1],
      ['b', 5, 2],
    ]);
  });

  it('cuts the install that crosses the cap to fit; later ones get cap_reached', () => {
    const { outcomes } = mergeEarnAnswers([answer('a', 80), answer('b', 50), answer('c', 10)], 10_000, { ...DEFAULT_EARN_POLICY, capPointsPerOrder: 100 });
    expect(outcomes.map((o) => [o.installId, o.status, o.points])).toEqual([
      ['a', 'granted', 80],
      ['b', 'cut_to_cap', 20],
      ['c', 'cap_reached', 0],
    ]);
  });

  it('lets a failed install add nothing, and applies the default once, only when no install answered', () => {
    const failed = { installId: 'x', plugin: 'x', ok: false as const, errorCode: 'TK_PLUGIN_ERROR' };
    expect(mergeEarnAnswers([failed, answer('a', 7)], 10_000, DEFAULT_EARN_POLICY).grants.map((g) => g.source.id)).toEqual(['a']);
    const allFailed = mergeEarnAnswers([failed, failed], 12_345, DEFAULT_EARN_POLICY);
    expect(allFailed.grants.map((g) => [g.source.id, g.points, g.growth])).toEqual([['default-rate', 123, 123]]);
    expect(mergeEarnAnswers([], 12_345, { pointsPerYuanBp: 20_000, growthPerYuanBp: 5_000, capPointsPerOrder: 200 }).grants.map((g) => [g.points, g.growth])).toEqual([[200, 61]]);
  });
});

describe('points per order on the host', () => {
  it('merges the installs that answered: the failing one adds nothing, the default does not apply', async () => {
    const order = await paidOrder('two-plugins', 12_000, 'furniture');
    await services.orderPoints.drain();
    expect(await balances('two-plugins', order.memberId)).toEqual({ points: 120 * 3 * 2, growth: 120, debt: 0 });
    const { items } = await services.points.ledger('two-plugins', order.memberId);
    expect(items.map((e) => [e.kind, e.account, e.source.kind, e.reason])).toEqual([
      ['grant', 'growth', 'install', '3/yuan ×2'],
      ['grant', 'points', 'install', '3/yuan ×2'],
    ]);
    // The failure was logged as such (an invocation with its error), not hidden.
    const { rows } = await test.db.query<{ plugin_name: string; ok: boolean; fallback: boolean }>(
      `SELECT plugin_name, ok, fallback FROM invocations WHERE merchant_id = 'two-plugins' AND point = 'member.points.earn' ORDER BY plugin_name`,
    );
    expect(rows).toEqual([
      { plugin_name: 'test-earn-failing', ok: false, fallback: true },
      { plugin_name: 'test-earn-per-yuan', ok: true, fallback: false },
    ]);
  });

  it('applies the platform default once when no install answered, or none serves the point', async () => {
    const failingOnly = await paidOrder('failing-only', 5_050);
    const none = await paidOrder('no-plugins', 5_050);
    await services.orderPoints.drain();
    expect(await balances('failing-only', failingOnly.memberId)).toEqual({ points: 50, growth: 50, debt: 0 });
    expect(await balances('no-plugins', none.memberId)).toEqual({ points: 50, growth: 50, debt: 0 });
  });

  it('applies the merchant’s cap per order', async () => {
    await services.orderPoints.setPolicy('no-plugins', { pointsPerYuanBp: 10_000, growthPerYuanBp: 10_000, capPointsPerOrder: 30 });
    const order = await paidOrder('no-plugins', 10_000);
    await services.orderPoints.drain();
    expect(await balances('no-plugins', order.memberId)).toEqual({ points: 30, growth: 100, debt: 0 });
    await services.orderPoints.setPolicy('no-plugins', DEFAULT_EARN_POLICY);
  });

  it('reverses partial refunds cumulatively and a full refund exactly', async () => {
    const order = await paidOrder('two-plugins', 30_000);
    await services.orderPoints.drain();
    expect(await balances('two-plugins', order.memberId)).toEqual({ points: 900, growth: 300, debt: 0 });
    await refund('two-plugins', order.id, 10_001);
    await services.orderPoints.drain();
    expect(await balances('two-plugins', order.memberId)).toEqual({ points: 900 - 300, growth: 300 - 100, debt: 0 });
    await refund('two-plugins', order.id, 19_999);
    await services.orderPoints.drain();
    expect(await balances('two-plugins', order.memberId)).toEqual({ points: 0, growth: 0, debt: 0 });
  });

  it('ends right when the refund is processed before its order’s earn', async () => {
    const order = await paidOrder('two-plugins', 20_000);
    await refund('two-plugins', order.id, 5_000);
    // Another worker took the refund first: the earn is not due yet.
    await test.db.query(`UPDATE points_order_work SET due_at = now() + interval '1 hour' WHERE merchant_id = 'two-plugins' AND type = 'order.paid' AND data->>'orderId' = $1`, [order.id]);
    await services.orderPoints.drain();
    expect(await balances('two-plugins', order.memberId)).toEqual({ points: 0, growth: 0, debt: 0 });
    await test.db.query(`UPDATE points_order_work SET due_at = now() WHERE merchant_id = 'two-plugins' AND data->>'orderId' = $1`, [order.id]);
    await services.orderPoints.drain();
    // 600 points and 200 growth earned on 200 yuan; a quarter refunded.
    expect(await balances('two-plugins', order.memberId)).toEqual({ points: 450, growth: 150, debt: 0 });
  });

  it('earns nothing twice when the work is redone (a worker died after the ledger committed)', async () => {
    const order = await paidOrder('no-plugins', 1_000);
    await services.orderPoints.drain();
    await test.db.query(`UPDATE points_order_work SET status = 'pending', due_at = now() WHERE merchant_id = 'no-plugins' AND data->>'orderId' = $1`, [order.id]);
    await services.orderPoints.drain();
    expect(await balances('no-plugins', order.memberId)).toEqual({ points: 10, growth: 10, debt: 0 });
  });
});
