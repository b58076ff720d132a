// Timing, percentiles and the text table.

export const now = () => process.hrtime.bigint();

/** Percentile (nearest rank) of an ascending-sorted Float64Array. */
function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/**
 * Summary of per-call samples (nanoseconds). `busyNs` is the wall time of the timed loops, so
 * calls/s counts everything between calls too (await, result checks, the timer itself).
 */
export function summarize(samplesNs, busyNs) {
  const sorted = Float64Array.from(samplesNs).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const us = (ns) => Math.round(ns / 10) / 100; // µs with 2 decimals
  return {
    n: sorted.length,
    minUs: us(sorted[0]),
    p50Us: us(percentile(sorted, 50)),
    p90Us: us(percentile(sorted, 90)),
    p99Us: us(percentile(sorted, 99)),
    maxUs: us(sorted[sorted.length - 1]),
    meanUs: us(sum / sorted.length),
    callsPerSec: busyNs > 0 ? Math.round((sorted.length * 1e9) / busyNs) : null,
  };
}

/** Formats microseconds for humans: 0.21 µs, 12.3 µs, 2.41 ms. */
export function fmtUs(us) {
  if (us == null || Number.isNaN(us)) return '–';
  if (us >= 1000) return `${(us / 1000).toFixed(2)} ms`;
  if (us >= 100) return `${us.toFixed(0)} µs`;
  if (us >= 10) return `${us.toFixed(1)} µs`;
  return `${us.toFixed(2)} µs`;
}

export function fmtRatio(r) {
  if (r == null || !Number.isFinite(r)) return '–';
  if (r >= 100) return `${r.toFixed(0)}×`;
  if (r >= 10) return `${r.toFixed(1)}×`;
  return `${r.toFixed(2)}×`;
}

export function fmtRate(n) {
  if (n == null) return '–';
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

export function fmtBytes(b) {
  return b >= 1024 ? `${(b / 1024).toFixed(1)} KB` : `${b} B`;
}

/** A plain-text table: `columns` = [{ title, align }], rows = arrays of strings. */
export function table(columns, rows) {
  const widths = columns.map((c, i) => Math.max(c.title.length, ...rows.map((r) => String(r[i]).length)));
  const cell = (text, i) => (columns[i].align === 'left' ? String(text).padEnd(widths[i]) : String(text).padStart(widths[i]));
  const line = (r) => `  ${r.map(cell).join('  ')}`.trimEnd();
  return [line(columns.map((c) => c.title)), `  ${widths.map((w) => '─'.repeat(w)).join('  ')}`, ...rows.map(line)].join('\n');
}
