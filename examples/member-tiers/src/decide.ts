import type { PointInput, PointOutput } from '@tongkit/sdk';
import { addMonths, cstDate, hasExpired } from './dates.js';
import { LEVELS, positionFor, programmeLadder, qualifiedLevel, standingOf, thresholdOf, type Rung } from './levels.js';
import { compose, standingText, thresholdText } from './reason.js';
import type { Settings } from './settings.js';

type Input = PointInput<'member.tier.compute'>;
type Output = PointOutput<'member.tier.compute'>;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Decides a member's tier. The rules, in order:
 * 1. The member's standing is 12-month online spend + store spend × `storeSpendWeightBps`, and growth
 *    value; they qualify for the highest level whose thresholds they reach (`qualifyBy` combines them).
 * 2. Only the merchant ladder's tiers are answered: a level the ladder lacks becomes the highest tier at
 *    or below it; the ladder's lowest programme tier is the floor every member holds.
 * 3. Higher than the current tier (or no current tier): upgrade, valid for `validityMonths` from `now`
 *    (the host ladder's `validityMonths` when it sets one, else the setting).
 * 4. Equal: keep it; its expiry stands while it runs, and is renewed for `validityMonths` from `now`
 *    once it has lapsed (保级: requalified at expiry). The floor tier never expires.
 * 5. Lower: while the current tier has not expired (expiry null or after `now`) and protection is on,
 *    keep it. Otherwise move down, at most `maxDowngradeSteps` tiers of the ladder, to a tier valid for
 *    `validityMonths` from `now`.
 * A current tier outside this programme (e.g. a staff tier the merchant grants by hand) is left alone.
 */
export function decideTier(input: Input, settings: Settings): Output {
  const { member, tiers, now } = input;
  const current = member.currentTier;
  const ladder = programmeLadder(tiers);
  const programmeIds = LEVELS.map((l) => l.id).join('/');

  if (ladder.length === 0) {
    // Nothing to decide with: keep what the member has, or give the ladder's lowest tier.
    const kept = current && tiers.find((t) => t.id === current.id);
    const lowest = [...tiers].sort((a, b) => a.rank - b.rank)[0]!;
    const tier = kept || lowest;
    return {
      tierId: tier.id,
      expiresAt: kept && current ? current.expiresAt : null,
      reason: compose(`${kept ? 'Kept' : 'Gave the lowest tier,'} ${tier.name}: the ladder has none of this programme’s tiers (${programmeIds})`),
    };
  }

  const standing = standingOf(member, settings);
  const facts = `: ${standingText(standing, settings.storeSpendWeightBps)}`;
  const qualified = qualifiedLevel(standing, settings);
  const target = positionFor(ladder, qualified);
  const lacking =
    ladder[target]!.level === qualified ? undefined : `; qualifies for ${LEVELS[qualified]!.name} (${LEVELS[qualified]!.id}), not in this ladder`;
  // The host's ladder, when it has a validity, rules (the host cuts a longer expiry to it anyway).
  const validityMonths = input.ladder?.validityMonths ?? settings.validityMonths;
  const renewedUntil = addMonths(now, validityMonths);
  const expiryAt = (position: number) => (position === 0 ? null : renewedUntil);
  const until = (position: number) => (position === 0 ? '' : ` until ${cstDate(renewedUntil)}`);
  const next = (position: number) => {
    const rung: Rung | undefined = ladder[position + 1];
    const threshold = rung && thresholdOf(rung.level, settings);
    return threshold ? `; next ${rung.name} at ${thresholdText(threshold, settings.qualifyBy)}` : undefined;
  };
  const grant = (position: number, head: string, note = ''): Output => ({
    tierId: ladder[position]!.id,
    expiresAt: expiryAt(position),
    reason: compose(`${head}${until(position)}${note}`, facts, lacking, next(position)),
  });

  const currentTier = current && tiers.find((t) => t.id === current.id);
  if (!current || !currentTier) {
    const head = current ? `Tier ${current.id} is not in the ladder → ${ladder[target]!.name}` : `New member → ${ladder[target]!.name}`;
    return grant(target, head);
  }

  const position = ladder.findIndex((rung) => rung.id === current.id);
  if (position < 0) {
    return {
      tierId: current.id,
      expiresAt: current.expiresAt,
      reason: compose(`Kept ${currentTier.name}: not a tier of this programme (${programmeIds}), so left as it is`),
    };
  }
  const name = ladder[position]!.name;

  if (target > position) return grant(target, `Upgraded ${name} → ${ladder[target]!.name}`);

  if (target === position) {
    if (position === 0) return grant(position, `Kept ${name}`);
    if (current.expiresAt === null) {
      return { tierId: current.id, expiresAt: null, reason: compose(`Kept ${name} (does not expire)`, facts, lacking, next(position)) };
    }
    if (!hasExpired(current.expiresAt, now)) {
      return {
        tierId: current.id,
        expiresAt: current.expiresAt,
        reason: compose(`Kept ${name} until ${cstDate(current.expiresAt)}, still qualifies`, facts, lacking, next(position)),
      };
    }
    return grant(position, `Renewed ${name}`, ` (requalified at expiry ${cstDate(current.expiresAt)})`);
  }

  // The member qualifies for less than they hold.
  const qualifiesFor = `qualifies for ${ladder[target]!.name}`;
  const expired = hasExpired(current.expiresAt, now);
  if (!expired && settings.protectDowngradeUntilExpiry) {
    const protection = current.expiresAt === null ? 'protected, the tier does not expire' : `protected until ${cstDate(current.expiresAt)}`;
    return {
      tierId: current.id,
      expiresAt: current.expiresAt,
      reason: compose(`Kept ${name}, ${protection} (${qualifiesFor})`, facts, lacking),
    };
  }
  const to = Math.max(target, position - settings.maxDowngradeSteps);
  const why = current.expiresAt !== null && expired ? `tier expired ${cstDate(current.expiresAt)}` : 'no downgrade protection';
  const limited = to > target ? `, ${qualifiesFor}, at most ${plural(settings.maxDowngradeSteps, 'level')} down per evaluation` : '';
  return {
    tierId: ladder[to]!.id,
    expiresAt: expiryAt(to),
    reason: compose(`Downgraded ${name} → ${ladder[to]!.name}${until(to)} (${why}${limited})`, facts, lacking),
  };
}
