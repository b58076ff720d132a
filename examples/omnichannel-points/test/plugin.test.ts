// omnichannel-points on the real host (PostgreSQL, the sandbox in-process): one member earns online and
// in store at the channels' rates with a category multiplier, only money earns, a partial refund takes
// back its share and a full one the rest, lots expire when the settings say, and the members who
// existed at install get their welcome bonus once, through the backfill.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlugin } from '@tongkit/runtime/build';
import { createHostServices, createTestDatabase, type HostServices, type TestDatabase } from '@tongkit/host/testing';

const root = fileURLToPath(new URL('..', import.meta.url));
const M = 'acme-omni';
const SETTINGS = { onlineRateBps: 10_000, storeRateBps: 15_000, categoryMultipliers: [{ category: 'furniture', multiplierBps: 20_000 }, { category: 'clearance', multiplierBps: 0 }], expiryDays: 30, welcomePoints: 50 };
let test: TestDatabase;
let services: HostServices;
let early: string;

const member = async () => (await services.members.register(M, { channel: 'store', storeId: 's1' })).memberId;
const points = async (memberId: string) => (await services.points.memberPoints(M, memberId)).points.balance;
const growth = async (memberId: string) => (await services.points.memberPoints(M, memberId)).growth.balance;

/** Runs what the host runs in the background: backfill pages, deliveries and the points worker. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i += 1) {
    const sent = await services.backfills.runOnce();
    let delivered = 0;
    for (let n = await services.dispatcher.runOnce(); n > 0; n = await services.dispatcher.runOnce()) delivered += n;
    await services.orderPoints.drain();
    if (sent === 0 && delivered === 0 && (await services.backfills.runOnce()) === 0) return;
  }
}

let seq = 0;
async function paid(memberId: string, channel: 'online' | 'store', lines: Array<{ category: string; fen: number }>, payments: Array<{ method: 'card' | 'cash' | 'voucher'; amountFen: number }>) {
  const id = `O-${++seq}`;
  await services.orders.create(M, {
    id, kind: 'goods', channel, ...(channel === 'store' ? { storeId: 's1' } : {}), member: { id: memberId },
    lines: lines.map((l, i) => ({ sku: `sku${i}`, title: 'Item', category: l.category, quantity: 1, unitPriceFen: l.fen })),
    payments, paidAt: '2026-11-20T10:00:00Z',
  });
  await settle();
  return id;
}
const refund = async (orderId: string, amountFen?: number) => {
  await services.orders.refund(M, orderId, { refundId: `R-${++seq}`, ...(amountFen === undefined ? {} : { amountFen }), refundedAt: '2026-11-22T10:00:00Z' });
  await settle();
};

beforeAll(async () => {
  test = await createTestDatabase();
  services = createHostServices(test.db, { runtime: { isolation: 'in-process' } });
  await services.tenancy.upsertTier({ id: 'standard', name: 'Standard' });
  await services.tenancy.upsertDeveloper({ id: 'dev', name: 'Dev' });
  await services.tenancy.upsertMerchant({ id: M, name: 'Acme', tierId: 'standard', development: true });
  await test.db.query(`INSERT INTO stores (merchant_id, id, name, channel) VALUES ($1, 's1', 'Store 1', 'store')`, [M]);
  early = await member(); // a member before the plugin: the backfill's
  const { bundle } = await buildPlugin(root);
  const { plugin } = await services.registry.deploy({ role: 'developer', subjectId: 'dev' }, bundle);
  await services.installs.install(M, { plugin, grantPermissions: ['member:read', 'orders:read', 'points:write'], settings: SETTINGS });
  await settle();
}, 120_000);
afterAll(async () => {
  await services?.runtime.dispose();
  await test?.drop();
});

describe('omnichannel-points', () => {
  it('welcomes the members who existed at install (backfill) and those who register later, once each', async () => {
    expect(await points(early)).toBe(50);
    const later = await member();
    await settle();
    expect(await points(later)).toBe(50);
    const [install] = await services.installs.list(M);
    expect(install!.backfill).toMatchObject({ status: 'done', membersDone: 1, membersTotal: 1 });
  });

  it('earns by channel: 1 point per yuan online, 1.5 in store, double on furniture, nothing on clearance', async () => {
    const m = await member();
    await settle();
    await paid(m, 'online', [{ category: 'lighting', fen: 30_000 }], [{ method: 'card', amountFen: 30_000 }]);
    expect(await points(m)).toBe(50 + 300);
    // In store: 200 yuan furniture (×2) and 100 yuan clearance (×0) at 1.5 points per yuan.
    await paid(m, 'store', [{ category: 'furniture', fen: 20_000 }, { category: 'clearance', fen: 10_000 }], [{ method: 'cash', amountFen: 30_000 }]);
    expect(await points(m)).toBe(50 + 300 + 600);
    expect(await growth(m)).toBe(300 + 300); // growth: 1 per yuan of money, whatever the channel or category
  });

  it('counts money only: the voucher part of a tender earns nothing', async () => {
    const m = await member();
    await settle();
    await paid(m, 'online', [{ category: 'lighting', fen: 10_000 }], [{ method: 'card', amountFen: 6_000 }, { method: 'voucher', amountFen: 4_000 }]);
    expect(await points(m)).toBe(50 + 60);
  });

  it('takes back a partial refund’s share and, on the full refund, exactly what was granted', async () => {
    const m = await member();
    await settle();
    const order = await paid(m, 'store', [{ category: 'furniture', fen: 33_333 }], [{ method: 'card', amountFen: 33_333 }]);
    const granted = Math.floor((Math.floor(33_333 * 20_000 / 10_000) * 15_000) / 1_000_000); // 999
    expect(await points(m)).toBe(50 + granted);
    await refund(order, 11_111); // a third
    expect(await points(m)).toBe(50 + granted - Math.floor((granted * 11_111) / 33_333));
    await refund(order);
    expect(await points(m)).toBe(50);
  });

  it('gives each order’s points a lot that expires expiryDays after it was paid', async () => {
    const m = await member();
    await settle();
    await paid(m, 'online', [{ category: 'lighting', fen: 5_000 }], [{ method: 'card', amountFen: 5_000 }]);
    const { lots } = await services.points.memberPoints(M, m);
    expect(lots.find((lot) => lot.orderId !== null && lot.account === 'points')).toMatchObject({ remaining: 50, expiresAt: '2026-12-20T10:00:00.000Z' });
  });
});
