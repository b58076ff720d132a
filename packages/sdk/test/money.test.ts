import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyBasisPoints, formatFen, isFen, splitByBasisPoints, yuanToFen } from '@tongkit/sdk';

/** Integer fen well inside the safe range (±¥10 billion). */
const fenAmount = fc.integer({ min: -1_000_000_000_000, max: 1_000_000_000_000 });

/** A list of basis points summing to exactly 10000 (cut points on 0..10000). */
const ratiosSummingTo10000 = fc
  .uniqueArray(fc.integer({ min: 1, max: 9_999 }), { maxLength: 8 })
  .map((cuts) => {
    const points = [0, ...cuts.sort((a, b) => a - b), 10_000];
    return points.slice(1).map((point, i) => point - points[i]!);
  });

describe('yuanToFen', () => {
  it('converts decimal strings exactly', () => {
    expect(yuanToFen('12.34')).toBe(1234);
    expect(yuanToFen('0.1')).toBe(10);
    expect(yuanToFen('0.01')).toBe(1);
    expect(yuanToFen('100')).toBe(10_000);
    expect(yuanToFen(' 7.5 ')).toBe(750);
    expect(yuanToFen('-3.50')).toBe(-350);
  });

  it('has no float drift for numbers that are not exact in binary', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(yuanToFen(0.1 + 0.2)).toBe(30);
    expect(yuanToFen(19.99)).toBe(1999);
    expect(yuanToFen(1.15)).toBe(115);
    expect(yuanToFen(4.35)).toBe(435);
    expect(Math.round(4.35 * 100)).toBe(435); // the naive way happens to work here…
    expect(Math.floor(4.35 * 100)).toBe(434); // …and not here
  });

  it('round-trips every amount of fen written as yuan (property)', () => {
    fc.assert(
      fc.property(fenAmount, (fen) => {
        expect(yuanToFen(fen / 100)).toBe(fen);
        const sign = fen < 0 ? '-' : '';
        const abs = Math.abs(fen);
        expect(yuanToFen(`${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`)).toBe(fen);
      }),
    );
  });

  it('refuses amounts with more than two decimals, and text that is not an amount', () => {
    for (const bad of ['1.005', '12.345', 'abc', '', '1,000.00', '¥12', '1e3', '--1', '.5', 'NaN']) {
      expect(() => yuanToFen(bad), bad).toThrow(RangeError);
    }
    expect(() => yuanToFen(Number.NaN)).toThrow(RangeError);
    expect(() => yuanToFen(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it('refuses amounts too large to count exactly in fen rather than rounding them', () => {
    expect(yuanToFen('90071992547409.91')).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => yuanToFen('90071992547409.93')).toThrow(RangeError);
    expect(() => yuanToFen('123456789012345678')).toThrow(RangeError);
  });
});

describe('formatFen', () => {
  it('formats fen as yuan with thousands separators and two decimals', () => {
    expect(formatFen(123_456)).toBe('¥1,234.56');
    expect(formatFen(0)).toBe('¥0.00');
    expect(formatFen(5)).toBe('¥0.05');
    expect(formatFen(100)).toBe('¥1.00');
    expect(formatFen(100_000_000)).toBe('¥1,000,000.00');
    expect(formatFen(-100_050)).toBe('-¥1,000.50');
  });

  it('is read back by yuanToFen to the same fen (property)', () => {
    fc.assert(
      fc.property(fenAmount, (fen) => {
        expect(yuanToFen(formatFen(fen).replace(/[¥,]/g, ''))).toBe(fen);
      }),
    );
  });
});

describe('isFen', () => {
  it('accepts safe integers only', () => {
    expect(isFen(0)).toBe(true);
    expect(isFen(-5)).toBe(true);
    expect(isFen(1.5)).toBe(false);
    expect(isFen(Number.NaN)).toBe(false);
    expect(isFen(2 ** 53)).toBe(false);
    expect(isFen('100')).toBe(false);
  });
});

describe('applyBasisPoints', () => {
  it('rounds down to the fen', () => {
    expect(applyBasisPoints(9_999, 250)).toBe(249); // 2.5% of ¥99.99 = 249.975 fen
    expect(applyBasisPoints(100, 3_333)).toBe(33);
    expect(applyBasisPoints(199, 5_000)).toBe(99);
    expect(applyBasisPoints(12_345, 10_000)).toBe(12_345);
    expect(applyBasisPoints(12_345, 0)).toBe(0);
  });

  it('stays exact for amounts whose product with the ratio passes 2^53', () => {
    const amount = 900_719_925_474_099; // ≈ ¥9 trillion
    expect(amount * 9_999).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
    expect(applyBasisPoints(amount, 9_999)).toBe(Number((BigInt(amount) * 9_999n) / 10_000n));
  });

  it('is the floor of amount × bps / 10000 for every amount and ratio (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 0, max: 10_000 }), (amount, bps) => {
        expect(applyBasisPoints(amount, bps)).toBe(Number((BigInt(amount) * BigInt(bps)) / 10_000n));
      }),
    );
  });
});

describe('splitByBasisPoints', () => {
  it('gives the rounding remainder to the last part', () => {
    expect(splitByBasisPoints(100_001, [3_000, 7_000])).toEqual([30_000, 70_001]);
    expect(splitByBasisPoints(100, [3_333, 3_333, 3_334])).toEqual([33, 33, 34]);
    expect(splitByBasisPoints(5, [10_000])).toEqual([5]);
  });

  it('refuses ratios that do not sum to 10000', () => {
    expect(() => splitByBasisPoints(1_000, [5_000, 4_000])).toThrow(/sum to 10000, got 9000/);
    expect(() => splitByBasisPoints(1_000, [5_000, 5_001])).toThrow(RangeError);
    expect(() => splitByBasisPoints(1_000, [])).toThrow(RangeError);
  });

  it('always sums to the total, with every part but the last exactly its ratio (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000_000 }), ratiosSummingTo10000, (total, ratios) => {
        const parts = splitByBasisPoints(total, ratios);
        expect(parts).toHaveLength(ratios.length);
        expect(parts.reduce((a, b) => a + b, 0)).toBe(total);
        parts.forEach((part, i) => {
          expect(Number.isSafeInteger(part)).toBe(true);
          expect(part).toBeGreaterThanOrEqual(0);
          if (i < parts.length - 1) expect(part).toBe(applyBasisPoints(total, ratios[i]!));
        });
      }),
    );
  });
});
