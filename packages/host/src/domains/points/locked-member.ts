import { randomUUID } from 'node:crypto';
import { TkError, type EventName } from '@tongkit/sdk';
import type { Queryable } from '../../platform/storage/database.js';
import type { AccountBalance, EntryKind, LedgerAccount, LedgerSource } from './types.js';

/** Where ledger changes announce themselves: the dispatcher's outbox, in the caller's transaction. */
export interface LedgerOutbox {
  publishIn(tx: Queryable, merchantId: string, event: { id?: string | undefined; type: EventName; data: Record<string, unknown> }, causationDepth?: number): Promise<unknown>;
}

/** Why entries are written: one cause, one `points.changed` event per account it changed. */
export interface Cause {
  kind: EntryKind;
  reason: string;
  source: LedgerSource;
  orderId?: string | undefined;
  holdId?: string | undefined;
}

interface PendingEntry {
  id: string;
  account: LedgerAccount;
  kind: EntryKind;
  delta: number;
  before: number;
  after: number;
  debtAfter: number;
  cause: Cause;
  lotId: string | null;
}

/** A lot's share of a debit. */
export interface LotTake {
  lotId: string;
  amount: number;
}

export const newId = (prefix: string): string => `${prefix}_${randomUUID().replaceAll('-', '')}`;

/** The host's own jobs, as the source of the entries they write (expiry, expired holds). */
export const EXPIRY_SOURCE: LedgerSource = { kind: 'host', id: 'expiry' };
export const HOLDS_SOURCE: LedgerSource = { kind: 'host', id: 'holds' };

/**
 * One member's accounts, locked for one mutation's transaction. Every change to a member's lots, holds
 * and balances happens through here, under the account row locks taken by {@link LockedMember.lock}: the
 * lock serialises them, so the lots and holds themselves need no row locks. Entries, balances and events
 * are written together by {@link flush}, at the end of the transaction's work.
 *
 * Each step keeps `balance = Σ entries = Σ live lots − debt`, and debt > 0 only while every lot is empty
 * (debt arises only when a reversal emptied them, and every credit repays debt before it fills a lot).
 */
export class LockedMember {
  private readonly pending: PendingEntry[] = [];
  private readonly touched = new Set<LedgerAccount>();

  private constructor(
    readonly tx: Queryable,
    readonly merchantId: string,
    readonly memberId: string,
    readonly now: Date,
    private readonly states: Map<LedgerAccount, AccountBalance>,
  ) {}

  /**
   * Locks the member's rows of `accounts` (created at zero when new), always in account order, the
   * documented lock order that keeps two transactions on one member from deadlocking.
   */
  static async lock(tx: Queryable, merchantId: string, memberId: string, accounts: readonly LedgerAccount[], now: Date): Promise<LockedMember> {
    const ordered = [...new Set(accounts)].sort();
    // An upsert that always updates: it creates the row or locks it, and returns it, in one round trip.
    // unnest keeps the array's order, so rows are locked in account order.
    const { rows } = await tx.query<{ account: LedgerAccount; balance: number; held: number; debt: number }>(
      `INSERT INTO points_accounts (merchant_id, member_id, account) SELECT $1, $2, a FROM unnest($3::text[]) AS a
       ON CONFLICT (merchant_id, member_id, account) DO UPDATE SET updated_at = points_accounts.updated_at
       RETURNING account, balance, held, debt`,
      [merchantId, memberId, ordered],
    );
    const states = new Map(rows.map((row) => [row.account, { balance: row.balance, held: row.held, debt: row.debt }]));
    return new LockedMember(tx, merchantId, memberId, now, states);
  }

  /** The account's state as this transaction has made it so far. */
  state(account: LedgerAccount): AccountBalance {
    const state = this.states.get(account);
    if (!state) throw new TkError('TK_INTERNAL', `the ${account} account of ${this.memberId} was not locked`);
    return state;
  }

  private record(account: LedgerAccount, kind: EntryKind, delta: number, cause: Cause, lotId: string | null, change: { held?: number; debt?: number } = {}): string {
    const state = this.state(account);
    const before = state.balance;
    state.balance += delta;
    state.held += change.held ?? 0;
    state.debt += change.debt ?? 0;
    if (state.held < 0 || state.debt < 0) throw new TkError('TK_INTERNAL', `the ${account} account of ${this.memberId} would hold ${state.held} and owe ${state.debt}`);
    const id = newId('pe');
    this.pending.push({ id, account, kind, delta, before, after: state.balance, debtAfter: state.debt, cause, lotId });
    this.touched.add(account);
    return id;
  }

  /**
   * Expires the account's lots due by now: one `expire` entry per lot, soonest first; the lot keeps its
   * row with nothing remaining. Run before a mutation (so it sees only live points) and by the schedule.
   */
  async expireDueLots(account: LedgerAccount): Promise<number> {
    const { rows } = await this.tx.query<{ id: string; remaining: number }>(
      `WITH due AS (
         SELECT id, remaining, expires_at FROM points_lots
         WHERE merchant_id = $1 AND member_id = $2 AND account = $3 AND remaining > 0 AND expires_at <= $4
       ), emptied AS (
         UPDATE points_lots l SET remaining = 0 FROM due WHERE l.merchant_id = $1 AND l.id = due.id
       )
       SELECT id, remaining FROM due ORDER BY expires_at, id`,
      [this.merchantId, this.memberId, account, this.now],
    );
    const cause: Cause = { kind: 'expire', reason: 'lot expired', source: EXPIRY_SOURCE };
    for (const lot of rows) this.record(account, 'expire', -lot.remaining, cause, lot.id);
    return rows.length;
  }

  /**
   * Credits `amount` as a new lot, repaying debt first: the lot gets what is left after the debt.
   * Returns the entry and the lot (null when the debt took all of it).
   */
  async grant(account: LedgerAccount, amount: number, cause: Cause, lot: { expiresAt: Date | null; orderId?: string | undefined }): Promise<{ entryId: string; lotId: string | null }> {
    const repaid = Math.min(amount, this.state(account).debt);
    const lotAmount = amount - repaid;
    const lotId = lotAmount > 0 ? newId('lot') : null;
    const entryId = this.record(account, 'grant', amount, cause, lotId, { debt: -repaid });
    if (lotId) {
      await this.tx.query(
        `INSERT INTO points_lots (merchant_id, id, member_id, account, granted, remaining, expires_at, order_id, entry_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9)`,
        [this.merchantId, lotId, this.memberId, account, lotAmount, lot.expiresAt, lot.orderId ?? null, entryId, this.now],
      );
    }
    return { entryId, lotId };
  }

  /**
   * Takes up to `amount` from the account's lots in spending order — `firstLotId` first when given, then
   * soonest-expiring (never-expiring last), oldest on a tie — in one statement. Returns what each lot gave.
   */
  private async takeFromLots(account: LedgerAccount, amount: number, firstLotId: string | null): Promise<LotTake[]> {
    const { rows } = await this.tx.query<{ id: string; amount: number }>(
      `WITH live AS (
         SELECT id, remaining,
                (sum(remaining) OVER (ORDER BY id = $5 DESC, expires_at ASC NULLS LAST, created_at, id))::bigint AS through
         FROM points_lots
         WHERE merchant_id = $1 AND member_id = $2 AND account = $3 AND remaining > 0
       ), take AS (
         SELECT id, LEAST(remaining, $4 - (through - remaining)) AS amount FROM live WHERE through - remaining < $4
       )
       UPDATE points_lots l SET remaining = l.remaining - take.amount FROM take
       WHERE l.merchant_id = $1 AND l.id = take.id
       RETURNING l.id, take.amount`,
      [this.merchantId, this.memberId, account, amount, firstLotId ?? ''],
    );
    return rows.map((row) => ({ lotId: row.id, amount: row.amount }));
  }

  /**
   * Spends `amount` of the balance (a deduction, or a freeze into a hold). The caller has checked that the
   * balance covers it and that there is no debt; lots then hold exactly the balance (due lots were expired
   * first), so they must give all of it.
   */
  async spend(account: LedgerAccount, amount: number, kind: 'deduct' | 'freeze', cause: Cause): Promise<{ entryId: string; takes: LotTake[] }> {
    const state = this.state(account);
    if (state.debt > 0 || amount > state.balance) throw new TkError('TK_INTERNAL', `spend of ${amount} on a balance of ${state.balance} with debt ${state.debt}`);
    const takes = await this.takeFromLots(account, amount, null);
    const taken = takes.reduce((sum, take) => sum + take.amount, 0);
    if (taken !== amount) throw new TkError('TK_INTERNAL', `the lots of ${this.memberId} gave ${taken} of ${amount} points although the balance covered it`);
    const entryId = this.record(account, kind, -amount, cause, takes.length === 1 ? takes[0]!.lotId : null, { held: kind === 'freeze' ? amount : 0 });
    return { entryId, takes };
  }

  /**
   * Reverses `amount`: from `firstLotId` (the order's own lot) first, then soonest-expiring; what the lots
   * cannot give becomes debt.
   */
  async reverse(account: LedgerAccount, amount: number, cause: Cause, firstLotId: string | null): Promise<string> {
    const takes = await this.takeFromLots(account, amount, firstLotId);
    const taken = takes.reduce((sum, take) => sum + take.amount, 0);
    return this.record(account, 'reverse', -amount, cause, firstLotId, { debt: amount - taken });
  }

  /** Closes a hold as confirmed: its points were taken at freeze; the entry records the outcome. */
  confirm(amount: number, cause: Cause): string {
    return this.record('points', 'confirm', 0, cause, null, { held: -amount });
  }

  /**
   * Releases a hold: its points go back to the lots they came from; a debt that arose meanwhile is
   * repaid from them first, and what went back into lots that expired meanwhile expires now.
   */
  async release(holdId: string, amount: number, cause: Cause): Promise<string> {
    await this.tx.query(
      `UPDATE points_lots l SET remaining = l.remaining + a.amount FROM points_hold_lots a
       WHERE a.merchant_id = $1 AND a.hold_id = $2 AND l.merchant_id = $1 AND l.id = a.lot_id`,
      [this.merchantId, holdId],
    );
    const entryId = this.record('points', 'release', amount, cause, null, { held: -amount });
    const owed = Math.min(this.state('points').debt, amount);
    if (owed > 0) {
      const takes = await this.takeFromLots('points', owed, null);
      const taken = takes.reduce((sum, take) => sum + take.amount, 0);
      if (taken !== owed) throw new TkError('TK_INTERNAL', `the released lots of ${this.memberId} gave ${taken} of ${owed} owed`);
      this.state('points').debt -= owed;
      this.pending[this.pending.length - 1]!.debtAfter = this.state('points').debt;
    }
    await this.expireDueLots('points');
    return entryId;
  }

  /**
   * Releases the member's holds that passed their expiry (lock order: the account is locked, then the
   * holds). Runs inside every points mutation of the member and on schedule, so every hold ends.
   */
  async releaseDueHolds(): Promise<number> {
    if (this.state('points').held === 0) return 0;
    const { rows } = await this.tx.query<{ id: string; amount: number }>(
      `UPDATE points_holds SET status = 'released', release_cause = 'expired', closed_at = $3
       WHERE merchant_id = $1 AND member_id = $2 AND status = 'held' AND expires_at <= $3
       RETURNING id, amount`,
      [this.merchantId, this.memberId, this.now],
    );
    for (const hold of rows.sort((a, b) => (a.id < b.id ? -1 : 1))) {
      await this.release(hold.id, hold.amount, { kind: 'release', reason: 'hold expired', source: HOLDS_SOURCE, holdId: hold.id });
    }
    return rows.length;
  }

  /**
   * Writes the pending entries and the accounts' new balances, and announces each cause's change of each
   * account as one `points.changed` event in the outbox: all in this transaction.
   */
  async flush(outbox: LedgerOutbox): Promise<void> {
    if (this.pending.length === 0) return;
    const column = <T>(pick: (entry: PendingEntry) => T): T[] => this.pending.map(pick);
    const accounts = [...this.touched];
    // Entries and the balances they explain, in one statement (one round trip).
    await this.tx.query(
      `WITH entries AS (
         INSERT INTO points_entries (merchant_id, member_id, created_at, id, account, kind, delta, balance_before, balance_after, debt_after,
                                     reason, source_kind, source_id, order_id, hold_id, lot_id)
         SELECT $1, $2, $3, * FROM unnest($4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[],
                                         $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[])
       )
       UPDATE points_accounts p SET balance = s.balance, held = s.held, debt = s.debt, updated_at = $3
       FROM unnest($17::text[], $18::bigint[], $19::bigint[], $20::bigint[]) AS s(account, balance, held, debt)
       WHERE p.merchant_id = $1 AND p.member_id = $2 AND p.account = s.account`,
      [
        this.merchantId,
        this.memberId,
        this.now,
        column((e) => e.id),
        column((e) => e.account),
        column((e) => e.kind),
        column((e) => e.delta),
        column((e) => e.before),
        column((e) => e.after),
        column((e) => e.debtAfter),
        column((e) => e.cause.reason),
        column((e) => e.cause.source.kind),
        column((e) => e.cause.source.id),
        column((e) => e.cause.orderId ?? null),
        column((e) => e.cause.holdId ?? null),
        column((e) => e.lotId),
        accounts,
        ...(['balance', 'held', 'debt'] as const).map((field) => accounts.map((account) => this.state(account)[field])),
      ],
    );
    for (const group of groupByCause(this.pending)) {
      const first = group[0]!;
      const last = group[group.length - 1]!;
      const { cause } = first;
      await outbox.publishIn(
        this.tx,
        this.merchantId,
        {
          id: `points-${first.id}`,
          type: 'points.changed',
          data: {
            memberId: this.memberId,
            account: first.account,
            before: first.before,
            after: last.after,
            delta: last.after - first.before,
            debtAfter: last.debtAfter,
            entryIds: group.map((entry) => entry.id),
            cause: {
              kind: cause.kind,
              reason: cause.reason,
              source: { kind: cause.source.kind, id: cause.source.id },
              ...(cause.orderId === undefined ? {} : { orderId: cause.orderId }),
              ...(cause.holdId === undefined ? {} : { holdId: cause.holdId }),
            },
          },
        },
        cause.source.causationDepth ?? 0,
      );
    }
    this.pending.length = 0;
    this.touched.clear();
  }
}

/** Consecutive entries of one cause and account. */
function groupByCause(entries: PendingEntry[]): PendingEntry[][] {
  const groups: PendingEntry[][] = [];
  for (const entry of entries) {
    const last = groups[groups.length - 1];
    if (last && last[0]!.cause === entry.cause && last[0]!.account === entry.account) last.push(entry);
    else groups.push([entry]);
  }
  return groups;
}
