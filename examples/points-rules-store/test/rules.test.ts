// A brand's rules as data on the real host (PostgreSQL, the sandbox in-process): settings.json installs
// templates/points-rules; the host refuses a bad rule at its JSON path before anything is saved; paid
// orders earn by the rules through the points worker, with the member's tier from the host's ladder.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlugin } from '@tongkit/runtime/build';
import { createHostServices, createTestDatabase, type HostServices, type TestDatabase } from '@tongkit/host/testing';

const here = fileURLToPath(new URL('..', import.meta.url));
const template = fileURLToPath(new URL('../../../templates/points-rules', import.meta.url));
const M = 'acme-rules';
let test: TestDatabase;
let services: HostServices;
let plugin: string;
let settings: Record<string, unknown>;

const member = async () => (await services.members.register(M, { channel: 'store', storeId: 's1' })).memberId;
const points = async (memberId: string) => (await services.points.memberPoints(M, memberId)).points.balance;

let seq = 0;
async function paid(memberId: string, channel: 'online' | 'store', lines: Array<{ category: string; fen: number }>) {
  const id = `O-${++seq}`;
  const total = lines.reduce((sum, l) => sum + l.fen, 0);
  await services.orders.create(M, {
    id, kind: 'goods', channel, ...(channel === 'store' ? { storeId: 's1' } : {}), member: { id: memberId },
    lines: lines.map((l, i) => ({ sku: `sku${i}`, title: 'Item', category: l.category, quantity: 1, unitPriceFen: l.fen })),
    payments: [{ method: 'card', amountFen: total }], paidAt: '2026-11-20T10:00:00Z',
  });
  await services.orderPoints.drain();
  return id;
}

beforeAll(async () => {
  test = await createTestDatabase();
  services = createHostServices(test.db, { runtime: { isolation: 'in-process' } });
  await services.tenancy.upsertTier({ id: 'standard', name: 'Standard' });
  await services.tenancy.upsertDeveloper({ id: 'dev', name: 'Dev' });
  await services.tenancy.upsertMerchant({ id: M, name: 'Acme', tierId: 'standard', development: true });
  await test.db.query(`INSERT INTO stores (merchant_id, id, name, channel) VALUES ($1, 's1', 'Store 1', 'store')`, [M]);
  await services.tiers.setLadder(M, { tiers: [{ id: 'regular', name: '普通会员', rank: 0 }, { id: 'silver', name: '银卡', rank: 1 }, { id: 'gold', name: '金卡', rank: 2 }] });
  settings = JSON.parse(await readFile(`${here}/settings.json`, 'utf8')) as Record<string, unknown>;
  const { bundle } = await buildPlugin(template);
  ({ plugin } = await services.registry.deploy({ role: 'developer', subjectId: 'dev' }, bundle));
}, 120_000);
afterAll(async () => {
  await services?.runtime.dispose();
  await test?.drop();
});

describe('points-rules-store', () => {
  it('refuses a rule with a typo when the merchant saves it, at its path, and installs nothing', async () => {
    const typo = structuredClone(settings) as { earnRules: Array<{ when: unknown }> };
    typo.earnRules[1]!.when = { '==': [{ var: 'order.chanel' }, 'store'] };
    const refused = services.installs.install(M, { plugin, grantPermissions: ['member:read', 'orders:read'], settings: typo });
    // The path is into the request: the install's settings, then into the rule.
    await expect(refused).rejects.toMatchObject({ code: 'TK_VALIDATION', path: '/settings/earnRules/1/when/==/0' });
    await expect(refused).rejects.toThrow(/unknown variable "order\.chanel"/);
    expect(await services.installs.list(M)).toHaveLength(0);
  });

  it('earns by the rules: in store the furniture counts twice, and gold adds 10 %', async () => {
    await services.installs.install(M, { plugin, grantPermissions: ['member:read', 'orders:read'], settings });
    const regular = await member();
    await paid(regular, 'store', [{ category: 'furniture', fen: 300_000 }, { category: 'lighting', fen: 50_000 }]);
    expect(await points(regular)).toBe(3500 + 3000);
    await paid(regular, 'online', [{ category: 'furniture', fen: 300_000 }]);
    expect(await points(regular)).toBe(6500 + 3000);

    const gold = await member();
    await test.db.query(`INSERT INTO member_tiers (merchant_id, member_id, tier_id, since) VALUES ($1, $2, 'gold', now())`, [M, gold]);
    await paid(gold, 'store', [{ category: 'furniture', fen: 300_000 }, { category: 'lighting', fen: 50_000 }]);
    expect(await points(gold)).toBe(3500 + 3000 + 350);
    const { items } = await services.points.ledger(M, gold);
    expect(items.map((e) => e.reason)).toContain('1 point per yuan + in-store furniture earns 2x + gold and above +10%');
  });
});
