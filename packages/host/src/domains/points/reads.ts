import { TkError } from '@tongkit/sdk';
import type { Queryable } from '../../platform/storage/database.js';
import type { LedgerAccount, LedgerEntry, MemberPoints } from './types.js';

/** A member's accounts, open holds and next-expiring lots, as committed. Zero for a member never credited. */
export async function readMemberPoints(db: Queryable, merchantId: string, memberId: string): Promise<MemberPoints> {
  const [accounts, holds, lots] = await Promise.all([
    db.query<{ account: LedgerAccount; balance: number; held: number; debt: number }>(
      'SELECT account, balance, held, debt FROM points_accounts WHERE merchant_id = $1 AND member_id = $2',
      [merchantId, memberId],
    ),
    db.query<{ id: string; amount: number; expires_at: Date; reason: string; created_at: Date }>(
      `SELECT id, amount, expires_at, reason, created_at FROM points_holds
       WHERE merchant_id = $1 AND member_id = $2 AND status = 'held' ORDER BY expires_at, id`,
      [merchantId, memberId],
    ),
    db.query<{ id: string; account: LedgerAccount; remaining: number; expires_at: Date | null; order_id: string | null }>(
      `SELECT id, account, remaining, expires_at, order_id FROM points_lots
       WHERE merchant_id = $1 AND member_id = $2 AND remaining > 0 ORDER BY expires_at ASC NULLS LAST, created_at, id LIMIT 20`,
      [merchantId, memberId],
    ),
  ]);
  const accountOf = (name: LedgerAccount) => {
    const row = accounts.rows.find((r) => r.account === name);
    return { balance: row?.balance ?? 0, held: row?.held ?? 0, debt: row?.debt ?? 0 };
  };
  return {
    memberId,
    points: accountOf('points'),
    growth: accountOf('growth'),
    holds: holds.rows.map((h) => ({ holdId: h.id, amount: h.amount, expiresAt: h.expires_at.toISOString(), reason: h.reason, createdAt: h.created_at.toISOString() })),
    lots: lots.rows.map((l) => ({ lotId: l.id, account: l.account, remaining: l.remaining, expiresAt: l.expires_at?.toISOString() ?? null, orderId: l.order_id })),
  };
}

/** A page of a member's ledger. `next` is the cursor of the following page, null on the last. */
export interface LedgerPage {
  items: LedgerEntry[];
  next: string | null;
}

const CURSOR = /^[0-9]{1,18}$/;

/** A member's entries, oldest first, `limit` (1–200, default 50) after the cursor `after`. */
export async function readLedger(
  db: Queryable,
  merchantId: string,
  memberId: string,
  query: { after?: string | undefined; limit?: number | undefined; account?: LedgerAccount | undefined; orderId?: string | undefined } = {},
): Promise<LedgerPage> {
  const limit = query.limit ?? 50;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 200) throw new TkError('TK_VALIDATION', 'limit is 1–200', { path: '/querystring/limit' });
  if (query.after !== undefined && !CURSOR.test(query.after)) throw new TkError('TK_VALIDATION', 'after is a cursor from an earlier page', { path: '/querystring/after' });
  const { rows } = await db.query<{
    seq: number;
    id: string;
    account: LedgerAccount;
    kind: LedgerEntry['kind'];
    delta: number;
    balance_before: number;
    balance_after: number;
    debt_after: number;
    reason: string;
    source_kind: LedgerEntry['source']['kind'];
    source_id: string;
    order_id: string | null;
    hold_id: string | null;
    lot_id: string | null;
    created_at: Date;
  }>(
    `SELECT * FROM points_entries WHERE merchant_id = $1 AND member_id = $2 AND seq > $3 AND ($4::text IS NULL OR account = $4)
       AND ($6::text IS NULL OR order_id = $6)
     ORDER BY seq LIMIT $5`,
    [merchantId, memberId, query.after ?? '0', query.account ?? null, limit + 1, query.orderId ?? null],
  );
  const page = rows.slice(0, limit);
  return {
    items: page.map((r) => ({
      entryId: r.id,
      account: r.account,
      kind: r.kind,
      delta: r.delta,
      balanceBefore: r.balance_before,
      balanceAfter: r.balance_after,
      debtAfter: r.debt_after,
      reason: r.reason,
      source: { kind: r.source_kind, id: r.source_id },
      orderId: r.order_id,
      holdId: r.hold_id,
      lotId: r.lot_id,
      createdAt: r.created_at.toISOString(),
    })),
    next: rows.length > limit ? String(page[page.length - 1]!.seq) : null,
  };
}
