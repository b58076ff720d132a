import type { TierDefinition } from '@tongkit/sdk';
import type { Static } from '@sinclair/typebox';
import { MerchantCalendar } from '../../platform/tenancy/merchant-calendar.js';

type Tier = Static<typeof TierDefinition>;

/** The ladder's rules as the host enforces them. */
export interface LadderRules {
  tiers: Tier[];
  validityMonths: number | null;
  downgradeProtectionDays: number;
}

/** A member's stored tier (tierId null: the entry tier, never assigned). */
export interface StoredTier {
  tierId: string | null;
  since: Date | null;
  expiresAt: Date | null;
  protectedUntil: Date | null;
}

/** What the host does with a decision. */
export type TierOutcome =
  | { kind: 'change'; to: Tier; from: Tier | null; direction: 'up' | 'down'; expiresAt: Date | null; protectedUntil: Date | null }
  | { kind: 'renew'; expiresAt: Date | null }
  | { kind: 'protected'; reviewAt: Date }
  | { kind: 'unchanged' };

/** The ladder's entry tier: the lowest rank. */
export function entryTier(ladder: LadderRules): Tier {
  return [...ladder.tiers].sort((a, b) => a.rank - b.rank)[0]!;
}

/** `at` plus whole calendar months in the merchant's time zone (31 Jan + 1 month = the end of February). */
export function addMonths(calendar: MerchantCalendar, at: Date, months: number): Date {
  const [year, month, day] = calendar.localDate(at).split('-').map(Number) as [number, number, number];
  const index = year * 12 + (month - 1) + months;
  const targetYear = Math.floor(index / 12);
  const targetMonth = (index % 12) + 1;
  const lastDay = new Date(Date.UTC(targetYear, targetMonth, 0)).getUTCDate();
  const date = `${String(targetYear).padStart(4, '0')}-${String(targetMonth).padStart(2, '0')}-${String(Math.min(day, lastDay)).padStart(2, '0')}`;
  // Keep the local time of day: the same offset from local midnight.
  return new Date(calendar.startOfDay(date).getTime() + (at.getTime() - calendar.startOfDay(calendar.localDate(at)).getTime()));
}

const DAY_MS = 86_400_000;

/**
 * Applies the ladder to an install's decision (already validated: its tier is one of the ladder's):
 *
 * - a higher tier is an upgrade, from `now`; it lasts until the plugin's `expiresAt`, cut to the ladder's
 *   validity (the entry tier never lapses), and is protected against a downgrade for the ladder's days;
 * - a lower tier is a downgrade, unless the current tier is still protected and has not lapsed: then
 *   the member keeps it and the schedule computes again when the protection ends;
 * - the same tier is kept; once it has lapsed it is renewed (保级) like an upgrade's expiry;
 * - a fallback (the plugin failed, or none serves the point) keeps the current tier: `keep` is true.
 */
export function applyLadder(ladder: LadderRules, calendar: MerchantCalendar, stored: StoredTier, decision: { tierId: string; expiresAt?: string | null | undefined; keep: boolean }, now: Date): TierOutcome {
  if (decision.keep) return { kind: 'unchanged' };
  const entry = entryTier(ladder);
  const currentTier = (stored.tierId === null ? entry : ladder.tiers.find((t) => t.id === stored.tierId)) ?? null;
  const to = ladder.tiers.find((t) => t.id === decision.tierId)!;
  const expiresAt = (() => {
    if (to.id === entry.id) return null;
    const ceiling = ladder.validityMonths === null ? null : addMonths(calendar, now, ladder.validityMonths);
    const asked = decision.expiresAt ? new Date(decision.expiresAt) : null;
    const usable = asked && asked.getTime() > now.getTime() ? asked : null;
    if (ceiling === null) return usable;
    return usable && usable < ceiling ? usable : ceiling;
  })();
  const lapsed = stored.expiresAt !== null && stored.expiresAt.getTime() <= now.getTime();
  if (currentTier && to.id === currentTier.id) {
    return lapsed ? { kind: 'renew', expiresAt } : { kind: 'unchanged' };
  }
  // A current tier the ladder no longer has ranks below every tier: any decision moves up from it.
  const currentRank = currentTier?.rank ?? -1;
  const direction = to.rank > currentRank ? 'up' : 'down';
  if (direction === 'down' && !lapsed && stored.protectedUntil !== null && stored.protectedUntil.getTime() > now.getTime()) {
    return { kind: 'protected', reviewAt: stored.protectedUntil };
  }
  const protectedUntil = direction === 'up' && ladder.downgradeProtectionDays > 0 ? new Date(now.getTime() + ladder.downgradeProtectionDays * DAY_MS) : null;
  return { kind: 'change', to, from: stored.tierId === null ? null : currentTier, direction, expiresAt, protectedUntil };
}
