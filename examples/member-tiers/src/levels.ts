import { applyBasisPoints, type PointInput } from '@tongkit/sdk';
import type { Settings } from './settings.js';

type Input = PointInput<'member.tier.compute'>;
/** One tier of the merchant's ladder, as the input carries it. */
export type Tier = Input['tiers'][number];

/** The programme's five levels, lowest first. Tier IDs in the merchant's ladder match these IDs. */
export const LEVELS = [
  { id: 'regular', name: '普通' },
  { id: 'silver', name: '银卡' },
  { id: 'gold', name: '金卡' },
  { id: 'platinum', name: '白金' },
  { id: 'black', name: '黑金' },
] as const;

/** Index of a level in {@link LEVELS}: 0 = regular … 4 = black. */
export type Level = number;

/** What a member brings to the evaluation. */
export interface Standing {
  onlineFen: number;
  storeFen: number;
  /** Online spend plus store spend weighted by `storeSpendWeightBps` (rounded down to the fen). */
  countedFen: number;
  growthValue: number;
}

export interface Threshold {
  spendFen: number;
  growthValue: number;
}

export function standingOf(member: Input['member'], settings: Settings): Standing {
  const { online, store } = member.spend12mFen;
  return {
    onlineFen: online,
    storeFen: store,
    countedFen: online + applyBasisPoints(store, settings.storeSpendWeightBps),
    growthValue: member.growthValue,
  };
}

/** The thresholds of a level; the entry level (regular) has none. */
export function thresholdOf(level: Level, settings: Settings): Threshold | null {
  switch (LEVELS[level]?.id) {
    case 'silver':
      return { spendFen: settings.silverSpendFen, growthValue: settings.silverGrowthValue };
    case 'gold':
      return { spendFen: settings.goldSpendFen, growthValue: settings.goldGrowthValue };
    case 'platinum':
      return { spendFen: settings.platinumSpendFen, growthValue: settings.platinumGrowthValue };
    case 'black':
      return { spendFen: settings.blackSpendFen, growthValue: settings.blackGrowthValue };
    default:
      return null;
  }
}

/** True when `standing` reaches `level` under the merchant's combination rule. Thresholds are inclusive. */
export function reaches(standing: Standing, level: Level, settings: Settings): boolean {
  const threshold = thresholdOf(level, settings);
  if (threshold === null) return true;
  const bySpend = standing.countedFen >= threshold.spendFen;
  const byGrowth = standing.growthValue >= threshold.growthValue;
  switch (settings.qualifyBy) {
    case 'spend-and-growth':
      return bySpend && byGrowth;
    case 'spend':
      return bySpend;
    case 'growth':
      return byGrowth;
    default:
      return bySpend || byGrowth;
  }
}

/** The highest programme level `standing` reaches (thresholds need not be increasing: the highest reached wins). */
export function qualifiedLevel(standing: Standing, settings: Settings): Level {
  for (let level = LEVELS.length - 1; level > 0; level--) {
    if (reaches(standing, level, settings)) return level;
  }
  return 0;
}

/** A tier of the merchant's ladder that belongs to the programme. */
export interface Rung extends Tier {
  level: Level;
}

/**
 * The programme's tiers in the merchant's ladder, lowest rank first (ties: programme order). Tiers with
 * other IDs are not part of this programme; a repeated ID counts once.
 */
export function programmeLadder(tiers: readonly Tier[]): Rung[] {
  const rungs: Rung[] = [];
  for (const tier of tiers) {
    const level = LEVELS.findIndex((l) => l.id === tier.id);
    if (level >= 0 && !rungs.some((r) => r.id === tier.id)) rungs.push({ ...tier, level });
  }
  return rungs.sort((a, b) => a.rank - b.rank || a.level - b.level);
}

/**
 * The ladder position for a programme level: the highest-ranked rung at or below that level, or the
 * lowest rung (the floor every member holds) when the ladder has nothing at or below it.
 */
export function positionFor(ladder: readonly Rung[], level: Level): number {
  for (let position = ladder.length - 1; position >= 0; position--) {
    if (ladder[position]!.level <= level) return position;
  }
  return 0;
}
