import { randomUUID } from 'node:crypto';
import { TkError } from '@tongkit/sdk';
import type { HostPlatform } from '../../platform/modules/host-module.js';
import type { Database, Queryable } from '../../platform/storage/database.js';
import { emitDomainEvent } from '../domain-events.js';
import { requestHash } from '../request-hash.js';
import { bonusFor, drawFromLot, refundOfTake } from './lot-math.js';
import { StoredValueStore } from './stored-value-store.js';
import type { StoredValueAccount, StoredValueRejection, StoredValueResult, TopUp, TopUpCallbackBody, TopUpRule } from './types.js';

/** −fen without JSON's −0 (stored results are compared with replays). */
const neg = (fen: number) => (fen === 0 ? 0 : -fen);
const newId = (prefix: string) => `${prefix}_${randomUUID().replaceAll('-', '')}`;
const MAX_FEN = 100_000_000_000;
const KEY_HINT = 'Use one idempotency key per change (e.g. the till’s receipt number and what it pays), never the same key for two payloads.';

/** Who asks, scoping the idempotency keys: an operator or store principal of the merchant. */
export interface StoredValueCaller {
  merchantId: string;
  /** `operator:<subject>`, `store:<id>`: one caller's keys never meet another's. */
  scope: string;
  idempotencyKey: string;
}

export interface SpendRequest extends StoredValueCaller {
  memberId: string;
  amountFen: number;
  storeId?: string | undefined;
  orderId?: string | undefined;
}

type Publish = HostPlatform['publishIn'];
type MemberExists = NonNullable<HostPlatform['memberExists']>;

function requireFen(value: number, path: string, min = 1): number {
  if (!Number.isSafeInteger(value) || value < min || value > MAX_FEN) throw new TkError('TK_VALIDATION', `${path.slice(1)} must be an integer number of fen from ${min} to ${MAX_FEN}`, { path });
  return value;
}

/**
 * 会员宝 stored value: top-ups paid through the signed payment callback become lots of principal +
 * bonus; spends draw lots oldest first at each lot's ratio; a spend refund returns to the lots it came
 * from; a top-up refund returns its lot's remaining principal and forfeits its remaining bonus
 * (docs/checkout.md, "Stored value").
 *
 * Each mutation is one short transaction locking in the host's order: (1) its idempotency key,
 * (2) the member's account row, (3) the member's lots by seq (one `SELECT … ORDER BY seq FOR UPDATE`),
 * (4) the top-up or spend row, (5) the outbox row of its event. Two tills spending one member at once
 * queue on (2), so the second sees the first's balance: a balance never goes below zero (and CHECKs
 * say so again in the schema).
 *
 * @example
 * const sv = new StoredValue(db, platform.publishIn);
 * const topUp = await sv.createTopUp({ merchantId: 'acme', scope: 'operator:op', idempotencyKey: 'tu-1', memberId: 'm_1', principalFen: 100_000 });
 * // … the provider's signed callback pays it (POST /v1/stored-value/callback) …
 * await sv.spend({ merchantId: 'acme', scope: 'store:s1', idempotencyKey: 'receipt-9', memberId: 'm_1', amountFen: 5_500 });
 */
export class StoredValue {
  constructor(
    readonly db: Database,
    private readonly publishIn: Publish,
    private readonly memberExists?: MemberExists,
    readonly clock: () => Date = () => new Date(),
  ) {}

  /** The merchant's top-up rules. */
  rules(merchantId: string): Promise<TopUpRule[]> {
    return new StoredValueStore(this.db).rules(merchantId);
  }

  /** Replaces the merchant's top-up rules (minimums must differ: two rules for one minimum are ambiguous). */
  async setRules(merchantId: string, rules: TopUpRule[]): Promise<TopUpRule[]> {
    const seen = new Set<number>();
    rules.forEach((rule, i) => {
      requireFen(rule.minPrincipalFen, `/rules/${i}/minPrincipalFen`);
      requireFen(rule.bonusFen, `/rules/${i}/bonusFen`, 0);
      if (seen.has(rule.minPrincipalFen)) throw new TkError('TK_VALIDATION', `two rules for a top-up of ${rule.minPrincipalFen} fen`, { path: `/rules/${i}/minPrincipalFen` });
      seen.add(rule.minPrincipalFen);
    });
    const sorted = [...rules].sort((a, b) => a.minPrincipalFen - b.minPrincipalFen);
    await new StoredValueStore(this.db).setRules(merchantId, sorted);
    return sorted;
  }

  /** A member's balance (zeros for a member without stored value). */
  async balance(merchantId: string, memberId: string): Promise<{ memberId: string; balanceFen: number; principalFen: number; bonusFen: number }> {
    const account = await new StoredValueStore(this.db).account(merchantId, memberId);
    const principalFen = account?.principal_fen ?? 0;
    const bonusFen = account?.bonus_fen ?? 0;
    return { memberId, balanceFen: principalFen + bonusFen, principalFen, bonusFen };
  }

  /** The balance with its lots, oldest first. */
  async account(merchantId: string, memberId: string): Promise<StoredValueAccount> {
    const lots = await new StoredValueStore(this.db).lots(merchantId, memberId);
    return {
      ...(await this.balance(merchantId, memberId)),
      lots: lots.map((l) => ({ lotId: l.id, topUpId: l.top_up_id, principalFen: l.principal_fen, bonusFen: l.bonus_fen, principalRemainingFen: l.principal_remaining, bonusRemainingFen: l.bonus_remaining, createdAt: l.created_at.toISOString() })),
    };
  }

  /** The member's entries, oldest first (at most `limit`). */
  async entries(merchantId: string, memberId: string, limit = 200) {
    const rows = await new StoredValueStore(this.db).entries(merchantId, memberId, limit);
    return { entries: rows.map((e) => ({ entryId: e.id, kind: e.kind, lotId: e.lot_id, principalDeltaFen: e.principal_delta, bonusDeltaFen: e.bonus_delta, refId: e.ref_id, at: e.created_at.toISOString() })) };
  }

  /** Whether the member holds prepaid money (the members module refuses to delete such a member). */
  async outstandingFen(tx: Queryable, merchantId: string, memberId: string): Promise<number> {
    const account = await new StoredValueStore(tx).lockedAccount(merchantId, memberId);
    return (account?.principal_fen ?? 0) + (account?.bonus_fen ?? 0);
  }

  /** A pending top-up with the bonus the merchant's rules give it now; paid by its signed callback. */
  async createTopUp(request: StoredValueCaller & { memberId: string; principalFen: number }): Promise<TopUp> {
    const principalFen = requireFen(request.principalFen, '/principalFen');
    return this.db.transaction(async (tx) => {
      const store = new StoredValueStore(tx);
      const earlier = await this.claim<TopUp>(store, request, 'top_up', { memberId: request.memberId, principalFen });
      if (earlier) return { ...earlier, result: 'duplicate' };
      if (this.memberExists && !(await this.memberExists(tx, request.merchantId, request.memberId))) throw new TkError('TK_NOT_FOUND', `no member ${request.memberId.slice(0, 64)}`, { path: '/params/id' });
      const bonusFen = bonusFor(await store.rules(request.merchantId), principalFen);
      const topUp: TopUp = { result: 'applied', topUpId: newId('tu'), memberId: request.memberId, principalFen, bonusFen, status: 'pending' };
      await store.insertTopUp(request.merchantId, { id: topUp.topUpId, memberId: topUp.memberId, principalFen, bonusFen, at: this.clock() });
      await store.settleKey(request.merchantId, request.scope, request.idempotencyKey, topUp);
      return topUp;
    });
  }

  async topUp(merchantId: string, topUpId: string): Promise<TopUp> {
    const row = await new StoredValueStore(this.db).topUp(merchantId, topUpId);
    if (!row) throw new TkError('TK_NOT_FOUND', `no top-up ${topUpId.slice(0, 64)}`, { path: '/params/topUpId' });
    return { result: 'duplicate', topUpId: row.id, memberId: row.member_id, principalFen: row.principal_fen, bonusFen: row.bonus_fen, status: row.status };
  }

  /**
   * A verified payment callback for a top-up (the caller checked its signature): the top-up's lot is
   * created once. A replay of the payment ID is `duplicate`; a payment that cannot apply (unknown
   * top-up, wrong amount, already paid by another payment) is `unmatched` and changes nothing.
   */
  async applyPayment(merchantId: string, body: TopUpCallbackBody): Promise<{ result: 'applied' | 'duplicate' | 'unmatched'; code?: string }> {
    const found = await new StoredValueStore(this.db).topUp(merchantId, body.topUpId);
    if (!found) return (await new StoredValueStore(this.db).paymentSeen(body.paymentId)) ? { result: 'duplicate' } : { result: 'unmatched', code: 'unknown_top_up' };
    return this.db.transaction(async (tx) => {
      const store = new StoredValueStore(tx);
      await store.lockAccount(merchantId, found.member_id);
      const topUp = (await store.topUp(merchantId, body.topUpId, true))!;
      if (topUp.provider_payment_id === body.paymentId) return { result: 'duplicate' as const };
      if (topUp.status !== 'pending') return { result: 'unmatched' as const, code: 'top_up_not_payable' };
      if (body.amountFen !== topUp.principal_fen) return { result: 'unmatched' as const, code: 'wrong_amount' };
      if (await store.paymentSeen(body.paymentId)) return { result: 'duplicate' as const };
      const now = this.clock();
      const lotId = newId('lot');
      await store.insertLot(merchantId, { id: lotId, memberId: topUp.member_id, topUpId: topUp.id, principalFen: topUp.principal_fen, bonusFen: topUp.bonus_fen, at: now });
      await store.insertEntry(merchantId, { id: newId('sve'), memberId: topUp.member_id, kind: 'top_up', lotId, principalDelta: topUp.principal_fen, bonusDelta: topUp.bonus_fen, refId: topUp.id, at: now });
      const after = await store.addToAccount(merchantId, topUp.member_id, topUp.principal_fen, topUp.bonus_fen);
      await store.markTopUp(merchantId, topUp.id, 'paid', { paymentId: body.paymentId, at: now });
      await this.announce(tx, merchantId, { memberId: topUp.member_id, kind: 'top_up', refId: topUp.id, principalDeltaFen: topUp.principal_fen, bonusDeltaFen: topUp.bonus_fen, forfeitedBonusFen: 0, balanceFen: after.principal_fen + after.bonus_fen, storeId: null, at: now });
      return { result: 'applied' as const };
    });
  }

  /** Spends `amountFen` of the member's stored value, oldest lots first, each at its own ratio. */
  async spend(request: SpendRequest): Promise<StoredValueResult> {
    const amountFen = requireFen(request.amountFen, '/amountFen');
    const payload = { memberId: request.memberId, amountFen, storeId: request.storeId ?? null, orderId: request.orderId ?? null };
    return this.mutate(request, 'spend', payload, async (store, now) => {
      const spendId = newId('svs');
      const account = await store.lockAccount(request.merchantId, request.memberId);
      const base = { memberId: request.memberId, refId: spendId, forfeitedBonusFen: 0 };
      if (account.principal_fen + account.bonus_fen < amountFen) return rejected(base, 'insufficient_balance', account.principal_fen + account.bonus_fen);
      await store.insertSpend(request.merchantId, { id: spendId, memberId: request.memberId, amountFen, storeId: payload.storeId, orderId: payload.orderId, at: now });
      let left = amountFen;
      const draws: StoredValueResult['draws'] = [];
      for (const lot of await store.lockOpenLots(request.merchantId, request.memberId)) {
        if (left === 0) break;
        const take = drawFromLot({ principalFen: lot.principal_fen, bonusFen: lot.bonus_fen, principalRemaining: lot.principal_remaining, bonusRemaining: lot.bonus_remaining }, left);
        left -= take.principalFen + take.bonusFen;
        await store.moveLot(request.merchantId, lot.id, -take.principalFen, -take.bonusFen);
        await store.insertTake(request.merchantId, spendId, draws.length, lot.id, take.principalFen, take.bonusFen);
        await store.insertEntry(request.merchantId, { id: newId('sve'), memberId: request.memberId, kind: 'spend', lotId: lot.id, principalDelta: -take.principalFen, bonusDelta: -take.bonusFen, refId: spendId, at: now });
        draws.push({ lotId: lot.id, principalFen: neg(take.principalFen), bonusFen: neg(take.bonusFen) });
      }
      // The account row is Σ lots; a difference here is a bug, and the transaction rolls back.
      if (left !== 0) throw new TkError('TK_INTERNAL', 'stored-value lots do not cover the account balance');
      return this.finish(store, request.merchantId, { ...base, kind: 'spend', storeId: payload.storeId, draws, now });
    });
  }

  /** Returns up to what is left of a spend to the lots it came from (last drawn lot first). */
  async refundSpend(request: StoredValueCaller & { spendId: string; amountFen: number }): Promise<StoredValueResult> {
    const amountFen = requireFen(request.amountFen, '/amountFen');
    const found = await new StoredValueStore(this.db).spend(request.merchantId, request.spendId);
    if (!found) throw new TkError('TK_NOT_FOUND', `no stored-value spend ${request.spendId.slice(0, 64)}`, { path: '/params/spendId' });
    return this.mutate(request, 'spend_refund', { spendId: request.spendId, amountFen }, async (store, now) => {
      await store.lockAccount(request.merchantId, found.member_id);
      const takes = await store.takes(request.merchantId, found.id);
      await store.lockLots(request.merchantId, found.member_id, takes.map((t) => t.lot_id));
      const spend = (await store.spend(request.merchantId, found.id, true))!;
      const base = { memberId: spend.member_id, refId: spend.id, forfeitedBonusFen: 0 };
      if (spend.refunded_fen + amountFen > spend.amount_fen) return rejected(base, 'refund_exceeds_spend', (await store.account(request.merchantId, spend.member_id))!);
      let left = amountFen;
      const draws: StoredValueResult['draws'] = [];
      for (const take of [...takes].reverse()) {
        if (left === 0) break;
        const back = refundOfTake({ principalFen: take.principal_fen, bonusFen: take.bonus_fen, principalRefunded: take.principal_refunded, bonusRefunded: take.bonus_refunded }, left);
        if (back.principalFen + back.bonusFen === 0) continue;
        left -= back.principalFen + back.bonusFen;
        await store.refundTake(request.merchantId, spend.id, take.draw_no, back.principalFen, back.bonusFen);
        await store.moveLot(request.merchantId, take.lot_id, back.principalFen, back.bonusFen);
        await store.insertEntry(request.merchantId, { id: newId('sve'), memberId: spend.member_id, kind: 'spend_refund', lotId: take.lot_id, principalDelta: back.principalFen, bonusDelta: back.bonusFen, refId: spend.id, at: now });
        draws.push({ lotId: take.lot_id, principalFen: back.principalFen, bonusFen: back.bonusFen });
      }
      await store.addSpendRefunded(request.merchantId, spend.id, amountFen);
      return this.finish(store, request.merchantId, { ...base, kind: 'spend_refund', storeId: spend.store_id, draws, now });
    });
  }

  /**
   * Refunds a paid top-up: its lot's remaining principal goes back to the member (outside the host:
   * the caller pays it out), its remaining bonus is forfeited. Once per top-up. Fen a later spend
   * refund returns to the lot stay in it as stored value.
   */
  async refundTopUp(request: StoredValueCaller & { topUpId: string }): Promise<StoredValueResult> {
    const found = await new StoredValueStore(this.db).topUp(request.merchantId, request.topUpId);
    if (!found) throw new TkError('TK_NOT_FOUND', `no top-up ${request.topUpId.slice(0, 64)}`, { path: '/params/topUpId' });
    return this.mutate(request, 'top_up_refund', { topUpId: request.topUpId }, async (store, now) => {
      const account = await store.lockAccount(request.merchantId, found.member_id);
      const lotIds = (await store.lots(request.merchantId, found.member_id)).filter((l) => l.top_up_id === found.id).map((l) => l.id);
      const [lot] = await store.lockLots(request.merchantId, found.member_id, lotIds);
      const topUp = (await store.topUp(request.merchantId, found.id, true))!;
      const base = { memberId: topUp.member_id, refId: topUp.id, forfeitedBonusFen: 0 };
      if (topUp.status === 'pending') return rejected(base, 'top_up_not_paid', account);
      if (topUp.status === 'refunded') return rejected(base, 'top_up_already_refunded', account);
      if (!lot) throw new TkError('TK_INTERNAL', `the paid top-up ${topUp.id} has no lot`);
      const draws = [{ lotId: lot.id, principalFen: neg(lot.principal_remaining), bonusFen: neg(lot.bonus_remaining) }];
      await store.moveLot(request.merchantId, lot.id, -lot.principal_remaining, -lot.bonus_remaining);
      if (lot.principal_remaining > 0) await store.insertEntry(request.merchantId, { id: newId('sve'), memberId: topUp.member_id, kind: 'top_up_refund', lotId: lot.id, principalDelta: -lot.principal_remaining, bonusDelta: 0, refId: topUp.id, at: now });
      if (lot.bonus_remaining > 0) await store.insertEntry(request.merchantId, { id: newId('sve'), memberId: topUp.member_id, kind: 'bonus_forfeit', lotId: lot.id, principalDelta: 0, bonusDelta: -lot.bonus_remaining, refId: topUp.id, at: now });
      await store.markTopUp(request.merchantId, topUp.id, 'refunded');
      return this.finish(store, request.merchantId, { ...base, forfeitedBonusFen: lot.bonus_remaining, kind: 'top_up_refund', storeId: null, draws, now });
    });
  }

  /** Applies the draws to the account, announces the change and builds the result. */
  private async finish(
    store: StoredValueStore,
    merchantId: string,
    change: { memberId: string; refId: string; forfeitedBonusFen: number; kind: 'spend' | 'spend_refund' | 'top_up_refund'; storeId: string | null; draws: StoredValueResult['draws']; now: Date },
  ): Promise<StoredValueResult> {
    const principalDeltaFen = change.draws.reduce((sum, d) => sum + d.principalFen, 0);
    const bonusDeltaFen = change.draws.reduce((sum, d) => sum + d.bonusFen, 0);
    const after = await store.addToAccount(merchantId, change.memberId, principalDeltaFen, bonusDeltaFen);
    const balanceFen = after.principal_fen + after.bonus_fen;
    await this.announce(store.tx, merchantId, { memberId: change.memberId, kind: change.kind, refId: change.refId, principalDeltaFen, bonusDeltaFen, forfeitedBonusFen: change.forfeitedBonusFen, balanceFen, storeId: change.storeId, at: change.now });
    return { status: 'applied', memberId: change.memberId, refId: change.refId, principalDeltaFen, bonusDeltaFen, forfeitedBonusFen: change.forfeitedBonusFen, balanceFen, draws: change.draws };
  }

  private async announce(tx: Queryable, merchantId: string, data: { memberId: string; kind: string; refId: string; principalDeltaFen: number; bonusDeltaFen: number; forfeitedBonusFen: number; balanceFen: number; storeId: string | null; at: Date }): Promise<void> {
    // Validated against the SDK's payload schema; the id makes the event once per change (kind, ref, time).
    await emitDomainEvent(this.publishIn, tx, merchantId, {
      id: `stored-value.changed:${data.refId}:${data.kind}:${randomUUID()}`,
      type: 'stored-value.changed',
      data: { ...data, kind: data.kind as 'spend', at: data.at.toISOString() },
      occurredAt: data.at,
    });
  }

  /** Claims the key first (lock order 1): an earlier result with the same payload, TK_CONFLICT with another. */
  private async claim<R>(store: StoredValueStore, caller: StoredValueCaller, operation: string, payload: Record<string, unknown>): Promise<R | undefined> {
    const hash = requestHash([operation, payload]);
    if (await store.claimKey(caller.merchantId, caller.scope, caller.idempotencyKey, hash)) return undefined;
    const record = await store.keyRecord<R>(caller.merchantId, caller.scope, caller.idempotencyKey);
    if (!record || record.request_hash !== hash || record.result === null) {
      throw new TkError('TK_CONFLICT', `idempotency key "${caller.idempotencyKey.slice(0, 64)}" was already used for a different stored-value change`, { path: '/headers/idempotency-key', hint: KEY_HINT });
    }
    return record.result;
  }

  private mutate(caller: StoredValueCaller, operation: string, payload: Record<string, unknown>, run: (store: StoredValueStore, now: Date) => Promise<StoredValueResult>): Promise<StoredValueResult> {
    if (typeof caller.idempotencyKey !== 'string' || caller.idempotencyKey.length === 0 || caller.idempotencyKey.length > 256) {
      throw new TkError('TK_VALIDATION', 'an idempotency key of 1 to 256 characters is required', { path: '/headers/idempotency-key' });
    }
    return this.db.transaction(async (tx) => {
      const store = new StoredValueStore(tx);
      const earlier = await this.claim<StoredValueResult>(store, caller, operation, payload);
      if (earlier) return { ...earlier, status: 'duplicate', firstStatus: earlier.status === 'rejected' ? 'rejected' : 'applied' };
      const result = await run(store, this.clock());
      await store.settleKey(caller.merchantId, caller.scope, caller.idempotencyKey, result);
      return result;
    });
  }
}

function rejected(base: { memberId: string; refId: string; forfeitedBonusFen: number }, reason: StoredValueRejection, balance: number | { principal_fen: number; bonus_fen: number }): StoredValueResult {
  const balanceFen = typeof balance === 'number' ? balance : balance.principal_fen + balance.bonus_fen;
  return { status: 'rejected', reason, ...base, principalDeltaFen: 0, bonusDeltaFen: 0, balanceFen, draws: [] };
}
