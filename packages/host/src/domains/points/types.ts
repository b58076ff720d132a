/** The two accounts of a member: spendable points, and growth value (成长值), which is never spent. */
export type LedgerAccount = 'points' | 'growth';
export const LEDGER_ACCOUNTS = ['growth', 'points'] as const satisfies readonly LedgerAccount[];

/** What an entry records. */
export type EntryKind = 'grant' | 'deduct' | 'freeze' | 'confirm' | 'release' | 'expire' | 'reverse';

/**
 * Who asked for a change. Idempotency keys are scoped to it: an install's keys never meet an operator's.
 * `host` is the host itself (order earning and refund reversal, expiry, expired holds).
 */
export interface LedgerSource {
  kind: 'install' | 'operator' | 'host';
  /** The install id, the operator's subject id, or the host's job (`orders`, `expiry`). */
  id: string;
  /** Causation depth of the event this change will emit (`points.changed`): a plugin loop stops at a limit. */
  causationDepth?: number;
}

/**
 * Stable reason codes of a rejected mutation: a business outcome, not a malformed request (that is a
 * TK_* error).
 */
export const REJECTION_REASONS = {
  insufficient_balance: 'the member has fewer spendable points than asked for',
  debt_outstanding: 'the member owes points from a refund: redemption waits until new grants repay the debt',
  hold_expired: 'the hold passed its expiry and was released',
  hold_not_found: 'no hold with this id for this merchant',
  hold_closed: 'the hold was already confirmed or released',
  member_unknown: 'no member with this id for this merchant',
  refund_exceeds_paid: 'the refunds of the order would exceed what was paid',
  order_mismatch: 'the order is known with another member or paid amount',
} as const;
export type RejectionReason = keyof typeof REJECTION_REASONS;

/** The one result shape of every ledger mutation. */
export interface LedgerResult {
  /** `duplicate`: the idempotency key was used before with the same payload; the first outcome follows. */
  status: 'applied' | 'duplicate' | 'rejected';
  /** Set when rejected (also on a duplicate of a rejection). */
  reason?: RejectionReason;
  /** The first outcome when `status` is `duplicate`. */
  firstStatus?: 'applied' | 'rejected';
  memberId: string;
  account: LedgerAccount;
  /** The entry this mutation wrote (null when rejected). */
  entryId: string | null;
  /** Spendable balance before and after (equal when rejected). */
  balanceBefore: number;
  balanceAfter: number;
  heldAfter: number;
  debtAfter: number;
  /** freeze, confirm, release: the hold. */
  holdId?: string;
  holdExpiresAt?: string;
}

/** One account of a member, as read. */
export interface AccountBalance {
  balance: number;
  held: number;
  debt: number;
}

/** An open hold. */
export interface OpenHold {
  holdId: string;
  amount: number;
  expiresAt: string;
  reason: string;
  createdAt: string;
}

/** A member's ledger state: both accounts, open holds and the lots that expire next. */
export interface MemberPoints {
  memberId: string;
  points: AccountBalance;
  growth: AccountBalance;
  holds: OpenHold[];
  /** Live lots, soonest-expiring first (at most 20). */
  lots: Array<{ lotId: string; account: LedgerAccount; remaining: number; expiresAt: string | null; orderId: string | null }>;
}

/** One ledger entry, as read. */
export interface LedgerEntry {
  entryId: string;
  account: LedgerAccount;
  kind: EntryKind;
  delta: number;
  balanceBefore: number;
  balanceAfter: number;
  debtAfter: number;
  reason: string;
  source: { kind: LedgerSource['kind']; id: string };
  orderId: string | null;
  holdId: string | null;
  lotId: string | null;
  createdAt: string;
}
