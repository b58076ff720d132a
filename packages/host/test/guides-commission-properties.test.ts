// Property tests of the commission ledger on the real PostgreSQL, with 10 connections: any interleaving
// of order accruals, partial and full refunds (a refund may come before its order's accrual) and
// redeliveries, run concurrently, keeps each guide's balance = Σ entries = Σ (accrued − reversed) of
// their splits, never reverses more than a split accrued, and leaves every split reversed exactly
// floor(accrued × refundedToDate / paid).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommissionLedger, type Split } from '../src/domains/guides/index.js';
import { Dispatcher } from '../src/platform/dispatch/dispatcher.js';
import { openDatabase, type Database } from '../src/platform/storage/database.js';
import { createTestDatabase, type TestDatabase } from '../src/testing.js';

const ORDERS = 4;
let test: TestDatabase;
let db: Database;
let ledger: CommissionLedger;

beforeAll(async () => {
  test = await createTestDatabase();
  await test.db.query(`INSERT INTO merchant_tiers (id, name) VALUES ('standard', 'Standard')`);
  await test.db.query(`INSERT INTO merchants (id, name, tier_id) VALUES ('acme', 'Acme', 'standard')`);
  db = openDatabase(test.url, { maxConnections: 10 });
  const dispatcher = new Dispatcher(db, async () => {
    throw new Error('no plugins run in ledger tests');
  });
  ledger = new CommissionLedger(db, (tx, merchantId, event, depth) => dispatcher.publishIn(tx, merchantId, event, depth));
}, 60_000);
afterAll(async () => {
  await db?.close();
  await test?.drop();
});

/** An order's money tenders, its three refund parts (summing to it; a 0 part is skipped) and its splits. */
const order = fc.integer({ min: 3, max: 100_000 }).chain((paidFen) =>
  fc.record({
    cut: fc.tuple(fc.integer({ min: 0, max: paidFen }), fc.integer({ min: 0, max: paidFen })),
    splits: fc.subarray(['g1', 'g2', 'g3'], { minLength: 0, maxLength: 3 }).chain((guides) =>
      fc.tuple(...guides.map((guideId) => fc.integer({ min: 1, max: Math.max(1, Math.floor(paidFen / 10)) }).map((amountFen): Split => ({ guideId, role: 'guide', amountFen, basis: 'test' })))),
    ),
  }).map(({ cut: [a, b], splits }) => {
    const [low, high] = a < b ? [a, b] : [b, a];
    return { paidFen, parts: [low, high - low, paidFen - high], splits };
  }),
);
const command = fc.oneof(
  fc.record({ type: fc.constant('paid' as const), order: fc.nat(ORDERS - 1) }),
  fc.record({ type: fc.constant('refund' as const), order: fc.nat(ORDERS - 1), part: fc.nat(2) }),
  fc.record({ type: fc.constant('redeliver' as const), pick: fc.nat() }),
);
const scenario = fc.record({
  orders: fc.array(order, { minLength: ORDERS, maxLength: ORDERS }),
  rounds: fc.array(fc.array(command, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 4 }),
});

let runs = 0;

async function expectExact(): Promise<void> {
  const { rows: guides } = await db.query<{ guide_id: string; entries: string; accrued: string; reversed: string }>(
    `SELECT c.guide_id, (SELECT coalesce(sum(amount_fen), 0) FROM commission_entries e WHERE e.merchant_id = 'acme' AND e.guide_id = c.guide_id) AS entries,
            sum(c.accrued_fen) AS accrued, sum(c.reversed_fen) AS reversed
     FROM guide_commissions c WHERE c.merchant_id = 'acme' GROUP BY c.guide_id`,
  );
  for (const g of guides) expect(Number(g.entries), `${g.guide_id}: Σ entries`).toBe(Number(g.accrued) - Number(g.reversed));
  const { rows: splits } = await db.query<{ order_id: string; guide_id: string; accrued_fen: string; reversed_fen: string; paid_fen: string; refunded_fen: string; reversals: string }>(
    `SELECT c.order_id, c.guide_id, c.accrued_fen, c.reversed_fen, o.paid_fen, o.refunded_fen,
            (SELECT coalesce(-sum(amount_fen), 0) FROM commission_entries e WHERE e.merchant_id = c.merchant_id AND e.order_id = c.order_id AND e.guide_id = c.guide_id AND e.kind = 'reverse') AS reversals
     FROM guide_commissions c JOIN guide_orders o USING (merchant_id, order_id) WHERE c.merchant_id = 'acme'`,
  );
  for (const s of splits) {
    const where = `${s.order_id}/${s.guide_id}`;
    expect(Number(s.reversed_fen), `${where}: reversed ≤ accrued`).toBeLessThanOrEqual(Number(s.accrued_fen));
    expect(Number(s.reversals), `${where}: Σ reversal entries`).toBe(Number(s.reversed_fen));
    expect(Number(s.reversed_fen), `${where}: floor(accrued × refunded / paid)`).toBe(Number((BigInt(s.accrued_fen) * BigInt(s.refunded_fen)) / BigInt(s.paid_fen)));
  }
}

describe('the commission ledger under any interleaving', () => {
  it('stays exact: balance = Σ entries, never reversing more than accrued', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ orders, rounds }) => {
        const run = ++runs;
        const id = (i: number) => `P${run}-O${i}`;
        const done: Array<() => Promise<unknown>> = [];
        for (const round of rounds) {
          const calls = round.flatMap((c): Array<() => Promise<unknown>> => {
            if (c.type === 'redeliver') return done.length === 0 ? [] : [done[c.pick % done.length]!];
            const o = orders[c.order]!;
            const ref = { orderId: id(c.order), memberId: null, paidFen: o.paidFen };
            if (c.type === 'paid') {
              return [() => ledger.accrue('acme', { ...ref, paidAt: new Date('2026-11-01T00:00:00Z'), channel: 'online' }, { guideId: 'g1', reason: 'test', source: 'platform' }, o.splits)];
            }
            const part = o.parts[c.part]!;
            if (part === 0) return [];
            return [() => ledger.reverse('acme', ref, { refundId: `R${c.part}`, spendFen: part, refundedAt: new Date('2026-11-02T00:00:00Z') })];
          });
          await Promise.all(calls.map((call) => call()));
          done.push(...calls);
        }
        // Every order paid and fully refunded at last: each split reversed exactly what it accrued.
        await Promise.all(orders.map((o, i) => ledger.accrue('acme', { orderId: id(i), memberId: null, paidFen: o.paidFen, paidAt: new Date('2026-11-01T00:00:00Z'), channel: 'online' }, { guideId: 'g1', reason: 'test', source: 'platform' }, o.splits)));
        await expectExact();
        await Promise.all(orders.flatMap((o, i) => o.parts.map((part, p) => (part === 0 ? Promise.resolve() : ledger.reverse('acme', { orderId: id(i), memberId: null, paidFen: o.paidFen }, { refundId: `R${p}`, spendFen: part, refundedAt: new Date('2026-11-02T00:00:00Z') })))));
        await expectExact();
        const { rows } = await db.query<{ open: string }>(`SELECT coalesce(sum(accrued_fen - reversed_fen), 0) AS open FROM guide_commissions WHERE merchant_id = 'acme' AND order_id LIKE $1`, [`P${run}-%`]);
        expect(Number(rows[0]!.open)).toBe(0);
      }),
      { numRuns: 40 },
    );
  }, 300_000);
});
