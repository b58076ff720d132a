// Property tests of the member.benefits.resolve merge rule: whatever installs propose and however the
// merchant stacks the classes, no line goes below zero, the total discount never exceeds the cart total,
// each line's discount is what the applied benefits took, and the tier fallback applies only when no
// install answered.
import fc from 'fast-check';
import { BENEFIT_CLASSES, STACKING_MODES, type Benefit, type BenefitsInput } from '@tongkit/sdk';
import { describe, expect, it } from 'vitest';
import { mergeBenefits, type BenefitsAnswer } from '../src/domains/checkout/index.js';

const lineIds = ['l0', 'l1', 'l2', 'l3'];
const cartArb = fc.array(fc.record({ quantity: fc.integer({ min: 1, max: 5 }), unitPriceFen: fc.integer({ min: 0, max: 500_000 }) }), { minLength: 1, maxLength: 4 }).map((lines) => {
  const full = lines.map((l, i) => ({ lineId: lineIds[i]!, sku: `S${i}`, category: 'c', ...l, totalFen: l.quantity * l.unitPriceFen }));
  return { channel: 'store' as const, storeId: null, totalFen: full.reduce((s, l) => s + l.totalFen, 0), lines: full };
});
const benefitArb: fc.Arbitrary<Benefit> = fc.record({
  class: fc.constantFrom(...BENEFIT_CLASSES),
  kind: fc.constantFrom('discount_bp' as const, 'discount_fen' as const, 'free_shipping' as const, 'gift' as const),
  ratioBp: fc.integer({ min: 0, max: 10_000 }),
  amountFen: fc.integer({ min: 0, max: 3_000_000 }),
  lineIds: fc.subarray(lineIds.slice(0, 2)),
  label: fc.constant('b'),
});
const answerArb = fc.oneof(
  fc.record({ installId: fc.constantFrom('i1', 'i2', 'i3'), plugin: fc.constant('p'), ok: fc.constant(true as const), benefits: fc.array(benefitArb, { maxLength: 6 }) }),
  fc.record({ installId: fc.constantFrom('i1', 'i2', 'i3'), plugin: fc.constant('p'), ok: fc.constant(false as const), errorCode: fc.constant('TK_PLUGIN_ERROR') }),
);
const stackingArb = fc.dictionary(fc.constantFrom(...BENEFIT_CLASSES), fc.constantFrom(...STACKING_MODES));

describe('mergeBenefits', () => {
  it('never discounts more than the cart total, nor a line below zero', () => {
    fc.assert(
      fc.property(cartArb, fc.array(answerArb, { maxLength: 4 }), fc.array(benefitArb, { maxLength: 3 }), stackingArb, (cart, answers, fallback, stacking) => {
        const input: BenefitsInput = { member: { id: 'm', tierId: null, pointsBalance: 0, storedValueFen: 0, birthdayThisMonth: false }, cart, tierBenefits: null, now: '2026-12-01T00:00:00Z' };
        const known = (b: Benefit) => ({ ...b, lineIds: b.lineIds.filter((id) => cart.lines.some((l) => l.lineId === id)) });
        const merged = mergeBenefits(input, answers.map((a) => (a.ok ? { ...a, benefits: a.benefits.map(known) } : a)) as BenefitsAnswer[], fallback.map(known), stacking);
        expect(merged.discountFen).toBeLessThanOrEqual(cart.totalFen);
        expect(merged.discountFen).toBeGreaterThanOrEqual(0);
        for (const line of merged.lines) {
          expect(line.finalFen).toBeGreaterThanOrEqual(0);
          expect(line.finalFen + line.discountFen).toBe(line.totalFen);
        }
        expect(merged.applied.reduce((s, b) => s + b.discountFen, 0)).toBe(merged.discountFen);
        const anyAnswered = answers.some((a) => a.ok);
        expect(merged.source).toBe(anyAnswered ? 'plugins' : 'tier_fallback');
        if (anyAnswered) expect(merged.applied.every((b) => b.installId !== null)).toBe(true);
        // Exclusive classes: one install's benefits only; best-of classes: one benefit at most.
        for (const cls of BENEFIT_CLASSES) {
          const ofClass = merged.applied.filter((b) => b.class === cls);
          if (stacking[cls] === 'exclusive') expect(new Set(ofClass.map((b) => b.installId)).size).toBeLessThanOrEqual(1);
          if (stacking[cls] === 'best-of') expect(ofClass.length + merged.dropped.filter((b) => b.class === cls && b.reason === 'nothing_left').length).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 500 },
    );
  });
});
