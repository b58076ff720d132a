import type { Database, Queryable } from '../../platform/storage/database.js';
import { claimKey, requestHashOf } from './idempotency.js';
import { LockedMember, type Cause, type LedgerOutbox } from './locked-member.js';
import { cumulativeReversal } from './reversal.js';
import { LEDGER_ACCOUNTS, type LedgerAccount, type LedgerResult, type LedgerSource, type RejectionReason } from './types.js';
import { requireAmount, requireExpiry, requireLater, requireMemberId, requireReason, requireText } from './validate.js';

/** An order as the ledger needs it: whose, and what was paid (integer fen). */
export interface OrderRef {
  orderId: string;
  memberId: string;
  paidFen: number;
}

/** One source's contribution to an order's points (an install's answer to `member.points.earn`, or the platform default). */
export interface OrderGrant {
  source: LedgerSource;
  points: number;
  growth: number;
  /** Expiry of the points lot (null: never). Growth value does not expire. */
  pointsExpiresAt?: Date | string | null;
  reason: string;
}

/** The result of earning or reversing an order's points: one {@link LedgerResult} per account entry. */
export interface OrderLedgerResult {
  status: 'applied' | 'duplicate' | 'rejected';
  reason?: RejectionReason;
  firstStatus?: 'applied' | 'rejected';
  orderId: string;
  refundedToDateFen: number;
  results: LedgerResult[];
}

/** What the order functions need of the ledger. */
export interface OrderLedgerDeps {
  db: Database;
  outbox: LedgerOutbox;
  clock: () => Date;
}

interface OrderRow {
  member_id: string;
  paid_fen: number;
  refunded_fen: number;
}

interface GrantRow {
  source_kind: LedgerSource['kind'];
  source_id: string;
  account: LedgerAccount;
  granted: number;
  reversed: number;
  lot_id: string | null;
}

/** The host's own scope for refund keys: refunds are the orders service's, not an install's. */
const ORDERS_SOURCE: LedgerSource = { kind: 'host', id: 'orders' };

function requireOrder(order: OrderRef): OrderRef {
  return {
    orderId: requireText(order.orderId, '/order/orderId', 128),
    memberId: requireMemberId(order.memberId, '/order/memberId'),
    paidFen: requireAmount(order.paidFen, '/order/paidFen'),
  };
}

/**
 * Locks the order's row (lock order 2), creating it when this is the first the ledger hears of it; the
 * upsert always updates, so it locks in one round trip. A row known with another member or amount is
 * `order_mismatch`.
 */
async function lockOrder(tx: Queryable, merchantId: string, order: OrderRef): Promise<OrderRow | 'order_mismatch'> {
  const { rows } = await tx.query<OrderRow>(
    `INSERT INTO points_orders (merchant_id, order_id, member_id, paid_fen) VALUES ($1, $2, $3, $4)
     ON CONFLICT (merchant_id, order_id) DO UPDATE SET order_id = points_orders.order_id
     RETURNING member_id, paid_fen, refunded_fen`,
    [merchantId, order.orderId, order.memberId, order.paidFen],
  );
  const row = rows[0]!;
  return row.member_id === order.memberId && row.paid_fen === order.paidFen ? row : 'order_mismatch';
}

function entryResult(member: LockedMember, account: LedgerAccount, entryId: string, before: number): LedgerResult {
  const state = member.state(account);
  return { status: 'applied', memberId: member.memberId, account, entryId, balanceBefore: before, balanceAfter: state.balance, heldAfter: state.held, debtAfter: state.debt };
}

/**
 * Grants an order's points and growth value, one entry per (source, account), each in a lot tied to the
 * order. Idempotent by (order, source, account): a redelivered `order.paid` grants nothing twice. It
 * earns on the net unrefunded amount: when refunds came first (another worker took the refund), each new
 * grant is reversed at once by `floor(granted × refunded / paid)`, from its own lot.
 */
export async function earnOrderPoints(deps: OrderLedgerDeps, merchantId: string, orderRef: OrderRef, grants: OrderGrant[]): Promise<OrderLedgerResult> {
  const now = deps.clock();
  const order = requireOrder(orderRef);
  const checked = grants.map((grant, index) => ({
    source: grant.source,
    points: requireAmount(grant.points, `/grants/${index}/points`, { allowZero: true }),
    growth: requireAmount(grant.growth, `/grants/${index}/growth`, { allowZero: true }),
    pointsExpiresAt: requireExpiry(grant.pointsExpiresAt, `/grants/${index}/pointsExpiresAt`),
    index,
    reason: requireReason(grant.reason, `/grants/${index}/reason`),
  }));
  return deps.db.transaction(async (tx) => {
    const row = await lockOrder(tx, merchantId, order);
    if (row === 'order_mismatch') return { status: 'rejected', reason: row, orderId: order.orderId, refundedToDateFen: 0, results: [] };
    const { rows: existing } = await tx.query<GrantRow>(
      'SELECT source_kind, source_id, account FROM points_order_grants WHERE merchant_id = $1 AND order_id = $2',
      [merchantId, order.orderId],
    );
    const known = new Set(existing.map((grant) => `${grant.source_kind}:${grant.source_id}:${grant.account}`));
    const member = await LockedMember.lock(tx, merchantId, order.memberId, LEDGER_ACCOUNTS, now);
    for (const account of LEDGER_ACCOUNTS) await member.expireDueLots(account);
    await member.releaseDueHolds();
    const results: LedgerResult[] = [];
    const written: GrantRow[] = [];
    for (const grant of checked) {
      for (const account of LEDGER_ACCOUNTS) {
        const amount = account === 'points' ? grant.points : grant.growth;
        if (amount === 0 || known.has(`${grant.source.kind}:${grant.source.id}:${account}`)) continue;
        known.add(`${grant.source.kind}:${grant.source.id}:${account}`);
        requireLater(grant.pointsExpiresAt, `/grants/${grant.index}/pointsExpiresAt`, now);
        const cause: Cause = { kind: 'grant', reason: grant.reason, source: grant.source, orderId: order.orderId };
        const before = member.state(account).balance;
        const { entryId, lotId } = await member.grant(account, amount, cause, { expiresAt: account === 'points' ? grant.pointsExpiresAt : null, orderId: order.orderId });
        results.push(entryResult(member, account, entryId, before));
        const reversed = cumulativeReversal({ granted: amount, paidFen: row.paid_fen, refundedToDateFen: row.refunded_fen, reversedSoFar: 0 });
        if (reversed > 0) {
          const reverseBefore = member.state(account).balance;
          const reverseId = await member.reverse(account, reversed, { kind: 'reverse', reason: 'refunded before the points were earned', source: grant.source, orderId: order.orderId }, lotId);
          results.push(entryResult(member, account, reverseId, reverseBefore));
        }
        written.push({ source_kind: grant.source.kind, source_id: grant.source.id, account, granted: amount, reversed, lot_id: lotId });
      }
    }
    if (written.length > 0) {
      const column = <K extends keyof GrantRow>(key: K) => written.map((grant) => grant[key]);
      await tx.query(
        `INSERT INTO points_order_grants (merchant_id, order_id, source_kind, source_id, account, granted, reversed, lot_id)
         SELECT $1, $2, * FROM unnest($3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::text[])`,
        [merchantId, order.orderId, column('source_kind'), column('source_id'), column('account'), column('granted'), column('reversed'), column('lot_id')],
      );
    }
    await member.flush(deps.outbox);
    return { status: results.length > 0 ? 'applied' : 'duplicate', orderId: order.orderId, refundedToDateFen: row.refunded_fen, results };
  });
}

/** A refund of part (or the rest) of an order. */
export interface OrderRefund {
  /** Unique per order: the same refund again changes nothing. */
  refundId: string;
  refundFen: number;
}

/**
 * Records a refund and reverses, for every grant of the order, `floor(granted × refundedToDate / paid) −
 * reversedSoFar`: from the order's own lot first, then soonest-expiring lots, the rest as debt. Idempotent
 * by (order, refund id). A refund that arrives before the order's earn is recorded, and the earn reverses
 * it when it runs.
 */
export async function reverseOrderPoints(deps: OrderLedgerDeps, merchantId: string, orderRef: OrderRef, refund: OrderRefund): Promise<OrderLedgerResult> {
  const now = deps.clock();
  const order = requireOrder(orderRef);
  const refundId = requireText(refund.refundId, '/refundId', 128);
  const refundFen = requireAmount(refund.refundFen, '/refundFen');
  return deps.db.transaction(async (tx) => {
    const claim = await claimKey(tx, merchantId, ORDERS_SOURCE, `refund:${order.orderId}:${refundId}`, requestHashOf('refund', { ...order, refundFen }));
    if ('duplicate' in claim) return claim.duplicate as unknown as OrderLedgerResult;
    const settle = (result: OrderLedgerResult) => claim.claimed.settle(result as unknown as LedgerResult) as unknown as Promise<OrderLedgerResult>;
    const row = await lockOrder(tx, merchantId, order);
    if (row === 'order_mismatch') return settle({ status: 'rejected', reason: row, orderId: order.orderId, refundedToDateFen: 0, results: [] });
    const refundedToDateFen = row.refunded_fen + refundFen;
    if (refundedToDateFen > row.paid_fen) return settle({ status: 'rejected', reason: 'refund_exceeds_paid', orderId: order.orderId, refundedToDateFen: row.refunded_fen, results: [] });
    await tx.query('UPDATE points_orders SET refunded_fen = $3 WHERE merchant_id = $1 AND order_id = $2', [merchantId, order.orderId, refundedToDateFen]);
    const { rows: grants } = await tx.query<GrantRow>(
      `SELECT source_kind, source_id, account, granted, reversed, lot_id FROM points_order_grants
       WHERE merchant_id = $1 AND order_id = $2 ORDER BY source_kind, source_id, account`,
      [merchantId, order.orderId],
    );
    const results: LedgerResult[] = [];
    if (grants.length > 0) {
      const member = await LockedMember.lock(tx, merchantId, order.memberId, LEDGER_ACCOUNTS, now);
      for (const account of LEDGER_ACCOUNTS) await member.expireDueLots(account);
      await member.releaseDueHolds();
      for (const grant of grants) {
        const amount = cumulativeReversal({ granted: grant.granted, paidFen: row.paid_fen, refundedToDateFen, reversedSoFar: grant.reversed });
        if (amount === 0) continue;
        const before = member.state(grant.account).balance;
        const source: LedgerSource = { kind: grant.source_kind, id: grant.source_id, causationDepth: 0 };
        const entryId = await member.reverse(grant.account, amount, { kind: 'reverse', reason: `refund ${refundId}`, source, orderId: order.orderId }, grant.lot_id);
        results.push(entryResult(member, grant.account, entryId, before));
        grant.reversed += amount;
      }
      await tx.query(
        `UPDATE points_order_grants g SET reversed = r.reversed
         FROM unnest($3::text[], $4::text[], $5::text[], $6::bigint[]) AS r(source_kind, source_id, account, reversed)
         WHERE g.merchant_id = $1 AND g.order_id = $2 AND g.source_kind = r.source_kind AND g.source_id = r.source_id AND g.account = r.account`,
        [merchantId, order.orderId, grants.map((g) => g.source_kind), grants.map((g) => g.source_id), grants.map((g) => g.account), grants.map((g) => g.reversed)],
      );
      await member.flush(deps.outbox);
    }
    return settle({ status: 'applied', orderId: order.orderId, refundedToDateFen, results });
  });
}
