import { TkError } from '@tongkit/sdk';
import type { Database, Queryable } from '../../platform/storage/database.js';
import { claimKey, requestHashOf } from './idempotency.js';
import { LockedMember, newId, type Cause, type LedgerOutbox } from './locked-member.js';
import { earnOrderPoints, reverseOrderPoints, type OrderGrant, type OrderLedgerResult, type OrderRef, type OrderRefund } from './order-points.js';
import { readLedger, readMemberPoints, type LedgerPage } from './reads.js';
import { sweepDue, type SweepResult } from './sweeps.js';
import type { LedgerAccount, LedgerResult, LedgerSource, MemberPoints, RejectionReason } from './types.js';
import { requireAmount, requireExpiry, requireLater, requireHoldTtl, requireIdempotencyKey, requireMemberId, requireReason, requireText } from './validate.js';

/**
 * Whether a member exists, asked of the members service inside the ledger's transaction. The ledger keeps
 * no member table of its own: members are the merchant's opaque ids.
 */
export type MemberDirectory = (tx: Queryable, merchantId: string, memberId: string) => Promise<boolean>;

/** Tunables of the ledger. */
export interface PointsLedgerOptions {
  /** The time entries, lots and holds are stamped with, and expiry is judged by. Default: this host's clock. */
  clock?: () => Date;
  /** Refuses unknown members (`member_unknown`). Default: every member id is known. */
  members?: MemberDirectory;
}

/** What every mutation of one member takes. */
export interface MemberMutation {
  merchantId: string;
  memberId: string;
  source: LedgerSource;
  /** Scoped to (merchant, source, key): the same key again returns the first outcome as a duplicate. */
  idempotencyKey: string;
  /** Why, in the merchant's words (shown in the ledger). */
  reason: string;
}

/** A grant: a new lot of `amount` on `account` (default points), expiring at `expiresAt` (null: never). */
export interface GrantRequest extends MemberMutation {
  account?: LedgerAccount;
  amount: number;
  expiresAt?: Date | string | null;
}

/** A deduction (an operator's negative adjustment): spends `amount` at once, soonest-expiring lots first. */
export interface DeductRequest extends MemberMutation {
  account?: LedgerAccount;
  amount: number;
}

/** A freeze: puts `amount` points on hold for `ttlMs` (default 15 minutes) until confirmed or released. */
export interface FreezeRequest extends MemberMutation {
  amount: number;
  ttlMs?: number;
}

/** Confirms or releases a hold. */
export interface HoldRequest {
  merchantId: string;
  holdId: string;
  source: LedgerSource;
  idempotencyKey: string;
  reason?: string;
}

/** Who may do something to a hold: the install that froze it, or an operator of its merchant. */
const mayCloseHold = (hold: { source_kind: string; source_id: string }, source: LedgerSource): boolean =>
  source.kind !== 'install' || (hold.source_kind === 'install' && hold.source_id === source.id);

interface HoldRow {
  id: string;
  member_id: string;
  amount: number;
  status: 'held' | 'confirmed' | 'released';
  release_cause: 'requested' | 'expired' | null;
  expires_at: Date;
  source_kind: string;
  source_id: string;
}

/**
 * The 会员通 points and growth ledger: grants into lots with an expiry, deductions and two-phase holds
 * that spend soonest-expiring lots first, cumulative refund reversal with debt, and expiry — exact under
 * any number of concurrent host processes (docs/points-ledger.md).
 *
 * Every mutation runs in its own short transaction that locks in the documented order (idempotency key,
 * order, account rows by account name, hold), writes its entries and the account's balance together, and
 * puts its `points.changed` events in the outbox in the same transaction. Every mutation returns one
 * {@link LedgerResult}: `applied`, `duplicate` (the key was used before with the same payload) or
 * `rejected` with a stable reason; the same key with another payload is TK_CONFLICT.
 *
 * @example
 * const ledger = new PointsLedger(db, dispatcher);
 * const source = { kind: 'operator', id: 'acme' } as const;
 * await ledger.grant({ merchantId: 'acme', memberId: 'm_1', amount: 500, reason: 'welcome', source, idempotencyKey: 'welcome-m_1' });
 * const hold = await ledger.freeze({ merchantId: 'acme', memberId: 'm_1', amount: 200, reason: 'voucher', source, idempotencyKey: 'redeem-7' });
 * await ledger.confirm({ merchantId: 'acme', holdId: hold.holdId!, source, idempotencyKey: 'redeem-7-confirm' });
 */
export class PointsLedger {
  readonly clock: () => Date;
  private readonly members: MemberDirectory;

  constructor(
    readonly db: Database,
    private readonly outbox: LedgerOutbox,
    options: PointsLedgerOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.members = options.members ?? (async () => true);
  }

  /** Grants `amount` into a new lot; a debt is repaid from it first. */
  async grant(request: GrantRequest): Promise<LedgerResult> {
    const now = this.clock();
    const account = requireAccount(request.account);
    const amount = requireAmount(request.amount, '/amount');
    const expiresAt = requireExpiry(request.expiresAt, '/expiresAt');
    return this.mutateMember(request, now, account, 'grant', { account, amount, expiresAt: expiresAt?.toISOString() ?? null }, async (member, cause) => {
      requireLater(expiresAt, '/expiresAt', now);
      const { entryId } = await member.grant(account, amount, cause, { expiresAt });
      return { entryId };
    });
  }

  /** Spends `amount` at once; refused with `insufficient_balance`, or `debt_outstanding` while there is debt. */
  async deduct(request: DeductRequest): Promise<LedgerResult> {
    const now = this.clock();
    const account = requireAccount(request.account);
    const amount = requireAmount(request.amount, '/amount');
    return this.mutateMember(request, now, account, 'deduct', { account, amount }, async (member, cause) => {
      const refusal = spendRefusal(member, account, amount);
      if (refusal) return { rejected: refusal };
      const { entryId } = await member.spend(account, amount, 'deduct', cause);
      return { entryId };
    });
  }

  /** Takes `amount` points out of the balance into a hold that ends confirmed or released (by its expiry at the latest). */
  async freeze(request: FreezeRequest): Promise<LedgerResult> {
    const now = this.clock();
    const amount = requireAmount(request.amount, '/amount');
    const ttlMs = requireHoldTtl(request.ttlMs);
    return this.mutateMember(request, now, 'points', 'freeze', { amount, ttlMs }, async (member, cause) => {
      const refusal = spendRefusal(member, 'points', amount);
      if (refusal) return { rejected: refusal };
      const holdId = newId('hold');
      const expiresAt = new Date(now.getTime() + ttlMs);
      await member.tx.query(
        `INSERT INTO points_holds (merchant_id, id, member_id, amount, expires_at, reason, source_kind, source_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [member.merchantId, holdId, member.memberId, amount, expiresAt, cause.reason, cause.source.kind, cause.source.id, now],
      );
      const { entryId, takes } = await member.spend('points', amount, 'freeze', { ...cause, holdId });
      await member.tx.query(
        `INSERT INTO points_hold_lots (merchant_id, hold_id, lot_id, amount) SELECT $1, $2, * FROM unnest($3::text[], $4::bigint[])`,
        [member.merchantId, holdId, takes.map((take) => take.lotId), takes.map((take) => take.amount)],
      );
      return { entryId, holdId, holdExpiresAt: expiresAt.toISOString() };
    });
  }

  /** Confirms a hold: its points are spent. Refused with `hold_expired` past its expiry (it was released). */
  confirm(request: HoldRequest): Promise<LedgerResult> {
    return this.closeHold(request, 'confirm');
  }

  /** Releases a hold: its points return to the lots they came from. */
  release(request: HoldRequest): Promise<LedgerResult> {
    return this.closeHold(request, 'release');
  }

  /** Grants an order's points and growth, one entry per (source, account); see {@link earnOrderPoints}. */
  earnForOrder(merchantId: string, order: OrderRef, grants: OrderGrant[]): Promise<OrderLedgerResult> {
    return earnOrderPoints(this.deps(), merchantId, order, grants);
  }

  /** Records a refund and reverses the order's grants cumulatively; see {@link reverseOrderPoints}. */
  refundOrder(merchantId: string, order: OrderRef, refund: OrderRefund): Promise<OrderLedgerResult> {
    return reverseOrderPoints(this.deps(), merchantId, order, refund);
  }

  /** Expires due lots and releases expired holds, one member per transaction (the schedule's job). */
  sweepDue(options: { limit?: number; merchantId?: string } = {}): Promise<SweepResult> {
    return sweepDue(this.deps(), options);
  }

  /** A member's balances, open holds and next-expiring lots. */
  memberPoints(merchantId: string, memberId: string): Promise<MemberPoints> {
    return readMemberPoints(this.db, merchantId, requireMemberId(memberId, '/params/id'));
  }

  /** A page of a member's entries, oldest first. */
  ledger(merchantId: string, memberId: string, query: { after?: string | undefined; limit?: number | undefined; account?: LedgerAccount | undefined; orderId?: string | undefined } = {}): Promise<LedgerPage> {
    return readLedger(this.db, merchantId, requireMemberId(memberId, '/params/id'), query);
  }

  private deps() {
    return { db: this.db, outbox: this.outbox, clock: this.clock };
  }

  private async closeHold(request: HoldRequest, outcome: 'confirm' | 'release'): Promise<LedgerResult> {
    const now = this.clock();
    const holdId = requireText(request.holdId, '/holdId', 64);
    const key = requireIdempotencyKey(request.idempotencyKey);
    const reason = request.reason === undefined ? `hold ${outcome === 'confirm' ? 'confirmed' : 'released'}` : requireReason(request.reason);
    return this.db.transaction(async (tx) => {
      const claim = await claimKey(tx, request.merchantId, request.source, key, requestHashOf(outcome, { holdId }));
      if ('duplicate' in claim) return claim.duplicate;
      // The hold's member, to lock its account before the hold (lock order: account, then hold).
      const { rows: found } = await tx.query<{ member_id: string; source_kind: string; source_id: string }>(
        'SELECT member_id, source_kind, source_id FROM points_holds WHERE merchant_id = $1 AND id = $2',
        [request.merchantId, holdId],
      );
      const owner = found[0];
      if (!owner || !mayCloseHold(owner, request.source)) {
        return claim.claimed.settle({ status: 'rejected', reason: 'hold_not_found', memberId: owner?.member_id ?? '', account: 'points', entryId: null, balanceBefore: 0, balanceAfter: 0, heldAfter: 0, debtAfter: 0, holdId });
      }
      const member = await LockedMember.lock(tx, request.merchantId, owner.member_id, ['points'], now);
      await member.expireDueLots('points');
      await member.releaseDueHolds();
      const { rows } = await tx.query<HoldRow>('SELECT * FROM points_holds WHERE merchant_id = $1 AND id = $2 FOR UPDATE', [request.merchantId, holdId]);
      const hold = rows[0]!;
      const before = member.state('points').balance;
      let rejected: RejectionReason | undefined;
      let entryId: string | null = null;
      if (hold.status === 'released' && hold.release_cause === 'expired') rejected = 'hold_expired';
      else if (hold.status !== 'held') rejected = 'hold_closed';
      else {
        const cause: Cause = { kind: outcome, reason, source: request.source, holdId };
        await tx.query(
          `UPDATE points_holds SET status = $3, release_cause = $4, closed_at = $5 WHERE merchant_id = $1 AND id = $2`,
          [request.merchantId, holdId, outcome === 'confirm' ? 'confirmed' : 'released', outcome === 'confirm' ? null : 'requested', now],
        );
        entryId = outcome === 'confirm' ? member.confirm(hold.amount, cause) : await member.release(holdId, hold.amount, cause);
      }
      // The expired holds released above are written even when this request is refused.
      await member.flush(this.outbox);
      const state = member.state('points');
      return claim.claimed.settle({
        status: rejected ? 'rejected' : 'applied',
        ...(rejected ? { reason: rejected } : {}),
        memberId: owner.member_id,
        account: 'points',
        entryId,
        balanceBefore: rejected ? state.balance : before,
        balanceAfter: state.balance,
        heldAfter: state.held,
        debtAfter: state.debt,
        holdId,
        holdExpiresAt: hold.expires_at.toISOString(),
      });
    });
  }

  /**
   * The frame of a one-member mutation: validates the common fields, claims the idempotency key, checks
   * the member, locks the account, expires what is due, runs `work`, writes everything, keeps the outcome.
   */
  private async mutateMember(
    request: MemberMutation,
    now: Date,
    account: LedgerAccount,
    operation: string,
    payload: Record<string, unknown>,
    work: (member: LockedMember, cause: Cause) => Promise<{ entryId: string; holdId?: string; holdExpiresAt?: string } | { rejected: RejectionReason }>,
  ): Promise<LedgerResult> {
    const memberId = requireMemberId(request.memberId);
    const key = requireIdempotencyKey(request.idempotencyKey);
    const reason = requireReason(request.reason);
    return this.db.transaction(async (tx) => {
      const claim = await claimKey(tx, request.merchantId, request.source, key, requestHashOf(operation, { ...payload, memberId, reason }));
      if ('duplicate' in claim) return claim.duplicate;
      if (!(await this.members(tx, request.merchantId, memberId))) {
        return claim.claimed.settle({ status: 'rejected', reason: 'member_unknown', memberId, account, entryId: null, balanceBefore: 0, balanceAfter: 0, heldAfter: 0, debtAfter: 0 });
      }
      const member = await LockedMember.lock(tx, request.merchantId, memberId, [account], now);
      await member.expireDueLots(account);
      if (account === 'points') await member.releaseDueHolds();
      const before = member.state(account).balance;
      const outcome = await work(member, { kind: operation as Cause['kind'], reason, source: request.source });
      await member.flush(this.outbox);
      const state = member.state(account);
      if ('rejected' in outcome) {
        return claim.claimed.settle({ status: 'rejected', reason: outcome.rejected, memberId, account, entryId: null, balanceBefore: state.balance, balanceAfter: state.balance, heldAfter: state.held, debtAfter: state.debt });
      }
      return claim.claimed.settle({ status: 'applied', memberId, account, balanceBefore: before, balanceAfter: state.balance, heldAfter: state.held, debtAfter: state.debt, ...outcome });
    });
  }
}

function requireAccount(account: unknown): LedgerAccount {
  if (account === undefined || account === 'points' || account === 'growth') return account ?? 'points';
  throw new TkError('TK_VALIDATION', 'account is "points" or "growth"', { path: '/account' });
}

/** Why a spend of `amount` is refused now, if it is: debt blocks redemption; the balance must cover it. */
function spendRefusal(member: LockedMember, account: LedgerAccount, amount: number): RejectionReason | undefined {
  const state = member.state(account);
  if (state.debt > 0) return 'debt_outstanding';
  if (amount > state.balance) return 'insufficient_balance';
  return undefined;
}
