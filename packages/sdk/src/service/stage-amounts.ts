// The money rules of staged payments (服务通), pure and exact in integer fen, so the host, the
// `service.plan` output check and a plugin all compute the same amounts. Documented in
// docs/service-orders.md ("Rounding" and "Re-pricing").
import { applyBasisPoints } from '../money.js';

/** The whole of an order in basis points: a plan's ratios sum to exactly this. */
export const FULL_RATIO_BPS = 10_000;
/** The legal limit on a forfeitable deposit (定金): non-refundable stages total at most 20 % of the order. */
export const MAX_NON_REFUNDABLE_BPS = 2_000;
/** A plan has at most this many stages. */
export const MAX_STAGES = 10;

/**
 * Each stage's amount: `floor(total × ratio / 10000)`, the rounding remainder to the last stage with a
 * non-zero ratio — so the amounts sum exactly to the total and a zero-ratio stage is never charged.
 * The ratios must sum to 10000.
 *
 * @example stageAmounts(100_001, [1_000, 0, 9_000, 0]) // [10_000, 0, 90_001, 0]
 */
export function stageAmounts(totalFen: number, ratiosBps: readonly number[]): number[] {
  assertFen(totalFen, 'totalFen');
  const sum = ratiosBps.reduce((a, b) => a + b, 0);
  if (sum !== FULL_RATIO_BPS || ratiosBps.some((r) => !Number.isInteger(r) || r < 0)) {
    throw new RangeError(`stage ratios must be non-negative integers summing to 10000, got ${ratiosBps.join(', ')}`);
  }
  return spread(totalFen, ratiosBps);
}

/** One stage as a re-price sees it: its ratio, its current amount, and whether its money is in. */
export interface PricedStage {
  ratioBps: number;
  amountFen: number;
  /** True when the stage's amount is fixed: paid, or past paid (scheduled, completed, refunded). */
  paid: boolean;
}

/** Why a re-price is refused (a business outcome, not a malformed request). */
export type RepriceRefusal = 'everything_paid' | 'below_paid';

/** The outcome of {@link repriceStages}: the new amount of every stage, or why not. */
export type RepriceOutcome = { ok: true; amountsFen: number[] } | { ok: false; reason: RepriceRefusal; message: string };

/**
 * Re-prices an order (e.g. after measurement): paid stages keep their amounts; `newTotal − paid` is
 * spread over the unpaid stages by their ratios (floor each, the remainder to the last unpaid stage
 * with a non-zero ratio); when every unpaid ratio is 0, all of it goes to the last unpaid stage.
 * Refused when every stage is paid, or when the new total is below what is already paid.
 *
 * @example repriceStages([{ ratioBps: 1_000, amountFen: 1_000, paid: true }, { ratioBps: 9_000, amountFen: 9_000, paid: false }], 12_000)
 * // { ok: true, amountsFen: [1_000, 11_000] }
 */
export function repriceStages(stages: readonly PricedStage[], newTotalFen: number): RepriceOutcome {
  assertFen(newTotalFen, 'newTotalFen');
  const unpaid = stages.flatMap((stage, index) => (stage.paid ? [] : [index]));
  if (unpaid.length === 0) return { ok: false, reason: 'everything_paid', message: 'every stage is paid: nothing is left to re-price' };
  const paidFen = stages.reduce((sum, stage) => sum + (stage.paid ? stage.amountFen : 0), 0);
  if (newTotalFen < paidFen) {
    return { ok: false, reason: 'below_paid', message: `the new total ${newTotalFen} fen is below the ${paidFen} fen already paid` };
  }
  const remainingFen = newTotalFen - paidFen;
  const unpaidRatios = unpaid.map((index) => stages[index]!.ratioBps);
  const unpaidRatioSum = unpaidRatios.reduce((a, b) => a + b, 0);
  const spreadFen =
    unpaidRatioSum === 0 ? unpaidRatios.map((_, i) => (i === unpaidRatios.length - 1 ? remainingFen : 0)) : spreadByWeights(remainingFen, unpaidRatios, unpaidRatioSum);
  const amountsFen = stages.map((stage) => stage.amountFen);
  unpaid.forEach((index, i) => {
    amountsFen[index] = spreadFen[i]!;
  });
  return { ok: true, amountsFen };
}

/** True when the non-refundable amounts stay within 20 % of the total (Σ × 10000 ≤ total × 2000). */
export function withinDepositLimit(totalFen: number, nonRefundableFen: number): boolean {
  // Compared as a cross-product of integers: no rounding decides a legal limit.
  return nonRefundableFen * FULL_RATIO_BPS <= totalFen * MAX_NON_REFUNDABLE_BPS;
}

function spread(totalFen: number, ratiosBps: readonly number[]): number[] {
  const parts = ratiosBps.map((bps) => applyBasisPoints(totalFen, bps));
  giveRemainder(parts, ratiosBps, totalFen);
  return parts;
}

/** floor(amount × weight / weightSum) each, remainder to the last non-zero weight. */
function spreadByWeights(amountFen: number, weights: readonly number[], weightSum: number): number[] {
  if (weightSum === FULL_RATIO_BPS) return spread(amountFen, weights);
  // A sub-sum of basis points: use BigInt so amount × weight never passes 2^53.
  const parts = weights.map((weight) => Number((BigInt(amountFen) * BigInt(weight)) / BigInt(weightSum)));
  giveRemainder(parts, weights, amountFen);
  return parts;
}

function giveRemainder(parts: number[], weights: readonly number[], totalFen: number): void {
  const remainder = totalFen - parts.reduce((a, b) => a + b, 0);
  const last = weights.findLastIndex((weight) => weight > 0);
  if (last >= 0) parts[last]! += remainder;
}

function assertFen(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer amount of fen, got ${value}`);
}
