// The integer arithmetic of stored-value lots, pure so property tests can state it directly.
//
// A lot keeps its own principal:bonus ratio for life. A draw of `t` fen takes bonus so that the bonus
// taken from the lot *in total* is floor(taken_total × bonus / (principal + bonus)) — the cumulative rule,
// so a thousand 1-fen spends take exactly the bonus one spend of the same total would (neither "bonus
// first" nor "principal first" can be had by splitting a payment); the principal takes the rest. After a
// spend refund put fen back the lot may sit off that line; the take is then clamped to what is left of
// each part, so a lot never goes below zero.

/** What is left of a lot, and what it was topped up with. */
export interface LotState {
  principalFen: number;
  bonusFen: number;
  principalRemaining: number;
  bonusRemaining: number;
}

/** A draw from one lot. */
export interface Take {
  principalFen: number;
  bonusFen: number;
}

/** Takes up to `wantFen` from the lot at its ratio (see the file's header for the rounding). */
export function drawFromLot(lot: LotState, wantFen: number): Take {
  const remaining = lot.principalRemaining + lot.bonusRemaining;
  const take = Math.min(wantFen, remaining);
  if (take <= 0) return { principalFen: 0, bonusFen: 0 };
  const total = lot.principalFen + lot.bonusFen;
  const takenAfter = Math.min(total, Math.max(0, total - remaining) + take);
  // BigInt: principal × bonus products of large lots would pass 2^53.
  const bonusTakenAfter = Number((BigInt(takenAfter) * BigInt(lot.bonusFen)) / BigInt(total));
  const bonusTakenBefore = lot.bonusFen - lot.bonusRemaining;
  let bonus = clamp(bonusTakenAfter - bonusTakenBefore, 0, Math.min(take, lot.bonusRemaining));
  let principal = take - bonus;
  if (principal > lot.principalRemaining) {
    bonus += principal - lot.principalRemaining;
    principal = lot.principalRemaining;
  }
  return { principalFen: principal, bonusFen: bonus };
}

/**
 * How much of a take a refund of `wantFen` returns: at the take's own ratio with the same cumulative
 * rule (bonus returned in total = floor(returned_total × take.bonus / take.total)), so refunding a
 * spend in parts returns, in the end, exactly what it took of each part.
 */
export function refundOfTake(take: Take & { principalRefunded: number; bonusRefunded: number }, wantFen: number): Take {
  const total = take.principalFen + take.bonusFen;
  const refunded = take.principalRefunded + take.bonusRefunded;
  const back = Math.min(wantFen, total - refunded);
  if (back <= 0) return { principalFen: 0, bonusFen: 0 };
  const bonusAfter = Number((BigInt(refunded + back) * BigInt(take.bonusFen)) / BigInt(total));
  let bonus = clamp(bonusAfter - take.bonusRefunded, 0, Math.min(back, take.bonusFen - take.bonusRefunded));
  let principal = back - bonus;
  const principalLeft = take.principalFen - take.principalRefunded;
  if (principal > principalLeft) {
    bonus += principal - principalLeft;
    principal = principalLeft;
  }
  return { principalFen: principal, bonusFen: bonus };
}

/** The bonus a top-up of `principalFen` earns under the merchant's rules: the largest rule it reaches. */
export function bonusFor(rules: readonly { minPrincipalFen: number; bonusFen: number }[], principalFen: number): number {
  let best = 0;
  for (const rule of rules) if (principalFen >= rule.minPrincipalFen && rule.bonusFen > best) best = rule.bonusFen;
  return best;
}

const clamp = (n: number, low: number, high: number) => Math.max(low, Math.min(high, n));
