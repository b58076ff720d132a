// Tiers applied by the host: the ladder as host data, member.tier.compute's input assembled from the
// host's own orders and ledger, the decision applied under the ladder's validity and downgrade
// protection, the history with its invocation, and member.tier.changed exactly once per change — under
// redelivery and with several workers. The template's real sandboxed plugin on a real PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlugin } from '@tongkit/runtime/build';
import type { Principal } from '../src/index.js';
import { createHostServices, type HostServices } from '../src/testing.js';
import { MemberTiers, sweepDueTiers } from '../src/domains/tiers/index.js';
import { createTestDatabase, type TestDatabase } from '../src/testing.js';
import { PLUGIN_DIRS } from './helpers.js';

const developer: Principal = { role: 'developer', subjectId: 'dev-tiers' };
// The template: regular → silver from ¥1,000 → gold from ¥5,000 of 12-month spend.
const LADDER = {
  tiers: [
    { id: 'regular', name: '普通会员', rank: 0 },
    { id: 'silver', name: '银卡', rank: 1 },
    { id: 'gold', name: '金卡', rank: 2 },
  ],
  validityMonths: 12,
};

let test: TestDatabase;
let services: HostServices;

beforeAll(async () => {
  test = await createTestDatabase();
  services = createHostServices(test.db, { runtime: { isolation: 'in-process' } });
  await services.tenancy.upsertTier({ id: 'standard', name: 'Standard' });
  await services.tenancy.upsertDeveloper({ id: developer.subjectId, name: 'Tiers developer' });
  const { bundle } = await buildPlugin(PLUGIN_DIRS.template);
  const { plugin } = await services.registry.deploy(developer, bundle);
  for (const id of ['plain', 'protected', 'other', 'no-ladder']) {
    await services.tenancy.upsertMerchant({ id, name: id, tierId: 'standard', development: true });
    await services.installs.install(id, { plugin, grantPermissions: ['member:read'] });
  }
  await services.tiers.setLadder('plain', LADDER);
  await services.tiers.setLadder('other', LADDER);
  await services.tiers.setLadder('protected', { ...LADDER, downgradeProtectionDays: 30 });
}, 120_000);

afterAll(async () => {
  await services?.runtime.dispose();
  await test?.drop();
});

let seq = 0;
const member = async (merchantId: string) => (await services.members.register(merchantId, { channel: 'online' })).memberId;
async function pay(merchantId: string, memberId: string, payments: Array<{ method: 'card' | 'cash' | 'voucher'; amountFen: number }>, paidAt = '2026-11-25T08:00:00Z') {
  const id = `O-${++seq}`;
  const totalFen = payments.reduce((sum, p) => sum + p.amountFen, 0);
  await services.orders.create(merchantId, {
    id,
    kind: 'goods',
    channel: 'online',
    member: { id: memberId },
    lines: [{ sku: 'sku', title: 'Item', category: 'food', quantity: 1, unitPriceFen: totalFen }],
    payments,
    paidAt,
  });
  return id;
}
const refund = (merchantId: string, orderId: string, amountFen: number, refundedAt = '2026-11-26T08:00:00Z') =>
  services.orders.refund(merchantId, orderId, { refundId: `R-${++seq}`, amountFen, refundedAt });
const settle = async () => {
  await services.orderPoints.drain();
  await services.tierWork.drain();
};
const tierOf = async (merchantId: string, memberId: string) => (await services.tiers.tierOf(merchantId, memberId))?.tierId;
const changeEvents = async (merchantId: string, memberId: string) =>
  (await test.db.query<{ id: string; data: Record<string, any> }>(`SELECT id, data FROM events WHERE merchant_id = $1 AND type = 'member.tier.changed' AND data->>'memberId' = $2 ORDER BY created_at`, [merchantId, memberId])).rows;

describe('the ladder', () => {
  it('refuses a ladder with a duplicate id or rank, at its JSON path', async () => {
    await expect(services.tiers.setLadder('plain', { tiers: [{ id: 'a', name: 'A', rank: 0 }, { id: 'a', name: 'B', rank: 1 }] })).rejects.toMatchObject({ code: 'TK_VALIDATION', path: '/tiers/1/id' });
    await expect(services.tiers.setLadder('plain', { tiers: [{ id: 'a', name: 'A', rank: 0 }, { id: 'b', name: 'B', rank: 0 }] })).rejects.toMatchObject({ code: 'TK_VALIDATION', path: '/tiers/1/rank' });
    expect((await services.tiers.ladder('plain')).tiers.map((t) => t.id)).toEqual(['regular', 'silver', 'gold']);
  });

  it('leaves a merchant without a ladder alone (no tier on reads, nothing computed)', async () => {
    const m = await member('no-ladder');
    await pay('no-ladder', m, [{ method: 'card', amountFen: 900_000 }]);
    await settle();
    expect(await services.tiers.tierOf('no-ladder', m)).toBeNull();
    expect(await changeEvents('no-ladder', m)).toEqual([]);
  });
});

describe('tiers applied on order.paid and order.refunded', () => {
  it('upgrades once paid orders cross a threshold, with the history, its invocation and one event', async () => {
    const m = await member('plain');
    await pay('plain', m, [{ method: 'card', amountFen: 60_000 }]);
    await settle();
    expect(await services.tiers.tierOf('plain', m)).toMatchObject({ tierId: 'regular', assigned: false });
    expect(await changeEvents('plain', m)).toEqual([]);

    await pay('plain', m, [{ method: 'cash', amountFen: 50_000 }]);
    await settle();
    const view = (await services.tiers.tierOf('plain', m))!;
    expect(view).toMatchObject({ tierId: 'silver', assigned: true, since: '2026-11-25T08:00:00.000Z' });
    // The ladder's 12 months of validity, in Shanghai time.
    expect(view.expiresAt).toBe('2027-11-25T08:00:00.000Z');

    const { items } = await services.tiers.history('plain', m);
    expect(items).toHaveLength(1);
    const change = items[0]!;
    expect(change).toMatchObject({ fromTierId: null, toTierId: 'silver', direction: 'up', reason: '12-month spend ¥1,100.00', version: '0.1.0' });
    expect(['order.paid', 'points.changed']).toContain(change.trigger);
    // The invocation that decided it is logged, with the host-assembled input.
    const { rows } = await test.db.query<{ input: any; install_id: string }>('SELECT input, install_id FROM invocations WHERE id = $1', [change.invocationId]);
    expect(rows[0]!.install_id).toBe(change.installId);
    expect(rows[0]!.input.member).toMatchObject({ spend12mFen: { online: 110_000, store: 0, total: 110_000 }, orderCount12m: 2, growthValue: 1_100, pointsBalance: 1_100 });
    const events = await changeEvents('plain', m);
    expect(events.map((e) => e.id)).toEqual([change.eventId]);
    expect(events[0]!.data).toMatchObject({ from: null, to: { tierId: 'silver', rank: 1 }, direction: 'up', invocationId: change.invocationId, historyId: change.id });
  });

  it('counts only cash and card tenders as spend', async () => {
    const m = await member('plain');
    await pay('plain', m, [{ method: 'card', amountFen: 90_000 }, { method: 'voucher', amountFen: 50_000 }]);
    await settle();
    expect(await tierOf('plain', m)).toBe('regular');
  });

  it('goes back after a refund takes the spend under the threshold (no protection)', async () => {
    const m = await member('plain');
    const order = await pay('plain', m, [{ method: 'card', amountFen: 120_000 }]);
    await settle();
    expect(await tierOf('plain', m)).toBe('silver');
    await refund('plain', order, 30_000);
    await settle();
    expect(await tierOf('plain', m)).toBe('regular');
    const { items } = await services.tiers.history('plain', m);
    expect(items.map((i) => [i.fromTierId, i.toTierId, i.direction])).toEqual([
      [null, 'silver', 'up'],
      ['silver', 'regular', 'down'],
    ]);
    expect(items[1]!.trigger === 'order.refunded' || items[1]!.trigger === 'points.changed').toBe(true);
    expect(await changeEvents('plain', m)).toHaveLength(2);
  });

  it('keeps the tier against a downgrade while protected, and applies it on schedule when protection ends', async () => {
    const m = await member('protected');
    const order = await pay('protected', m, [{ method: 'card', amountFen: 120_000 }]);
    await settle();
    expect(await services.tiers.tierOf('protected', m)).toMatchObject({ tierId: 'silver', protectedUntil: '2026-12-25T08:00:00.000Z' });
    await refund('protected', order, 30_000);
    await settle();
    expect(await tierOf('protected', m)).toBe('silver');
    // Not yet: the schedule before the protection ends changes nothing.
    await sweepDueTiers(test.db, { now: new Date('2026-12-20T00:00:00Z') });
    await settle();
    expect(await tierOf('protected', m)).toBe('silver');
    await sweepDueTiers(test.db, { now: new Date('2026-12-26T00:00:00Z') });
    await settle();
    expect(await tierOf('protected', m)).toBe('regular');
    const { items } = await services.tiers.history('protected', m);
    expect(items.map((i) => [i.toTierId, i.trigger])).toEqual([
      ['silver', expect.any(String)],
      ['regular', 'schedule'],
    ]);
  });

  it('lets a tier lapse at expiry on schedule when the member no longer qualifies', async () => {
    const m = await member('other');
    await pay('other', m, [{ method: 'card', amountFen: 150_000 }], '2025-12-10T08:00:00Z');
    await settle();
    expect(await services.tiers.tierOf('other', m)).toMatchObject({ tierId: 'silver', expiresAt: '2026-12-10T08:00:00.000Z' });
    // A year on, the order has left the 12-month window.
    await sweepDueTiers(test.db, { now: new Date('2026-12-11T00:00:00Z') });
    await settle();
    expect(await tierOf('other', m)).toBe('regular');
  });
});

describe('exactly once', () => {
  it('emits one event when the order events are delivered again', async () => {
    const m = await member('plain');
    const order = await pay('plain', m, [{ method: 'card', amountFen: 200_000 }]);
    await settle();
    const { rows } = await test.db.query<{ type: string; data: Record<string, unknown> }>(`SELECT type, data FROM events WHERE merchant_id = 'plain' AND type = 'order.paid' AND data->>'orderId' = $1`, [order]);
    for (let i = 0; i < 3; i++) {
      await test.db.transaction((tx) => services.tierWork.enqueueIn(tx, 'plain', rows[0]!));
      await settle();
    }
    expect(await tierOf('plain', m)).toBe('silver');
    expect(await changeEvents('plain', m)).toHaveLength(1);
    expect((await services.tiers.history('plain', m)).items).toHaveLength(1);
  });

  it('emits one event when workers of two host processes compute one member at once', async () => {
    const second = createHostServices(test.db, { runtime: { isolation: 'in-process' } });
    try {
      const m = await member('plain');
      await pay('plain', m, [{ method: 'card', amountFen: 600_000 }]);
      await services.orderPoints.drain();
      // Both services compute the member concurrently, beside both queues' workers.
      const now = new Date('2026-11-25T08:00:00Z');
      const results = await Promise.all([
        services.tiers.compute('plain', m, 'order.paid', now),
        second.tiers.compute('plain', m, 'order.paid', now),
        services.tiers.compute('plain', m, 'order.paid', now),
        second.tiers.compute('plain', m, 'order.paid', now),
        services.tierWork.drain(),
        second.tierWork.drain(),
      ]);
      expect(results.slice(0, 4).filter((r) => r === 'change').length).toBeLessThanOrEqual(1);
      expect(await tierOf('plain', m)).toBe('gold');
      expect(await changeEvents('plain', m)).toHaveLength(1);
      expect((await services.tiers.history('plain', m)).items).toHaveLength(1);
    } finally {
      await second.runtime.dispose();
    }
  });
});

describe('tenant isolation', () => {
  it('answers another merchant’s member like one that does not exist, and keeps ladders apart', async () => {
    const m = await member('plain');
    await expect(services.tiers.history('other', m)).rejects.toMatchObject({ code: 'TK_NOT_FOUND', path: '/params/id' });
    expect(await services.tiers.compute('other', m, 'schedule', new Date())).toBe('member_unknown');
    await expect(services.tiers.ladder('no-ladder')).rejects.toMatchObject({ code: 'TK_NOT_FOUND' });
    expect(services.tiers).toBeInstanceOf(MemberTiers);
  });
});
