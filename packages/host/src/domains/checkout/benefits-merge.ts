import { BENEFIT_CLASSES, type Benefit, type BenefitClass, type BenefitsInput, type StackingMode } from '@tongkit/sdk';

/** One install's answer to `member.benefits.resolve`, in install order (ok: false contributes nothing). */
export type BenefitsAnswer = { installId: string; plugin: string; ok: true; benefits: Benefit[] } | { installId: string; plugin: string; ok: false; errorCode: string };

/** The merchant's stacking per class; classes it does not name stack. */
export type Stacking = Partial<Record<BenefitClass, StackingMode>>;

/** A benefit as applied: who proposed it and what it took off, in fen. */
export interface AppliedBenefit extends Benefit {
  installId: string | null;
  plugin: string | null;
  /** What this benefit took off the cart (0 for shipping, gifts, multipliers). */
  discountFen: number;
  /** `cut_to_price`: a discount larger than what was left of its lines. */
  status: 'applied' | 'cut_to_price';
}

/** A benefit the merge left out, and why. */
export interface DroppedBenefit extends Benefit {
  installId: string | null;
  plugin: string | null;
  reason: 'not_best' | 'exclusive_taken' | 'nothing_left';
}

/** The merged result: final price per line, what applied, what did not, which installs failed. */
export interface BenefitsResolution {
  lines: Array<{ lineId: string; totalFen: number; discountFen: number; finalFen: number }>;
  totalFen: number;
  discountFen: number;
  finalFen: number;
  applied: AppliedBenefit[];
  dropped: DroppedBenefit[];
  failed: Array<{ installId: string; plugin: string; errorCode: string }>;
  source: 'plugins' | 'tier_fallback';
}

type Proposed = Benefit & { installId: string | null; plugin: string | null; order: number };

const linesOf = (benefit: Benefit, cart: BenefitsInput['cart']) => (benefit.lineIds.length === 0 ? cart.lines : cart.lines.filter((l) => benefit.lineIds.includes(l.lineId)));

/** What a discount would take off its lines at full prices (the measure best-of compares). */
function nominalFen(benefit: Benefit, cart: BenefitsInput['cart']): number {
  const base = linesOf(benefit, cart).reduce((sum, l) => sum + l.totalFen, 0);
  if (benefit.kind === 'discount_bp') return Number((BigInt(base) * BigInt(benefit.ratioBp ?? 0)) / 10_000n);
  if (benefit.kind === 'discount_fen') return Math.min(base, benefit.amountFen ?? 0);
  return 0;
}

/**
 * The merge rule of `member.benefits.resolve`. Every install that answered proposes its benefits; a
 * failed install (error, invalid output, paused) contributes nothing. When no install answered, the
 * tier's base benefits (`fallback`) apply, once. Per class the merchant's stacking decides: `stack` keeps
 * all, `best-of` keeps the one benefit taking off the most (at full prices; ties: install order),
 * `exclusive` keeps the first install's benefits of the class only. Discounts then apply in the
 * vocabulary's class order and install order, each on what is left of its lines: a `discount_bp` takes
 * floor(left × bp / 10000) per line, a `discount_fen` is spread over its lines by what is left of them
 * (floor, the remainder fen by fen to the lines in cart order that have room), and no line goes below zero — so the total discount
 * never exceeds the cart total.
 */
export function mergeBenefits(input: BenefitsInput, answers: readonly BenefitsAnswer[], fallback: Benefit[], stacking: Stacking): BenefitsResolution {
  const answered = answers.filter((a): a is Extract<BenefitsAnswer, { ok: true }> => a.ok);
  let order = 0;
  const proposed: Proposed[] =
    answered.length > 0 ? answered.flatMap((a) => a.benefits.map((b) => ({ ...b, installId: a.installId, plugin: a.plugin, order: order++ }))) : fallback.map((b) => ({ ...b, installId: null, plugin: null, order: order++ }));
  const dropped: DroppedBenefit[] = [];
  const kept: Proposed[] = [];
  for (const cls of BENEFIT_CLASSES) {
    const ofClass = proposed.filter((b) => b.class === cls);
    const mode = stacking[cls] ?? 'stack';
    let keep = ofClass;
    if (mode === 'best-of' && ofClass.length > 1) {
      const best = ofClass.reduce((a, b) => (nominalFen(b, input.cart) > nominalFen(a, input.cart) ? b : a));
      keep = [best];
      for (const b of ofClass) if (b !== best) dropped.push(strip(b, 'not_best'));
    } else if (mode === 'exclusive' && ofClass.length > 0) {
      const owner = ofClass[0]!.installId;
      keep = ofClass.filter((b) => b.installId === owner);
      for (const b of ofClass) if (b.installId !== owner) dropped.push(strip(b, 'exclusive_taken'));
    }
    kept.push(...keep);
  }

  const left = new Map(input.cart.lines.map((l) => [l.lineId, l.totalFen]));
  const applied: AppliedBenefit[] = [];
  for (const benefit of kept) {
    if (benefit.kind !== 'discount_bp' && benefit.kind !== 'discount_fen') {
      applied.push({ ...strip(benefit), discountFen: 0, status: 'applied' });
      continue;
    }
    const lines = linesOf(benefit, input.cart);
    const room = lines.reduce((sum, l) => sum + left.get(l.lineId)!, 0);
    if (room === 0) {
      dropped.push(strip(benefit, 'nothing_left'));
      continue;
    }
    let taken = 0;
    let wanted: number;
    if (benefit.kind === 'discount_bp') {
      wanted = 0;
      for (const l of lines) {
        const cut = Number((BigInt(left.get(l.lineId)!) * BigInt(benefit.ratioBp ?? 0)) / 10_000n);
        left.set(l.lineId, left.get(l.lineId)! - cut);
        taken += cut;
      }
      wanted = taken;
    } else {
      wanted = benefit.amountFen ?? 0;
      const amount = Math.min(wanted, room);
      const shares = lines.map((l) => Number((BigInt(amount) * BigInt(left.get(l.lineId)!)) / BigInt(room)));
      let remainder = amount - shares.reduce((a, b) => a + b, 0);
      lines.forEach((l, i) => {
        let cut = shares[i]!;
        const extra = Math.min(remainder, left.get(l.lineId)! - cut);
        cut += extra;
        remainder -= extra;
        left.set(l.lineId, left.get(l.lineId)! - cut);
        taken += cut;
      });
    }
    applied.push({ ...strip(benefit), discountFen: taken, status: taken < wanted ? 'cut_to_price' : 'applied' });
  }
  const lines = input.cart.lines.map((l) => ({ lineId: l.lineId, totalFen: l.totalFen, discountFen: l.totalFen - left.get(l.lineId)!, finalFen: left.get(l.lineId)! }));
  const totalFen = lines.reduce((sum, l) => sum + l.totalFen, 0);
  const finalFen = lines.reduce((sum, l) => sum + l.finalFen, 0);
  return {
    lines,
    totalFen,
    discountFen: totalFen - finalFen,
    finalFen,
    applied,
    dropped,
    failed: answers.filter((a): a is Extract<BenefitsAnswer, { ok: false }> => !a.ok).map((a) => ({ installId: a.installId, plugin: a.plugin, errorCode: a.errorCode })),
    source: answered.length > 0 ? 'plugins' : 'tier_fallback',
  };
}

function strip<R extends DroppedBenefit['reason'] | undefined>(b: Proposed, reason?: R): R extends string ? DroppedBenefit : Omit<Proposed, 'order'> {
  const { order: _order, ...rest } = b;
  return (reason === undefined ? rest : { ...rest, reason }) as never;
}
