import type { LedgerSource } from './types.js';
import type { OrderGrant } from './order-points.js';

/** A merchant's earning policy: the platform default rate, in basis points per yuan, and the cap per order. */
export interface EarnPolicy {
  pointsPerYuanBp: number;
  growthPerYuanBp: number;
  capPointsPerOrder: number | null;
}

export const DEFAULT_EARN_POLICY: EarnPolicy = { pointsPerYuanBp: 10_000, growthPerYuanBp: 10_000, capPointsPerOrder: null };

/** One install's answer to `member.points.earn`, in install order. */
export type EarnAnswer =
  | { installId: string; plugin: string; ok: true; output: { points: number; growth: number; expiresAt?: string | null | undefined; reason: string } }
  | { installId: string; plugin: string; ok: false; errorCode: string };

/** What became of each install's answer. */
export interface EarnOutcome {
  installId: string | null;
  plugin: string | null;
  status: 'granted' | 'cut_to_cap' | 'cap_reached' | 'failed' | 'platform_default';
  points: number;
  growth: number;
}

/** The host itself, as the source of the platform default's grant. */
export const DEFAULT_RATE_SOURCE: LedgerSource = { kind: 'host', id: 'default-rate' };

/**
 * The merge rule of `member.points.earn`: every install that answered contributes its own grant (the
 * install is its source), in install order. A failed install contributes nothing. The platform default
 * rate applies once, and only when no install answered. The merchant's cap on points per order applies
 * in install order: the install that crosses it is cut to fit, later ones get `cap_reached` (their growth
 * value still counts: the cap is on points). Amounts round down.
 *
 * @example
 * mergeEarnAnswers([{ installId: 'a', plugin: 'p', ok: true, output: { points: 80, growth: 8, reason: 'x' } },
 *                   { installId: 'b', plugin: 'q', ok: true, output: { points: 50, growth: 5, reason: 'y' } }],
 *                  10_000, { ...DEFAULT_EARN_POLICY, capPointsPerOrder: 100 });
 * // grants: a 80 points, b cut to 20; outcomes: granted, cut_to_cap
 */
export function mergeEarnAnswers(answers: readonly EarnAnswer[], spendFen: number, policy: EarnPolicy): { grants: OrderGrant[]; outcomes: EarnOutcome[] } {
  const cap = policy.capPointsPerOrder ?? Number.POSITIVE_INFINITY;
  const grants: OrderGrant[] = [];
  const outcomes: EarnOutcome[] = [];
  let pointsSoFar = 0;
  const capped = (points: number): { points: number; status: EarnOutcome['status'] } => {
    const room = Math.max(0, cap - pointsSoFar);
    if (points <= room) return { points, status: 'granted' };
    return room > 0 ? { points: room, status: 'cut_to_cap' } : { points: 0, status: 'cap_reached' };
  };
  for (const answer of answers) {
    if (!answer.ok) {
      outcomes.push({ installId: answer.installId, plugin: answer.plugin, status: 'failed', points: 0, growth: 0 });
      continue;
    }
    const { points, status } = capped(answer.output.points);
    pointsSoFar += points;
    const growth = answer.output.growth;
    outcomes.push({ installId: answer.installId, plugin: answer.plugin, status, points, growth });
    grants.push({ source: { kind: 'install', id: answer.installId, causationDepth: 1 }, points, growth, pointsExpiresAt: answer.output.expiresAt ?? null, reason: answer.output.reason });
  }
  if (!answers.some((answer) => answer.ok)) {
    // BigInt: fen × basis points can pass 2^53.
    const yuanBp = (bp: number) => Number((BigInt(spendFen) * BigInt(bp)) / 1_000_000n);
    const { points } = capped(yuanBp(policy.pointsPerYuanBp));
    const growth = yuanBp(policy.growthPerYuanBp);
    outcomes.push({ installId: null, plugin: null, status: 'platform_default', points, growth });
    grants.push({ source: { ...DEFAULT_RATE_SOURCE, causationDepth: 1 }, points, growth, pointsExpiresAt: null, reason: 'platform default rate' });
  }
  return { grants, outcomes };
}
