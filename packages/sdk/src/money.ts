// Money is integer fen and ratios are integer basis points everywhere in Tongkit: floats drift
// (0.1 + 0.2 ≠ 0.3) and a ledger must add up to the fen. These helpers are safe to bundle into plugins.

/** True when `value` is a safe integer amount of fen. */
export function isFen(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

/**
 * Converts yuan (as a decimal string like `"12.34"`, or a number) to integer fen without float drift.
 *
 * @example yuanToFen('12.34') // 1234
 */
export function yuanToFen(yuan: string | number): number {
  const text = typeof yuan === 'number' ? yuan.toFixed(2) : yuan.trim();
  const match = /^(-)?(\d+)(?:\.(\d{1,2}))?$/.exec(text);
  if (!match) throw new RangeError(`not an amount of yuan with at most 2 decimals: ${String(yuan)}`);
  const fen = Number(match[2]) * 100 + Number((match[3] ?? '').padEnd(2, '0'));
  if (!Number.isSafeInteger(fen)) throw new RangeError(`too many yuan to count exactly in fen: ${String(yuan)}`);
  return match[1] ? -fen : fen;
}

/**
 * Formats fen as yuan, e.g. `¥1,234.56`.
 *
 * @example formatFen(123456) // '¥1,234.56'
 */
export function formatFen(fen: number): string {
  if (!Number.isSafeInteger(fen)) throw new RangeError(`not an integer amount of fen: ${fen}`);
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  const yuan = Math.floor(abs / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}¥${yuan}.${String(abs % 100).padStart(2, '0')}`;
}

/**
 * Applies a ratio in basis points to an amount in fen, rounding down (the merchant never pays a fen
 * more than the ratio says).
 *
 * @example applyBasisPoints(9_999, 250) // 249  (2.5% of ¥99.99)
 */
export function applyBasisPoints(amountFen: number, basisPoints: number): number {
  // amount × bps can pass 2^53 for large amounts; split the amount so every product stays exact.
  const whole = Math.floor(amountFen / 10_000);
  const rest = amountFen - whole * 10_000;
  return whole * basisPoints + Math.floor((rest * basisPoints) / 10_000);
}

/**
 * Splits an amount into parts by basis points that sum to 10000, giving the rounding remainder to the
 * last part so the parts always add up to the total (e.g. staged payments of a service order).
 *
 * @example splitByBasisPoints(100_001, [3_000, 7_000]) // [30_000, 70_001]
 */
export function splitByBasisPoints(totalFen: number, ratios: readonly number[]): number[] {
  const sum = ratios.reduce((a, b) => a + b, 0);
  if (sum !== 10_000) throw new RangeError(`basis points must sum to 10000, got ${sum}`);
  const parts = ratios.map((bps) => applyBasisPoints(totalFen, bps));
  const remainder = totalFen - parts.reduce((a, b) => a + b, 0);
  if (parts.length > 0) parts[parts.length - 1]! += remainder;
  return parts;
}
