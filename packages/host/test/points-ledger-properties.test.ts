// Property tests of the points ledger on the real PostgreSQL, with 12 connections: rounds of grants,
// deductions, freezes, confirms, releases, order earns and partial/full refunds (a refund may come
// before its earn) and redeliveries run concurrently; between rounds time moves on, so lots and holds
// expire. After every run the ledger must be exact.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerResult, LedgerSource, OrderLedgerResult } from '../src/domains/points/index.js';
import { createLedgerFixture, expectLedgerConsistent, OPERATOR, type LedgerFixture } from './support/ledger-fixture.js';

const CONNECTIONS = 12;
let f: LedgerFixture;
beforeAll(async () => (f = await createLedgerFixture(CONNECTIONS)));
afterAll(() => f.close());

const DAY = 86_400_000;
const MEMBERS = 3;
const ORDERS = 4;

const member = fc.nat(MEMBERS - 1);
const command = fc.oneof(
  fc.record({ type: fc.constant('grant' as const), member, amount: fc.integer({ min: 1, max: 200 }), expiresInDays: fc.option(fc.integer({ min: 1, max: 6 }), { nil: null }), account: fc.constantFrom('points' as const, 'growth' as const) }),
  fc.record({ type: fc.constant('deduct' as const), member, amount: fc.integer({ min: 1, max: 150 }) }),
  fc.record({ type: fc.constant('freeze' as const), member, amount: fc.integer({ min: 1, max: 150 }) }),
  fc.record({ type: fc.constant('close' as const), how: fc.constantFrom('confirm' as const, 'release' as const), pick: fc.nat() }),
  fc.record({ type: fc.constant('earn' as const), order: fc.nat(ORDERS - 1), source: fc.constantFrom('inst-1', 'inst-2'), points: fc.integer({ min: 0, max: 300 }), growth: fc.integer({ min: 0, max: 50 }) }),
  fc.record({ type: fc.constant('refund' as const), order: fc.nat(ORDERS - 1), part: fc.nat(2) }),
  fc.record({ type: fc.constant('redeliver' as const), pick: fc.nat() }),
);
type Command = typeof command extends fc.Arbitrary<infer C> ? C : never;

/** An order's paid amount and its three refund parts, which sum to it exactly (a part may be 0: skipped). */
const order = fc.integer({ min: 3, max: 100_000 }).chain((paidFen) =>
  fc.tuple(fc.integer({ min: 0, max: paidFen }), fc.integer({ min: 0, max: paidFen })).map(([a, b]) => {
    const [low, high] = a < b ? [a, b] : [b, a];
    return { paidFen, parts: [low, high - low, paidFen - high] };
  }),
);

const scenario = fc.record({
  orders: fc.array(order, { minLength: ORDERS, maxLength: ORDERS }),
  rounds: fc.array(fc.record({ commands: fc.array(command, { minLength: 1, maxLength: 14 }), advanceHours: fc.integer({ min: 0, max: 72 }) }), { minLength: 1, maxLength: 5 }),
});

interface Executed {
  kind: 'member' | 'order';
  run: () => Promise<LedgerResult | OrderLedgerResult>;
  first: LedgerResult | OrderLedgerResult;
}

let runs = 0;

type Scenario = typeof scenario extends fc.Arbitrary<infer S> ? S : never;

async function runScenario({ orders, rounds }: Scenario): Promise<void> {
  const run = ++runs;
  const start = new Date(f.clock.now);
  const members = Array.from({ length: MEMBERS }, (_, i) => `p${run}_m${i}`);
  const orderRefs = orders.map((o, i) => ({ orderId: `p${run}_o${i}`, memberId: members[i % MEMBERS]!, paidFen: o.paidFen }));
  const executed: Executed[] = [];
  const holds: string[] = [];
  let counter = 0;
  try {
    for (const round of rounds) {
      const known = executed.length;
      const calls = round.commands.map((c) => callOf(c, known)).filter((call) => call !== undefined);
      const results = await Promise.all(calls.map(async ({ run: call, redelivery, kind }) => ({ result: await call(), redelivery, kind, call })));
      for (const { result, redelivery, kind, call } of results) {
        if (redelivery) {
          // A redelivered request changes nothing and answers with the first outcome.
          expect(result.status).toBe('duplicate');
          if ('entryId' in result) expect(result.entryId).toBe((redelivery.first as LedgerResult).entryId);
        } else {
          executed.push({ kind, run: call, first: result });
          if ('holdId' in result && result.holdId && result.status === 'applied' && result.heldAfter > 0 && !holds.includes(result.holdId)) holds.push(result.holdId);
        }
      }
      f.clock.now = new Date(f.clock.now.getTime() + round.advanceHours * 3_600_000);
    }
    // Long after every lot and hold: the schedule's sweep ends every hold and expires every lot that is due.
    f.clock.now = new Date(f.clock.now.getTime() + 30 * DAY);
    while ((await f.ledger.sweepDue()).members > 0);
    await checkRun(members, orderRefs, executed, holds);
  } finally {
    f.clock.now = start;
  }

  function callOf(c: Command, known: number): { run: () => Promise<LedgerResult | OrderLedgerResult>; redelivery?: Executed; kind: Executed['kind'] } | undefined {
    const key = `p${run}_k${++counter}`;
    const base = { merchantId: 'acme', reason: `prop ${c.type}`, idempotencyKey: key };
    const source: LedgerSource = counter % 2 === 0 ? OPERATOR : { kind: 'install', id: 'inst-1' };
    switch (c.type) {
      case 'grant': {
        // Fixed when the request is made: a redelivery sends the very same request.
        const expiresAt = c.expiresInDays === null ? null : new Date(f.clock.now.getTime() + c.expiresInDays * DAY);
        return { kind: 'member', run: () => f.ledger.grant({ ...base, source, memberId: members[c.member]!, amount: c.amount, account: c.account, expiresAt }) };
      }
      case 'deduct':
        return { kind: 'member', run: () => f.ledger.deduct({ ...base, source, memberId: members[c.member]!, amount: c.amount }) };
      case 'freeze':
        return { kind: 'member', run: () => f.ledger.freeze({ ...base, source: OPERATOR, memberId: members[c.member]!, amount: c.amount, ttlMs: 12 * 3_600_000 }) };
      case 'close': {
        if (holds.length === 0) return undefined;
        const holdId = holds[c.pick % holds.length]!;
        return { kind: 'member', run: () => f.ledger[c.how]({ merchantId: 'acme', holdId, source: OPERATOR, idempotencyKey: key }) };
      }
      case 'earn': {
        const pointsExpiresAt = new Date(f.clock.now.getTime() + 4 * DAY);
        return {
          kind: 'order',
          run: () => f.ledger.earnForOrder('acme', orderRefs[c.order]!, [{ source: { kind: 'install', id: c.source }, points: c.points, growth: c.growth, pointsExpiresAt, reason: 'order points' }]),
        };
      }
      case 'refund': {
        const refundFen = orders[c.order]!.parts[c.part]!;
        if (refundFen === 0) return undefined;
        return { kind: 'order', run: () => f.ledger.refundOrder('acme', orderRefs[c.order]!, { refundId: `part${c.part}`, refundFen }) };
      }
      case 'redeliver': {
        const earlier = executed.slice(0, known).filter((e) => e.first.status !== 'duplicate');
        if (earlier.length === 0) return undefined;
        const original = earlier[c.pick % earlier.length]!;
        return { kind: original.kind, run: original.run, redelivery: original };
      }
    }
  }
}

async function checkRun(members: string[], orderRefs: Array<{ orderId: string }>, executed: Executed[], holds: string[]): Promise<void> {
  await expectLedgerConsistent(f.db);
  // No key applied twice: each applied member mutation wrote exactly its one entry, and nothing else
  // outside orders, expiry and holds wrote grant, deduct or freeze entries.
  const applied = executed.filter((e) => e.kind === 'member' && e.first.status === 'applied').map((e) => e.first as LedgerResult);
  const { rows: direct } = await f.db.query<{ id: string }>(
    `SELECT id FROM points_entries WHERE merchant_id = 'acme' AND member_id = ANY($1) AND order_id IS NULL AND kind IN ('grant', 'deduct', 'freeze')`,
    [members],
  );
  const { rows: written } = await f.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM points_entries WHERE merchant_id = 'acme' AND id = ANY($1)`, [applied.map((r) => r.entryId)]);
  expect(new Set(applied.map((r) => r.entryId)).size).toBe(applied.length);
  expect(written[0]!.n).toBe(applied.length);
  const ownEntries = new Set(applied.map((r) => r.entryId));
  expect(direct.filter((d) => !ownEntries.has(d.id))).toEqual([]);
  // Every hold ended in exactly one outcome, and wrote exactly one closing entry.
  const { rows: holdRows } = await f.db.query<{ id: string; status: string; closings: number }>(
    `SELECT h.id, h.status, (SELECT count(*)::int FROM points_entries e WHERE e.merchant_id = h.merchant_id AND e.hold_id = h.id AND e.kind IN ('confirm', 'release')) AS closings
     FROM points_holds h WHERE h.merchant_id = 'acme' AND h.member_id = ANY($1)`,
    [members],
  );
  expect(holdRows.length).toBe(holds.length);
  for (const hold of holdRows) {
    expect(hold.status, `hold ${hold.id}`).not.toBe('held');
    expect(hold.closings, `closing entries of hold ${hold.id}`).toBe(1);
  }
  // Reversal is cumulative and exact: each grant reversed floor(granted × refunded / paid), its reverse
  // entries sum to that, and a fully refunded order reversed exactly what was granted.
  const { rows: grants } = await f.db.query<{ order_id: string; source_id: string; account: string; granted: number; reversed: number; paid_fen: number; refunded_fen: number; reverse_entries: number }>(
    `SELECT g.order_id, g.source_id, g.account, g.granted, g.reversed, o.paid_fen, o.refunded_fen,
            COALESCE((SELECT -sum(delta) FROM points_entries e WHERE e.merchant_id = g.merchant_id AND e.order_id = g.order_id AND e.kind = 'reverse'
                        AND e.source_id = g.source_id AND e.account = g.account), 0)::bigint AS reverse_entries
     FROM points_order_grants g JOIN points_orders o USING (merchant_id, order_id)
     WHERE g.merchant_id = 'acme' AND g.order_id = ANY($1)`,
    [orderRefs.map((o) => o.orderId)],
  );
  for (const g of grants) {
    const where = `${g.order_id}/${g.source_id}/${g.account}`;
    expect(g.reversed, where).toBe(Number((BigInt(g.granted) * BigInt(g.refunded_fen)) / BigInt(g.paid_fen)));
    expect(g.reverse_entries, where).toBe(g.reversed);
    if (g.refunded_fen === g.paid_fen) expect(g.reversed, where).toBe(g.granted);
  }
}

describe('the points ledger under concurrency (fast-check, real PostgreSQL)', () => {
  it('stays exact under any interleaving of grants, spends, holds, earns, refunds, expiries and redeliveries', async () => {
    await fc.assert(fc.asyncProperty(scenario, runScenario), { numRuns: Number(process.env["LEDGER_RUNS"] ?? 25) });
    // The documented lock order leaves nothing to deadlock (a deadlock would be retried, and hidden).
    const { rows } = await f.db.query<{ deadlocks: number }>('SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()');
    expect(rows[0]!.deadlocks).toBe(0);
  }, 240_000);

  it('applies exactly one of several redemptions racing for the last points', async () => {
    let race = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1000 }).chain((balance) =>
          fc.record({
            balance: fc.constant(balance),
            // Each asks for more than half the balance, so any two together need more than there is.
            asks: fc.array(fc.record({ amount: fc.integer({ min: Math.floor(balance / 2) + 1, max: balance }), freeze: fc.boolean() }), { minLength: 2, maxLength: 8 }),
          }),
        ),
        async ({ balance, asks }) => {
          const memberId = `race${++race}`;
          await f.ledger.grant({ merchantId: 'acme', memberId, amount: balance, reason: 'race', source: OPERATOR, idempotencyKey: `${memberId}-grant` });
          const results = await Promise.all(
            asks.map((ask, i) => {
              const request = { merchantId: 'acme', memberId, amount: ask.amount, reason: 'redeem', source: OPERATOR, idempotencyKey: `${memberId}-${i}` };
              return ask.freeze ? f.ledger.freeze(request) : f.ledger.deduct(request);
            }),
          );
          expect(results.filter((r) => r.status === 'applied')).toHaveLength(1);
          expect(results.filter((r) => r.status === 'rejected').every((r) => r.reason === 'insufficient_balance')).toBe(true);
          const winner = results.find((r) => r.status === 'applied')!;
          expect((await f.ledger.memberPoints('acme', memberId)).points.balance).toBe(balance - (winner.balanceBefore - winner.balanceAfter));
        },
      ),
      { numRuns: 40 },
    );
    await expectLedgerConsistent(f.db);
  }, 120_000);
});
