import { randomUUID } from 'node:crypto';
import { TkError, type PointInput, type TierTrigger } from '@tongkit/sdk';
import type { Static } from '@sinclair/typebox';
import type { Database } from '../../platform/storage/database.js';
import type { HostPlatform } from '../../platform/modules/host-module.js';
import { MerchantCalendar } from '../../platform/tenancy/merchant-calendar.js';
import { applyLadder, entryTier, type LadderRules } from './tier-rules.js';
import { TierStore } from './tier-store.js';
import type { MemberTierView, TierHistoryPage, TierLadder, TierLadderRequest } from './schemas.js';

/** What the tiers service reads of the other domains, through their services. */
export interface TierFacts {
  spendSummary(merchantId: string, memberId: string, window: { from: Date; to: Date }): Promise<{ onlineFen: number; storeFen: number; orderCount: number }>;
  timeZoneOf(merchantId: string): Promise<string>;
  balances(merchantId: string, memberId: string): Promise<{ points: number; growth: number }>;
}

/** What one computation did. */
export type TierComputation = 'change' | 'renew' | 'protected' | 'unchanged' | 'no_ladder' | 'member_unknown';

const POINT = 'member.tier.compute';
const STALE_RETRIES = 3;

type Trigger = Static<typeof TierTrigger>;

/**
 * Tiers applied by the host. The merchant's ladder is host data; a member's tier is computed from the
 * host's own facts (orders through the orders service, balances through the ledger), decided by the
 * install that owns `member.tier.compute`, checked against the ladder (validity, downgrade protection)
 * and applied with its history row, its invocation's log and its `member.tier.changed` event in one
 * transaction.
 *
 * Exactly once per change: a decision is computed from the member's tier row at revision r and applies
 * only while the row is still at r (the row is locked in the applying transaction — lock order: the
 * member's tier row, then the outbox). A redelivered trigger computes the same tier again, which is no
 * change; two workers deciding at once: the second finds the revision moved and computes again.
 */
export class MemberTiers {
  constructor(
    private readonly db: Database,
    private readonly platform: Pick<HostPlatform, 'publishIn' | 'decidePoint' | 'memberExists'>,
    private readonly facts: TierFacts,
  ) {}

  /** Sets the merchant's ladder: ids and ranks unique (TK_VALIDATION at the duplicate's path). */
  async setLadder(merchantId: string, request: TierLadderRequest): Promise<TierLadder> {
    const ids = new Map<string, number>();
    const ranks = new Map<number, number>();
    request.tiers.forEach((tier, index) => {
      if (ids.has(tier.id)) throw new TkError('TK_VALIDATION', `tier id "${tier.id}" is used twice (also at /tiers/${ids.get(tier.id)}/id)`, { path: `/tiers/${index}/id` });
      if (ranks.has(tier.rank)) throw new TkError('TK_VALIDATION', `rank ${tier.rank} is used twice (also at /tiers/${ranks.get(tier.rank)}/rank): ranks order the ladder`, { path: `/tiers/${index}/rank` });
      ids.set(tier.id, index);
      ranks.set(tier.rank, index);
    });
    const rules: LadderRules = { tiers: [...request.tiers].sort((a, b) => a.rank - b.rank), validityMonths: request.validityMonths ?? null, downgradeProtectionDays: request.downgradeProtectionDays ?? 0 };
    return this.db.transaction(async (tx) => {
      const store = new TierStore(tx);
      await store.putLadder(merchantId, rules);
      return (await store.ladder(merchantId))!;
    });
  }

  /** The merchant's ladder; TK_NOT_FOUND before the merchant set one. */
  async ladder(merchantId: string): Promise<TierLadder> {
    const ladder = await new TierStore(this.db).ladder(merchantId);
    if (!ladder) throw new TkError('TK_NOT_FOUND', 'no tier ladder: set one with PUT /v1/tiers (tongkit tiers set <file>)', { fault: 'user' });
    return ladder;
  }

  /** A member's tier as reads show it; null while the merchant has no ladder. */
  async tierOf(merchantId: string, memberId: string): Promise<MemberTierView | null> {
    const store = new TierStore(this.db);
    const ladder = await store.ladder(merchantId);
    if (!ladder) return null;
    const stored = await store.tierOf(merchantId, memberId);
    const tier = (stored?.tierId && ladder.tiers.find((t) => t.id === stored.tierId)) || undefined;
    if (!stored?.tierId) {
      const entry = entryTier(ladder);
      return { tierId: entry.id, name: entry.name, rank: entry.rank, assigned: false, since: null, expiresAt: null, protectedUntil: null };
    }
    return {
      tierId: stored.tierId,
      name: tier?.name ?? stored.tierId,
      rank: tier?.rank ?? -1,
      assigned: true,
      since: stored.since?.toISOString() ?? null,
      expiresAt: stored.expiresAt?.toISOString() ?? null,
      protectedUntil: stored.protectedUntil?.toISOString() ?? null,
    };
  }

  /** A member's tier changes, oldest first (TK_NOT_FOUND for a member the merchant does not have). */
  async history(merchantId: string, memberId: string, query: { after?: string | undefined; limit?: number | undefined } = {}): Promise<TierHistoryPage> {
    await this.requireMember(merchantId, memberId);
    return new TierStore(this.db).history(merchantId, memberId, query.after, query.limit ?? 50);
  }

  async requireMember(merchantId: string, memberId: string): Promise<void> {
    if (this.platform.memberExists && !(await this.platform.memberExists(this.db, merchantId, memberId))) {
      throw new TkError('TK_NOT_FOUND', `no member ${memberId.slice(0, 64)}`, { path: '/params/id' });
    }
  }

  /**
   * Computes a member's tier for a fact at `now` and applies the decision. Throws only for what a retry
   * may fix (the row moved under it more than {@link STALE_RETRIES} times, the database).
   */
  async compute(merchantId: string, memberId: string, trigger: Trigger, now: Date): Promise<TierComputation> {
    const ladder = await new TierStore(this.db).ladder(merchantId);
    if (!ladder) return 'no_ladder';
    if (this.platform.memberExists && !(await this.platform.memberExists(this.db, merchantId, memberId))) return 'member_unknown';
    const calendar = new MerchantCalendar(await this.facts.timeZoneOf(merchantId));
    for (let attempt = 0; attempt < STALE_RETRIES; attempt++) {
      const stored = (await new TierStore(this.db).tierOf(merchantId, memberId)) ?? { tierId: null, since: null, expiresAt: null, protectedUntil: null, reviewAt: null, revision: 0 };
      const window = calendar.twelveMonthWindow(now);
      const [spend, balances] = await Promise.all([this.facts.spendSummary(merchantId, memberId, window), this.facts.balances(merchantId, memberId)]);
      const input: PointInput<'member.tier.compute'> = {
        member: {
          id: memberId,
          currentTier:
            stored.tierId === null
              ? null
              : { id: stored.tierId, expiresAt: stored.expiresAt?.toISOString() ?? null, ...(stored.since ? { since: stored.since.toISOString() } : {}), protectedUntil: stored.protectedUntil?.toISOString() ?? null },
          growthValue: balances.growth,
          pointsBalance: balances.points,
          spend12mFen: { online: spend.onlineFen, store: spend.storeFen, total: spend.onlineFen + spend.storeFen },
          orderCount12m: spend.orderCount,
        },
        tiers: ladder.tiers,
        ladder: { validityMonths: ladder.validityMonths, downgradeProtectionDays: ladder.downgradeProtectionDays },
        window: { from: window.from.toISOString(), to: now.toISOString() },
        trigger,
        now: now.toISOString(),
      };
      if (!this.platform.decidePoint) throw new TkError('TK_INTERNAL', 'the host was built without extension points: tiers cannot be computed');
      const decided = await this.platform.decidePoint(merchantId, POINT, input);
      const output = decided.output as { tierId: string; expiresAt?: string | null; reason: string };
      const inLadder = ladder.tiers.some((t) => t.id === output.tierId);
      const outcome = applyLadder(ladder, calendar, stored, { tierId: output.tierId, expiresAt: output.expiresAt, keep: decided.source !== 'plugin' || !inLadder }, now);
      const applied = await this.db.transaction(async (tx) => {
        // The invocation's log commits with what it decided (also when that is nothing, or stale).
        await decided.logIn(tx);
        const store = new TierStore(tx);
        const locked = await store.lockTier(merchantId, memberId);
        if (locked.revision !== stored.revision) return 'stale' as const;
        switch (outcome.kind) {
          case 'change': {
            const historyId = `th_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
            const eventId = `tier_${historyId.slice(3)}`;
            await store.writeTier(merchantId, memberId, { tierId: outcome.to.id, since: now, expiresAt: outcome.expiresAt, protectedUntil: outcome.protectedUntil, reviewAt: outcome.expiresAt });
            const common = { reason: output.reason, trigger, installId: decided.installId, version: decided.version, invocationId: decided.invocationId };
            await store.insertChange(merchantId, { id: historyId, memberId, fromTierId: stored.tierId, toTierId: outcome.to.id, direction: outcome.direction, eventId, expiresAt: outcome.expiresAt, changedAt: now, ...common });
            await this.platform.publishIn(tx, merchantId, {
              id: eventId,
              type: 'member.tier.changed',
              occurredAt: now,
              data: {
                memberId,
                from: outcome.from && { tierId: outcome.from.id, name: outcome.from.name, rank: outcome.from.rank },
                to: { tierId: outcome.to.id, name: outcome.to.name, rank: outcome.to.rank },
                direction: outcome.direction,
                expiresAt: outcome.expiresAt?.toISOString() ?? null,
                changedAt: now.toISOString(),
                historyId,
                ...common,
              },
            });
            return 'change' as const;
          }
          case 'renew':
            await store.writeTier(merchantId, memberId, { tierId: locked.tierId, since: locked.since, expiresAt: outcome.expiresAt, protectedUntil: locked.protectedUntil, reviewAt: outcome.expiresAt });
            return 'renew' as const;
          case 'protected':
            await store.writeTier(merchantId, memberId, { ...locked, reviewAt: outcome.reviewAt });
            return 'protected' as const;
          case 'unchanged':
            // A review that found nothing to do is done (the next order computes again).
            if (locked.reviewAt && locked.reviewAt.getTime() <= now.getTime()) await store.writeTier(merchantId, memberId, { ...locked, reviewAt: null });
            return 'unchanged' as const;
        }
      });
      if (applied !== 'stale') return applied;
    }
    throw new TkError('TK_CONFLICT', `the tier of member ${memberId} kept changing while it was computed; the work is retried`);
  }
}
