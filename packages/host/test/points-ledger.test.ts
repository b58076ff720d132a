// The points ledger as a spec: lots and their expiry order, holds, cumulative refund reversal, debt,
// idempotency and the events, on a real PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TkError } from '@tongkit/sdk';
import { cumulativeReversal } from '../src/domains/points/index.js';
import { createLedgerFixture, expectLedgerConsistent, INSTALL, OPERATOR, type LedgerFixture } from './support/ledger-fixture.js';

let f: LedgerFixture;
beforeAll(async () => (f = await createLedgerFixture()));
afterAll(() => f.close());

let seq = 0;
/** A fresh member per test: tests do not see each other's balances. */
const newMember = () => `m_${++seq}`;
const key = () => `k_${++seq}`;
const days = (n: number) => new Date(f.clock.now.getTime() + n * 86_400_000);
const grant = (memberId: string, amount: number, expiresAt: Date | null = null, extra: { account?: 'points' | 'growth' } = {}) =>
  f.ledger.grant({ merchantId: 'acme', memberId, amount, expiresAt, reason: 'test grant', source: OPERATOR, idempotencyKey: key(), ...extra });
const balanceOf = async (memberId: string) => (await f.ledger.memberPoints('acme', memberId)).points;

describe('grants and idempotency', () => {
  it('grants into a lot and reports the balance before and after', async () => {
    const m = newMember();
    const result = await grant(m, 500);
    expect(result).toMatchObject({ status: 'applied', memberId: m, account: 'points', balanceBefore: 0, balanceAfter: 500, debtAfter: 0 });
    expect(result.entryId).toMatch(/^pe_/);
    expect(await balanceOf(m)).toEqual({ balance: 500, held: 0, debt: 0 });
  });

  it('applies a key once: the same request again is a duplicate with the first entry, another payload is TK_CONFLICT', async () => {
    const m = newMember();
    const request = { merchantId: 'acme', memberId: m, amount: 100, reason: 'welcome', source: INSTALL, idempotencyKey: 'welcome' };
    const first = await f.ledger.grant(request);
    const again = await f.ledger.grant(request);
    expect(again).toMatchObject({ status: 'duplicate', firstStatus: 'applied', entryId: first.entryId, balanceAfter: 100 });
    await expect(f.ledger.grant({ ...request, amount: 101 })).rejects.toMatchObject({ code: 'TK_CONFLICT', path: '/idempotencyKey' });
    expect((await balanceOf(m)).balance).toBe(100);
  });

  it('scopes keys to the install or operator: the same key from another source is its own change', async () => {
    const m = newMember();
    const request = { merchantId: 'acme', memberId: m, amount: 10, reason: 'r', idempotencyKey: 'shared-key' };
    await f.ledger.grant({ ...request, source: INSTALL });
    const other = await f.ledger.grant({ ...request, source: { kind: 'install', id: 'inst-2' } });
    const operator = await f.ledger.grant({ ...request, source: OPERATOR });
    expect([other.status, operator.status]).toEqual(['applied', 'applied']);
    expect((await balanceOf(m)).balance).toBe(30);
  });

  it('refuses malformed requests with a TK_VALIDATION at the field', async () => {
    const base = { merchantId: 'acme', memberId: newMember(), reason: 'r', source: OPERATOR, idempotencyKey: key() };
    await expect(f.ledger.grant({ ...base, amount: 1.5 })).rejects.toMatchObject({ code: 'TK_VALIDATION', path: '/amount' });
    await expect(f.ledger.grant({ ...base, amount: 0 })).rejects.toMatchObject({ code: 'TK_VALIDATION', path: '/amount' });
    await expect(f.ledger.grant({ ...base, amount: 5, expiresAt: days(-1) })).rejects.toMatchObject({ code: 'TK_VALIDATION', path: '/expiresAt' });
    await expect(f.ledger.grant({ ...base, amount: 5, reason: '' })).rejects.toMatchObject({ code: 'TK_VALIDATION', path: '/reason' });
    await expect(f.ledger.freeze({ ...base, amount: 5, ttlMs: 10 })).rejects.toMatchObject({ code: 'TK_VALIDATION', path: '/ttlMs' });
  });

  it('keeps entries append-only: the database refuses to rewrite one', async () => {
    const m = newMember();
    await grant(m, 5);
    await expect(f.db.query(`UPDATE points_entries SET delta = 500 WHERE member_id = $1`, [m])).rejects.toThrow(/append-only/);
    await expect(f.db.query(`DELETE FROM points_entries WHERE member_id = $1`, [m])).rejects.toThrow(/append-only/);
  });
});

describe('lots and expiry', () => {
  it('spends the soonest-expiring lot first and never-expiring lots last', async () => {
    const m = newMember();
    await grant(m, 100, null);
    await grant(m, 100, days(30));
    await grant(m, 100, days(10));
    await f.ledger.deduct({ merchantId: 'acme', memberId: m, amount: 150, reason: 'redeem', source: OPERATOR, idempotencyKey: key() });
    const { lots } = await f.ledger.memberPoints('acme', m);
    expect(lots.map((l) => [l.remaining, l.expiresAt])).toEqual([
      [50, days(30).toISOString()],
      [100, null],
    ]);
  });

  it('expires a lot with an entry and keeps the lot; expired points cannot be spent', async () => {
    const m = newMember();
    await grant(m, 80, days(1));
    await grant(m, 20, days(100));
    const start = f.clock.now;
    f.clock.now = days(2);
    try {
      const spend = await f.ledger.deduct({ merchantId: 'acme', memberId: m, amount: 50, reason: 'redeem', source: OPERATOR, idempotencyKey: key() });
      expect(spend).toMatchObject({ status: 'rejected', reason: 'insufficient_balance', balanceAfter: 20 });
      const { items } = await f.ledger.ledger('acme', m);
      expect(items.map((e) => [e.kind, e.delta, e.source.kind])).toEqual([
        ['grant', 80, 'operator'],
        ['grant', 20, 'operator'],
        ['expire', -80, 'host'],
      ]);
      const { rows } = await f.db.query(`SELECT granted, remaining FROM points_lots WHERE member_id = $1 ORDER BY expires_at`, [m]);
      expect(rows).toEqual([
        { granted: 80, remaining: 0 },
        { granted: 20, remaining: 20 },
      ]);
    } finally {
      f.clock.now = start;
    }
  });

  it('the schedule sweep expires members nobody touches, once, however many sweeps run', async () => {
    const m = newMember();
    await grant(m, 30, days(1));
    const start = f.clock.now;
    f.clock.now = days(3);
    try {
      const sweeps = await Promise.all([f.ledger.sweepDue(), f.ledger.sweepDue(), f.ledger.sweepDue()]);
      expect(sweeps.reduce((n, s) => n + s.lotsExpired, 0)).toBeGreaterThanOrEqual(1);
      const { items } = await f.ledger.ledger('acme', m);
      expect(items.filter((e) => e.kind === 'expire')).toHaveLength(1);
      expect((await balanceOf(m)).balance).toBe(0);
    } finally {
      f.clock.now = start;
    }
  });
});

describe('holds', () => {
  const freeze = (memberId: string, amount: number, ttlMs?: number) =>
    f.ledger.freeze({ merchantId: 'acme', memberId, amount, reason: 'voucher', source: INSTALL, idempotencyKey: key(), ...(ttlMs ? { ttlMs } : {}) });
  const close = (how: 'confirm' | 'release', holdId: string, source = INSTALL) => f.ledger[how]({ merchantId: 'acme', holdId, source, idempotencyKey: key() });

  it('freezes with a 15-minute default TTL, then confirms: the points are spent once', async () => {
    const m = newMember();
    await grant(m, 100);
    const hold = await freeze(m, 60);
    expect(hold).toMatchObject({ status: 'applied', balanceBefore: 100, balanceAfter: 40, heldAfter: 60 });
    expect(hold.holdExpiresAt).toBe(new Date(f.clock.now.getTime() + 15 * 60_000).toISOString());
    const confirmed = await close('confirm', hold.holdId!);
    expect(confirmed).toMatchObject({ status: 'applied', balanceAfter: 40, heldAfter: 0 });
    expect(await close('release', hold.holdId!)).toMatchObject({ status: 'rejected', reason: 'hold_closed' });
    expect(await balanceOf(m)).toEqual({ balance: 40, held: 0, debt: 0 });
  });

  it('releases a hold back into the lots it came from', async () => {
    const m = newMember();
    await grant(m, 50, days(5));
    await grant(m, 50, days(50));
    const hold = await freeze(m, 70);
    expect(await close('release', hold.holdId!)).toMatchObject({ status: 'applied', balanceAfter: 100, heldAfter: 0 });
    const { lots } = await f.ledger.memberPoints('acme', m);
    expect(lots.map((l) => l.remaining)).toEqual([50, 50]);
  });

  it('releases an expired hold by itself: confirming it then is hold_expired', async () => {
    const m = newMember();
    await grant(m, 100);
    const hold = await freeze(m, 100, 60_000);
    const start = f.clock.now;
    f.clock.now = new Date(start.getTime() + 60_000);
    try {
      expect(await close('confirm', hold.holdId!)).toMatchObject({ status: 'rejected', reason: 'hold_expired', balanceAfter: 100, heldAfter: 0 });
      const { rows } = await f.db.query(`SELECT status, release_cause FROM points_holds WHERE id = $1`, [hold.holdId]);
      expect(rows).toEqual([{ status: 'released', release_cause: 'expired' }]);
    } finally {
      f.clock.now = start;
    }
  });

  it('refuses a freeze beyond the balance, and keeps that answer under its key', async () => {
    const m = newMember();
    await grant(m, 10);
    const request = { merchantId: 'acme', memberId: m, amount: 11, reason: 'voucher', source: INSTALL, idempotencyKey: key() };
    expect(await f.ledger.freeze(request)).toMatchObject({ status: 'rejected', reason: 'insufficient_balance', entryId: null, balanceAfter: 10 });
    await grant(m, 10);
    expect(await f.ledger.freeze(request)).toMatchObject({ status: 'duplicate', firstStatus: 'rejected', reason: 'insufficient_balance' });
  });

  it('lets only the install that froze a hold, or an operator, close it; never another merchant', async () => {
    const m = newMember();
    await grant(m, 10);
    const hold = await freeze(m, 10);
    expect(await close('confirm', hold.holdId!, { kind: 'install', id: 'inst-2' })).toMatchObject({ status: 'rejected', reason: 'hold_not_found' });
    expect(await f.ledger.confirm({ merchantId: 'other', holdId: hold.holdId!, source: INSTALL, idempotencyKey: key() })).toMatchObject({ status: 'rejected', reason: 'hold_not_found' });
    expect(await close('confirm', hold.holdId!, OPERATOR)).toMatchObject({ status: 'applied' });
  });
});

describe('refund reversal and debt', () => {
  const order = (memberId: string, paidFen = 30_000) => ({ orderId: `o_${++seq}`, memberId, paidFen });
  const earn = (o: ReturnType<typeof order>, points: number, growth = 0, source = INSTALL) =>
    f.ledger.earnForOrder('acme', o, [{ source, points, growth, pointsExpiresAt: days(365), reason: 'order points' }]);
  const refund = (o: ReturnType<typeof order>, refundFen: number) => f.ledger.refundOrder('acme', o, { refundId: `r_${++seq}`, refundFen });

  it('computes floor(granted × refundedToDate / paid) − reversedSoFar', () => {
    expect(cumulativeReversal({ granted: 100, paidFen: 300, refundedToDateFen: 100, reversedSoFar: 0 })).toBe(33);
    expect(cumulativeReversal({ granted: 100, paidFen: 300, refundedToDateFen: 200, reversedSoFar: 33 })).toBe(33);
    expect(cumulativeReversal({ granted: 100, paidFen: 300, refundedToDateFen: 300, reversedSoFar: 66 })).toBe(34);
    expect(cumulativeReversal({ granted: 9_000_000_000, paidFen: 9_000_000_001, refundedToDateFen: 9_000_000_001, reversedSoFar: 0 })).toBe(9_000_000_000);
  });

  it('reverses partial refunds cumulatively and a full refund exactly what was granted', async () => {
    const m = newMember();
    const o = order(m, 300);
    await earn(o, 100, 7);
    const reversed: number[] = [];
    for (const part of [100, 100, 100]) {
      const result = await refund(o, part);
      reversed.push(-result.results.filter((r) => r.account === 'points').reduce((n, r) => n + r.balanceAfter - r.balanceBefore, 0));
    }
    expect(reversed).toEqual([33, 33, 34]);
    expect((await f.ledger.memberPoints('acme', m)).growth.balance).toBe(0);
    expect((await balanceOf(m)).balance).toBe(0);
    expect(await refund(o, 1)).toMatchObject({ status: 'rejected', reason: 'refund_exceeds_paid' });
  });

  it("takes the order's own lot first, then the soonest-expiring; the rest is debt that blocks redemption", async () => {
    const m = newMember();
    await grant(m, 40, days(400));
    await grant(m, 40, days(20));
    const o = order(m, 1000);
    await earn(o, 100);
    await f.ledger.deduct({ merchantId: 'acme', memberId: m, amount: 150, reason: 'redeem', source: OPERATOR, idempotencyKey: key() });
    // Spent soonest-expiring first: the day-20 lot (40), the order's day-365 lot (100), 10 of the day-400 lot.
    const before = (await f.ledger.memberPoints('acme', m)).lots.map((l) => [l.remaining, l.orderId]);
    expect(before).toEqual([[30, null]]);
    const result = await refund(o, 1000);
    expect(result.results[0]).toMatchObject({ balanceBefore: 30, balanceAfter: -70, debtAfter: 70 });
    expect(await balanceOf(m)).toEqual({ balance: -70, held: 0, debt: 70 });
    const freeze = await f.ledger.freeze({ merchantId: 'acme', memberId: m, amount: 1, reason: 'voucher', source: INSTALL, idempotencyKey: key() });
    expect(freeze).toMatchObject({ status: 'rejected', reason: 'debt_outstanding' });
    // New grants repay the debt first; only what is left fills a lot.
    expect(await grant(m, 100)).toMatchObject({ balanceAfter: 30, debtAfter: 0 });
    expect((await f.ledger.memberPoints('acme', m)).lots.map((l) => l.remaining)).toEqual([30]);
  });

  it("takes the order's own lot before an earlier-expiring one", async () => {
    const m = newMember();
    await grant(m, 50, days(10));
    const o = order(m, 100);
    await earn(o, 50);
    await refund(o, 50);
    const { lots } = await f.ledger.memberPoints('acme', m);
    expect(lots.map((l) => [l.remaining, l.orderId])).toEqual([
      [50, null],
      [25, o.orderId],
    ]);
  });

  it('a refund processed before its earn still ends with the right balance', async () => {
    const m = newMember();
    const o = order(m, 300);
    await refund(o, 100);
    const earned = await earn(o, 90, 30);
    expect(earned.status).toBe('applied');
    const state = await f.ledger.memberPoints('acme', m);
    expect([state.points.balance, state.growth.balance]).toEqual([60, 20]);
    await refund(o, 200);
    const after = await f.ledger.memberPoints('acme', m);
    expect([after.points.balance, after.growth.balance]).toEqual([0, 0]);
  });

  it('earns once per (order, source) under redelivery; another source adds its own entry', async () => {
    const m = newMember();
    const o = order(m);
    expect((await earn(o, 10)).status).toBe('applied');
    expect((await earn(o, 10)).status).toBe('duplicate');
    expect((await earn(o, 5, 0, { kind: 'install', id: 'inst-2' })).status).toBe('applied');
    expect((await balanceOf(m)).balance).toBe(15);
    expect(await f.ledger.earnForOrder('acme', { ...o, paidFen: 1 }, [])).toMatchObject({ status: 'rejected', reason: 'order_mismatch' });
  });
});

describe('events', () => {
  it('announces each change as points.changed in the outbox, with before, after and the cause', async () => {
    const m = newMember();
    const result = await grant(m, 25);
    const { rows } = await f.db.query<{ type: string; data: Record<string, unknown> }>(`SELECT type, data FROM events WHERE merchant_id = 'acme' AND id = $1`, [`points-${result.entryId}`]);
    expect(rows).toEqual([
      {
        type: 'points.changed',
        data: {
          memberId: m,
          account: 'points',
          before: 0,
          after: 25,
          delta: 25,
          debtAfter: 0,
          entryIds: [result.entryId],
          cause: { kind: 'grant', reason: 'test grant', source: { kind: 'operator', id: 'op-1' } },
        },
      },
    ]);
  });
});

describe('consistency', () => {
  it('keeps balance = Σ entries = Σ live lots − debt after every test above', async () => {
    await expectLedgerConsistent(f.db);
  });

  it('is a TkError family: errors carry a code and path', async () => {
    const error = await f.ledger.grant({ merchantId: 'acme', memberId: '', amount: 1, reason: 'r', source: OPERATOR, idempotencyKey: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TkError);
    expect(error).toMatchObject({ code: 'TK_VALIDATION', path: '/memberId' });
  });
});
