import type { LedgerAccount } from './types.js';
import { LockedMember } from './locked-member.js';
import type { OrderLedgerDeps } from './order-points.js';

/** What one sweep did. */
export interface SweepResult {
  /** Members whose accounts were swept (each in its own transaction). */
  members: number;
  lotsExpired: number;
  holdsReleased: number;
}

/**
 * Expires every lot due by now and releases every hold past its expiry, one member per transaction (under
 * that member's account lock, like any other mutation), at most `limit` members per call. Run on a
 * schedule by any number of host processes: two sweeping one member serialise on its lock and the second
 * finds nothing left to do. Mutations also do this for their own member first, so a member who is never
 * swept is still exact the moment it is used.
 */
export async function sweepDue(deps: OrderLedgerDeps, options: { limit?: number; merchantId?: string } = {}): Promise<SweepResult> {
  const now = deps.clock();
  const limit = options.limit ?? 500;
  const { rows } = await deps.db.query<{ merchant_id: string; member_id: string; accounts: LedgerAccount[] }>(
    `SELECT merchant_id, member_id, array_agg(DISTINCT account ORDER BY account) AS accounts FROM (
       (SELECT merchant_id, member_id, account FROM points_lots
        WHERE remaining > 0 AND expires_at <= $1 AND ($3::text IS NULL OR merchant_id = $3) ORDER BY expires_at LIMIT $2)
       UNION ALL
       (SELECT merchant_id, member_id, account FROM points_holds
        WHERE status = 'held' AND expires_at <= $1 AND ($3::text IS NULL OR merchant_id = $3) ORDER BY expires_at LIMIT $2)
     ) due GROUP BY merchant_id, member_id LIMIT $2`,
    [now, limit, options.merchantId ?? null],
  );
  const result: SweepResult = { members: 0, lotsExpired: 0, holdsReleased: 0 };
  for (const due of rows) {
    const swept = await deps.db.transaction(async (tx) => {
      const member = await LockedMember.lock(tx, due.merchant_id, due.member_id, due.accounts, now);
      let lotsExpired = 0;
      for (const account of due.accounts) lotsExpired += await member.expireDueLots(account);
      const holdsReleased = due.accounts.includes('points') ? await member.releaseDueHolds() : 0;
      await member.flush(deps.outbox);
      return { lotsExpired, holdsReleased };
    });
    result.members += 1;
    result.lotsExpired += swept.lotsExpired;
    result.holdsReleased += swept.holdsReleased;
  }
  return result;
}
