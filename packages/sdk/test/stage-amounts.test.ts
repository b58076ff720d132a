import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyBasisPoints,
  checkServicePlan,
  EXTENSION_POINTS,
  repriceStages,
  stageAmounts,
  withinDepositLimit,
  type PricedStage,
  type ServiceStagePlan,
} from '@tongkit/sdk';

/** 1–10 ratios summing to 10000, with zeros likely (install_appointment is often 0 %). */
const ratiosSummingTo10000 = fc
  .array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 10_000 })), { minLength: 0, maxLength: 9 })
  .map((cuts) => {
    const points = [0, ...cuts.map((c) => c % 10_001).sort((a, b) => a - b), 10_000];
    return points.slice(1).map((p, i) => p - points[i]!);
  });
const totals = fc.oneof(fc.integer({ min: 0, max: 1_000 }), fc.integer({ min: 0, max: 100_000_000_000 }));

const stage = (ratioBps: number, extra: Partial<ServiceStagePlan> = {}): ServiceStagePlan => ({
  kind: 'installation',
  ratioBps,
  needsAppointment: false,
  refundable: true,
  due: 'after_previous_completes',
  ...extra,
});

describe('stage amounts', () => {
  it('gives each stage floor(total × ratio / 10000) and the remainder to the last non-zero stage', () => {
    expect(stageAmounts(100_001, [1_000, 1_000, 3_000, 0, 5_000])).toEqual([10_000, 10_000, 30_000, 0, 50_001]);
    expect(stageAmounts(100_001, [1_000, 9_000, 0])).toEqual([10_000, 90_001, 0]);
    expect(stageAmounts(100, [3_333, 3_333, 3_334])).toEqual([33, 33, 34]);
  });

  it('refuses ratios that do not sum to 10000', () => {
    expect(() => stageAmounts(1_000, [5_000, 4_000])).toThrow(/summing to 10000/);
    expect(() => stageAmounts(1_000, [])).toThrow(RangeError);
    expect(() => stageAmounts(-1, [10_000])).toThrow(/non-negative/);
  });

  it('always sums exactly to the total and never charges a zero-ratio stage (property)', () => {
    fc.assert(
      fc.property(totals, ratiosSummingTo10000, (total, ratios) => {
        const amounts = stageAmounts(total, ratios);
        expect(amounts.reduce((a, b) => a + b, 0)).toBe(total);
        const last = ratios.findLastIndex((r) => r > 0);
        amounts.forEach((amount, i) => {
          expect(Number.isSafeInteger(amount) && amount >= 0).toBe(true);
          if (ratios[i] === 0) expect(amount).toBe(0);
          else if (i !== last) expect(amount).toBe(applyBasisPoints(total, ratios[i]!));
        });
      }),
    );
  });
});

describe('re-pricing', () => {
  const priced = (ratios: number[], total: number, paidCount: number): PricedStage[] =>
    stageAmounts(total, ratios).map((amountFen, i) => ({ ratioBps: ratios[i]!, amountFen, paid: i < paidCount }));

  it('changes only the unpaid stages, spread by their ratios with the remainder to the last non-zero one', () => {
    // 10/10/30/0/50 % of ¥1000, deposit and measurement paid, re-priced to ¥1200.01 after measurement.
    const stages = priced([1_000, 1_000, 3_000, 0, 5_000], 100_000, 2);
    expect(repriceStages(stages, 120_001)).toEqual({ ok: true, amountsFen: [10_000, 10_000, 37_500, 0, 62_501] });
  });

  it('gives everything to the last unpaid stage when every unpaid ratio is 0', () => {
    const stages: PricedStage[] = [
      { ratioBps: 10_000, amountFen: 5_000, paid: true },
      { ratioBps: 0, amountFen: 0, paid: false },
      { ratioBps: 0, amountFen: 0, paid: false },
    ];
    expect(repriceStages(stages, 7_000)).toEqual({ ok: true, amountsFen: [5_000, 0, 2_000] });
  });

  it('refuses a total below what is paid, and a re-price when everything is paid', () => {
    const stages = priced([2_000, 8_000], 10_000, 1);
    expect(repriceStages(stages, 1_999)).toMatchObject({ ok: false, reason: 'below_paid' });
    expect(repriceStages(priced([2_000, 8_000], 10_000, 2), 20_000)).toMatchObject({ ok: false, reason: 'everything_paid' });
  });

  it('keeps paid amounts fixed and sums exactly to the new total, after any sequence of re-prices (property)', () => {
    fc.assert(
      fc.property(totals, ratiosSummingTo10000, fc.array(fc.tuple(fc.nat(10), totals), { minLength: 1, maxLength: 5 }), (total, ratios, steps) => {
        let stages = priced(ratios, total, 0);
        for (const [payCount, newTotal] of steps) {
          // Pay some more stages (payments only move forward), then re-price.
          const paidNow = Math.max(stages.filter((s) => s.paid).length, Math.min(payCount, stages.length));
          stages = stages.map((s, i) => ({ ...s, paid: i < paidNow }));
          const paidBefore = stages.map((s) => (s.paid ? s.amountFen : null));
          const paidFen = stages.reduce((sum, s) => sum + (s.paid ? s.amountFen : 0), 0);
          const outcome = repriceStages(stages, newTotal);
          if (paidNow === stages.length) {
            expect(outcome).toMatchObject({ ok: false, reason: 'everything_paid' });
            continue;
          }
          if (newTotal < paidFen) {
            expect(outcome).toMatchObject({ ok: false, reason: 'below_paid' });
            continue;
          }
          if (!outcome.ok) throw new Error(outcome.message);
          expect(outcome.amountsFen.reduce((a, b) => a + b, 0)).toBe(newTotal);
          outcome.amountsFen.forEach((amount, i) => {
            expect(amount).toBeGreaterThanOrEqual(0);
            if (paidBefore[i] !== null) expect(amount).toBe(paidBefore[i]);
          });
          const unpaid = stages.flatMap((s, i) => (s.paid ? [] : [i]));
          if (unpaid.some((i) => stages[i]!.ratioBps > 0)) {
            for (const i of unpaid) if (stages[i]!.ratioBps === 0) expect(outcome.amountsFen[i]).toBe(0);
          }
          stages = stages.map((s, i) => ({ ...s, amountFen: outcome.amountsFen[i]! }));
        }
      }),
    );
  });
});

describe('plan checks', () => {
  it('accepts a 10/10/30/0/50 % furniture plan with a 10 % non-refundable deposit', () => {
    const plan = [
      stage(1_000, { kind: 'design_order', refundable: false, due: 'on_creation' }),
      stage(1_000, { kind: 'measurement', needsAppointment: true }),
      stage(3_000, { kind: 'design_delivery' }),
      stage(0, { kind: 'install_appointment', needsAppointment: true }),
      stage(5_000, { kind: 'installation', needsAppointment: true, due: 'after_completion' }),
    ];
    expect(checkServicePlan(plan, 1_234_567)).toEqual([]);
  });

  it('refuses non-refundable stages above 20 % with the path of the stage', () => {
    const plan = [stage(1_500, { refundable: false }), stage(1_000, { refundable: false }), stage(7_500)];
    expect(checkServicePlan(plan, 100_000)).toEqual([{ path: '/stages/1/refundable', message: expect.stringMatching(/at most 20 %/) }]);
    expect(checkServicePlan([stage(2_000, { refundable: false }), stage(8_000)], 100_000)).toEqual([]);
  });

  it('refuses the remainder pushing a deposit over 20 % by amount', () => {
    // 20 % of 3 fen is 0.6 fen: the last non-zero stage (the deposit) gets the remainder, 1 fen > 0.6.
    expect(checkServicePlan([stage(8_000), stage(2_000, { refundable: false })], 3)).toHaveLength(1);
    expect(withinDepositLimit(5, 1)).toBe(true);
    expect(withinDepositLimit(4, 1)).toBe(false);
  });

  it('refuses ratios not summing to 10000, more than 10 stages, and a custom stage without a label', () => {
    expect(checkServicePlan([stage(5_000), stage(4_999)], 100)).toEqual([{ path: '/stages', message: expect.stringMatching(/got 9999/) }]);
    expect(checkServicePlan(Array.from({ length: 11 }, (_, i) => stage(i === 0 ? 10_000 : 0)), 100)[0]?.path).toBe('/stages');
    expect(checkServicePlan([stage(10_000, { kind: 'custom' })], 100)).toEqual([{ path: '/stages/0/label', message: 'a custom stage needs a label' }]);
    expect(checkServicePlan([stage(10_000, { kind: 'polish' as 'custom' })], 100)[0]?.path).toBe('/stages/0/kind');
  });

  it('service.plan falls back to a single full payment and checks outputs with the JSON path', () => {
    const point = EXTENSION_POINTS['service.plan'];
    const input = { order: { id: 'o1', totalFen: 100_000, channel: 'store', storeId: 's1', lines: [], category: 'sofa' }, member: null, now: '2026-12-03T00:00:00Z' } as const;
    expect(point.fallbackOutput().stages).toEqual([expect.objectContaining({ ratioBps: 10_000, refundable: true })]);
    expect(point.checkOutput(input, { stages: [stage(9_000)] })).toEqual([{ path: '/stages', message: expect.any(String) }]);
  });

  it('every valid plan check agrees with the amounts rule (property)', () => {
    fc.assert(
      fc.property(totals, ratiosSummingTo10000, fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }), (total, ratios, refundable) => {
        const plan = ratios.map((r, i) => stage(r, { refundable: refundable[i]! }));
        const amounts = stageAmounts(total, ratios);
        const nonRefundableBps = ratios.reduce((s, r, i) => s + (refundable[i] ? 0 : r), 0);
        const nonRefundableFen = amounts.reduce((s, a, i) => s + (refundable[i] ? 0 : a), 0);
        const ok = nonRefundableBps <= 2_000 && nonRefundableFen * 10_000 <= total * 2_000;
        expect(checkServicePlan(plan, total).length === 0).toBe(ok);
      }),
    );
  });
});
