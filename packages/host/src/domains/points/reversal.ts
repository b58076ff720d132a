/**
 * How much of an order's grant a refund reverses now. Reversal is cumulative, so partial refunds never
 * leak: after each refund the total reversed is `floor(granted × refundedToDate / paid)`, and this refund
 * reverses the part of it not reversed before. A full refund therefore reverses exactly what was granted,
 * and rounding never lets several small refunds reverse less (or more) than one large one.
 *
 * Computed with BigInt: `granted × refunded` can pass 2^53.
 *
 * @example
 * cumulativeReversal({ granted: 100, paidFen: 300, refundedToDateFen: 100, reversedSoFar: 0 }); // 33
 * cumulativeReversal({ granted: 100, paidFen: 300, refundedToDateFen: 200, reversedSoFar: 33 }); // 33 (66 in all)
 * cumulativeReversal({ granted: 100, paidFen: 300, refundedToDateFen: 300, reversedSoFar: 66 }); // 34 (100 in all)
 */
export function cumulativeReversal(order: { granted: number; paidFen: number; refundedToDateFen: number; reversedSoFar: number }): number {
  const { granted, paidFen, refundedToDateFen, reversedSoFar } = order;
  if (paidFen <= 0) throw new RangeError('paidFen must be positive');
  const due = Number((BigInt(granted) * BigInt(Math.min(refundedToDateFen, paidFen))) / BigInt(paidFen));
  return Math.max(0, due - reversedSoFar);
}
