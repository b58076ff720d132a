// guide-commission on the real host (PostgreSQL, the sandbox in-process): a refund clawback, a window
// expiry, a manager override and a self-purchase, with the brand's policy as settings.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlugin } from '@tongkit/runtime/build';
import { createHostServices, type HostServices } from '@tongkit/host/testing';
import { createTestDatabase, type TestDatabase } from '@tongkit/host/testing';

const root = fileURLToPath(new URL('..', import.meta.url));
const M = 'brand';
let test: TestDatabase;
let services: HostServices;

beforeAll(async () => {
  test = await createTestDatabase();
  services = createHostServices(test.db, { runtime: { isolation: 'in-process' } });
  await services.tenancy.upsertTier({ id: 'standard', name: 'Standard' });
  await services.tenancy.upsertDeveloper({ id: 'dev', name: 'Dev' });
  await services.tenancy.upsertMerchant({ id: M, name: 'Brand', tierId: 'standard', development: true });
  await test.db.query(`INSERT INTO stores (merchant_id, id, name, channel) VALUES ($1, 's1', 'Store 1', 'store')`, [M]);
  const { bundle } = await buildPlugin(root);
  const { plugin } = await services.registry.deploy({ role: 'developer', subjectId: 'dev' }, bundle);
  await services.installs.install(M, { plugin, grantPermissions: ['guides:read', 'orders:read'] });
  for (const [id, role] of [['ann', 'guide'], ['bob', 'guide'], ['mia', 'store_manager']] as const) {
    await test.db.query(`INSERT INTO staff (merchant_id, id, name, store_id) VALUES ($1, $2, $2, 's1')`, [M, id]);
    await services.guides.guides.upsert(M, { id, role, storeId: 's1' });
  }
}, 120_000);
afterAll(async () => {
  await services?.runtime.dispose();
  await test?.drop();
});

let seq = 0;
async function paid(memberId: string, lines: Array<{ category: string; fen: number }>, paidAt: string, channel: 'online' | 'store' = 'online') {
  const id = `B-${++seq}`;
  const total = lines.reduce((a, l) => a + l.fen, 0);
  await services.orders.create(M, {
    id, kind: 'goods', channel, ...(channel === 'store' ? { storeId: 's1' } : {}), member: { id: memberId },
    lines: lines.map((l, i) => ({ sku: `sku${i}`, title: 'Item', category: l.category, quantity: 1, unitPriceFen: l.fen })),
    payments: [{ method: 'card', amountFen: total }], paidAt,
  });
  await services.guides.worker.drain();
  return id;
}
const commission = async (guideId: string) => (await services.guides.ledger.commissionOf(M, guideId)).balanceFen;
const member = async () => (await services.members.register(M, { channel: 'store', storeId: 's1' })).memberId;

describe('guide-commission', () => {
  it('splits 80/20 with the store manager, skips clearance lines, and claws back a partial refund', async () => {
    const m = await member();
    await services.guides.relations.bind(M, { memberId: m, guideId: 'ann', source: 'store_scan', at: '2026-11-01T00:00:00Z' }, 'test');
    const [ann0, mia0] = [await commission('ann'), await commission('mia')];
    const id = await paid(m, [{ category: 'sofa', fen: 100_000 }, { category: 'clearance', fen: 50_000 }], '2026-11-10T00:00:00Z');
    // 500 bp of the 100 000 fen non-clearance part = 5 000: 4 000 to ann, 1 000 to mia.
    expect(await commission('ann')).toBe(ann0 + 4000);
    expect(await commission('mia')).toBe(mia0 + 1000);
    await services.orders.refund(M, id, { refundId: 'r1', amountFen: 50_000, refundedAt: '2026-11-11T00:00:00Z' });
    await services.guides.worker.drain();
    // A third of the money refunded: a third of each split reversed (floor, cumulative).
    expect(await commission('ann')).toBe(ann0 + 4000 - 1333);
    expect(await commission('mia')).toBe(mia0 + 1000 - 333);
  });

  it('attributes an online order to the guide whose share was clicked within 7 days, and nothing after', async () => {
    const m = await member();
    await services.guides.shares.create(M, 'bob', { shareId: 'bob-1', channel: 'online', target: 'sku:lamp' });
    await services.guides.shares.click(M, 'bob-1', { clickId: 'k1', memberId: m, clickedAt: '2026-11-01T00:00:00Z' });
    const bob0 = await commission('bob');
    await paid(m, [{ category: 'lamp', fen: 10_000 }], '2026-11-07T23:00:00Z');
    expect(await commission('bob')).toBe(bob0 + 400);
    await paid(m, [{ category: 'lamp', fen: 10_000 }], '2026-11-08T01:00:00Z');
    expect(await commission('bob')).toBe(bob0 + 400);
  });

  it('lets a manager override a protected relation, and the new guide earns', async () => {
    const m = await member();
    await services.guides.relations.bind(M, { memberId: m, guideId: 'ann', source: 'store_scan', at: '2026-11-15T00:00:00Z' }, 'test');
    expect((await services.guides.relations.bind(M, { memberId: m, guideId: 'bob', source: 'store_scan', at: '2026-11-16T00:00:00Z' }, 'test')).code).toBe('PROTECTED');
    expect((await services.guides.relations.bind(M, { memberId: m, guideId: 'bob', source: 'manager_assignment', at: '2026-11-16T00:00:00Z', override: { managerId: 'mia', reason: 'moved' } }, 'test')).code).toBe('OVERRIDDEN');
    const [ann0, bob0] = [await commission('ann'), await commission('bob')];
    await paid(m, [{ category: 'sofa', fen: 20_000 }], '2026-11-17T00:00:00Z', 'store');
    expect(await commission('bob')).toBe(bob0 + 800);
    expect(await commission('ann')).toBe(ann0);
  });

  it('never attributes a guide’s own purchase to them', async () => {
    const own = await member();
    await services.guides.guides.upsert(M, { id: 'ann', role: 'guide', storeId: 's1', memberId: own });
    await services.guides.relations.bind(M, { memberId: own, guideId: 'ann', source: 'store_scan', at: '2026-11-20T00:00:00Z' }, 'test');
    const ann0 = await commission('ann');
    await paid(own, [{ category: 'sofa', fen: 30_000 }], '2026-11-21T00:00:00Z');
    expect(await commission('ann')).toBe(ann0);
  });
});
