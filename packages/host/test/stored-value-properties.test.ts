// Property tests of 会员宝 on the real PostgreSQL with 12 connections: rounds of top-ups (paid by
// callback, some redelivered), spends at two tills at once, partial spend refunds and top-up refunds run
// concurrently. After every run: each balance = Σ its entries = Σ its lots' remainders, nothing is
// negative, every applied change is in the balance exactly once, and a spend refunded in full gave back
// exactly the principal and bonus it took, lot by lot.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawFromLot, refundOfTake, StoredValue, type StoredValueResult } from '../src/domains/stored-value/index.js';
import { Dispatcher } from '../src/platform/dispatch/dispatcher.js';
import { openDatabase, type Database } from '../src/platform/storage/database.js';
import { createTestDatabase, type TestDatabase } from '../src/testing.js';

let test: TestDatabase;
let db: Database;
let sv: StoredValue;
beforeAll(async () => {
  test = await createTestDatabase();
  await test.db.query(`INSERT INTO merchant_tiers (id, name) VALUES ('standard', 'Standard')`);
  await test.db.query(`INSERT INTO merchants (id, name, tier_id) VALUES ('acme', 'Acme', 'standard')`);
  db = openDatabase(test.url, { maxConnections: 12 });
  const dispatcher = new Dispatcher(db, async () => {
    throw new Error('no plugins run in stored-value tests');
  });
  sv = new StoredValue(db, dispatcher.publishIn.bind(dispatcher));
  await sv.setRules('acme', [{ minPrincipalFen: 1_000, bonusFen: 100 }, { minPrincipalFen: 5_000, bonusFen: 777 }]);
});
afterAll(async () => {
  await db?.close();
  await test?.drop();
});

describe('lot arithmetic', () => {
  it('takes the same bonus from a lot however a spend is split', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 0, max: 2_000_000 }), fc.array(fc.integer({ min: 1, max: 50_000 }), { minLength: 1, maxLength: 30 }), (principalFen, bonusFen, parts) => {
        const lot = { principalFen, bonusFen, principalRemaining: principalFen, bonusRemaining: bonusFen };
        let taken = 0;
        for (const part of parts) {
          const take = drawFromLot(lot, part);
          expect(take.principalFen).toBeGreaterThanOrEqual(0);
          expect(take.bonusFen).toBeGreaterThanOrEqual(0);
          expect(take.principalFen + take.bonusFen).toBe(Math.min(part, lot.principalRemaining + lot.bonusRemaining));
          lot.principalRemaining -= take.principalFen;
          lot.bonusRemaining -= take.bonusFen;
          taken += take.principalFen + take.bonusFen;
        }
        const whole = drawFromLot({ principalFen, bonusFen, principalRemaining: principalFen, bonusRemaining: bonusFen }, taken);
        expect(bonusFen - lot.bonusRemaining).toBe(whole.bonusFen);
      }),
    );
  });

  it('returns a take exactly, however its refund is split', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 1_000_000 }), fc.array(fc.integer({ min: 1, max: 200_000 }), { minLength: 1, maxLength: 30 }), (principalFen, bonusFen, parts) => {
        fc.pre(principalFen + bonusFen > 0);
        const take = { principalFen, bonusFen, principalRefunded: 0, bonusRefunded: 0 };
        for (const part of [...parts, principalFen + bonusFen]) {
          const back = refundOfTake(take, part);
          take.principalRefunded += back.principalFen;
          take.bonusRefunded += back.bonusFen;
          expect(take.principalRefunded).toBeLessThanOrEqual(principalFen);
          expect(take.bonusRefunded).toBeLessThanOrEqual(bonusFen);
        }
        expect([take.principalRefunded, take.bonusRefunded]).toEqual([principalFen, bonusFen]);
      }),
    );
  });
});

const MEMBERS = 2;
const member = fc.nat(MEMBERS - 1);
const command = fc.oneof(
  fc.record({ type: fc.constant('topUp' as const), member, principalFen: fc.integer({ min: 1, max: 8_000 }) }),
  fc.record({ type: fc.constant('spend' as const), member, amountFen: fc.integer({ min: 1, max: 6_000 }) }),
  fc.record({ type: fc.constant('spend' as const), member, amountFen: fc.integer({ min: 1, max: 6_000 }) }),
  fc.record({ type: fc.constant('refundSpend' as const), pick: fc.nat(), amountFen: fc.integer({ min: 1, max: 4_000 }) }),
  fc.record({ type: fc.constant('refundTopUp' as const), pick: fc.nat() }),
  fc.record({ type: fc.constant('redeliver' as const), pick: fc.nat() }),
);
type Command = typeof command extends fc.Arbitrary<infer C> ? C : never;

let runs = 0;

async function runScenario(rounds: Command[][]): Promise<void> {
  const run = ++runs;
  const members = Array.from({ length: MEMBERS }, (_, i) => `p${run}_m${i}`);
  const spends: string[] = [];
  const topUps: string[] = [];
  const applied: StoredValueResult[] = [];
  const replays: Array<{ call: () => Promise<StoredValueResult>; first: StoredValueResult }> = [];
  let paidFen = 0;
  let counter = 0;
  const caller = (k: string) => ({ merchantId: 'acme', scope: 'store:s1', idempotencyKey: `p${run}-${k}` });
  for (const round of rounds) {
    await Promise.all(
      round.map(async (c) => {
        const n = ++counter;
        if (c.type === 'topUp') {
          const topUp = await sv.createTopUp({ ...caller(`tu${n}`), memberId: members[c.member]!, principalFen: c.principalFen });
          const paid = await sv.applyPayment('acme', { paymentId: `p${run}-pay${n}`, topUpId: topUp.topUpId, amountFen: c.principalFen, status: 'captured' });
          expect(paid.result).toBe('applied');
          // A redelivered callback changes nothing.
          expect((await sv.applyPayment('acme', { paymentId: `p${run}-pay${n}`, topUpId: topUp.topUpId, amountFen: c.principalFen, status: 'captured' })).result).toBe('duplicate');
          paidFen += topUp.principalFen + topUp.bonusFen;
          topUps.push(topUp.topUpId);
          return;
        }
        if (c.type === 'redeliver') {
          const replay = replays[c.pick % Math.max(1, replays.length)];
          if (!replay) return;
          const again = await replay.call();
          expect(again.status).toBe('duplicate');
          expect({ ...again, status: replay.first.status, firstStatus: undefined }).toEqual({ ...replay.first, firstStatus: undefined });
          return;
        }
        let call: (() => Promise<StoredValueResult>) | undefined;
        if (c.type === 'spend') call = () => sv.spend({ ...caller(`s${n}`), memberId: members[c.member]!, amountFen: c.amountFen, storeId: n % 2 ? 'store-a' : 'store-b' });
        const spendId = spends[((c as { pick?: number }).pick ?? 0) % Math.max(1, spends.length)];
        if (c.type === 'refundSpend' && spendId) call = () => sv.refundSpend({ ...caller(`rs${n}`), spendId, amountFen: c.amountFen });
        const topUpId = topUps[((c as { pick?: number }).pick ?? 0) % Math.max(1, topUps.length)];
        if (c.type === 'refundTopUp' && topUpId) call = () => sv.refundTopUp({ ...caller(`rt${n}`), topUpId });
        if (!call) return;
        const result = await call();
        replays.push({ call, first: result });
        if (result.status === 'applied') {
          applied.push(result);
          if (c.type === 'spend') spends.push(result.refId);
        }
      }),
    );
  }

  // Every applied change is in the balances exactly once.
  const moved = applied.reduce((sum, r) => sum + r.principalDeltaFen + r.bonusDeltaFen, 0);
  const balances = await Promise.all(members.map((m) => sv.balance('acme', m)));
  expect(balances.reduce((sum, b) => sum + b.balanceFen, 0)).toBe(paidFen + moved);

  const { rows } = await db.query<{ member_id: string; balance: number; entries: number; lots: number; negative_lots: number }>(
    `SELECT a.member_id, a.principal_fen + a.bonus_fen AS balance,
            COALESCE((SELECT sum(principal_delta + bonus_delta) FROM stored_value_entries e WHERE e.merchant_id = a.merchant_id AND e.member_id = a.member_id), 0)::bigint AS entries,
            COALESCE((SELECT sum(principal_remaining + bonus_remaining) FROM stored_value_lots l WHERE l.merchant_id = a.merchant_id AND l.member_id = a.member_id), 0)::bigint AS lots,
            (SELECT count(*) FROM stored_value_lots l WHERE l.merchant_id = a.merchant_id AND l.member_id = a.member_id AND (principal_remaining < 0 OR bonus_remaining < 0 OR principal_remaining > principal_fen OR bonus_remaining > bonus_fen))::int AS negative_lots
     FROM stored_value_accounts a WHERE a.member_id = ANY($1::text[])`,
    [members],
  );
  for (const row of rows) {
    expect(row.balance, `${row.member_id}: balance = Σ entries`).toBe(row.entries);
    expect(row.lots, `${row.member_id}: balance = Σ lots`).toBe(row.balance);
    expect(row.balance).toBeGreaterThanOrEqual(0);
    expect(row.negative_lots).toBe(0);
  }
  // Per spend: its takes add up to it; what was refunded of it is what its takes say was refunded.
  const { rows: spendRows } = await db.query<{ id: string; amount_fen: number; refunded_fen: number; taken: number; back: number }>(
    `SELECT s.id, s.amount_fen, s.refunded_fen, sum(t.principal_fen + t.bonus_fen)::bigint AS taken, sum(t.principal_refunded + t.bonus_refunded)::bigint AS back
     FROM stored_value_spends s JOIN stored_value_spend_takes t ON t.merchant_id = s.merchant_id AND t.spend_id = s.id WHERE s.member_id = ANY($1::text[]) GROUP BY s.id, s.amount_fen, s.refunded_fen`,
    [members],
  );
  for (const s of spendRows) {
    expect(s.taken).toBe(s.amount_fen);
    expect(s.back).toBe(s.refunded_fen);
  }
}

describe('stored value under concurrency', () => {
  it('keeps every balance exact and never negative, and refunds what spends took', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.array(command, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 4 }), runScenario), { numRuns: 12 });
  }, 240_000);

  it('lets two tills spending the last of one balance at once take it once', async () => {
    const memberId = 'race_m';
    const topUp = await sv.createTopUp({ merchantId: 'acme', scope: 'op', idempotencyKey: 'race-tu', memberId, principalFen: 10_000 });
    await sv.applyPayment('acme', { paymentId: 'race-pay', topUpId: topUp.topUpId, amountFen: 10_000, status: 'captured' });
    const balance = (await sv.balance('acme', memberId)).balanceFen;
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => sv.spend({ merchantId: 'acme', scope: `store:${i % 2}`, idempotencyKey: `race-${i}`, memberId, amountFen: Math.ceil(balance / 3), storeId: `store-${i % 2}` })));
    expect(results.filter((r) => r.status === 'applied')).toHaveLength(2);
    expect(results.filter((r) => r.status === 'rejected').every((r) => r.reason === 'insufficient_balance')).toBe(true);
    expect((await sv.balance('acme', memberId)).balanceFen).toBe(balance - 2 * Math.ceil(balance / 3));
  });
});
