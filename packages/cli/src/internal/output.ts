import { styleText } from 'node:util';
import type { LogLine, Measurements } from '@tongkit/runtime';

type Style = 'red' | 'green' | 'yellow' | 'bold' | 'dim' | 'cyan';

/** Colours text for a terminal; plain when stderr/stdout is not a TTY or NO_COLOR is set. */
export function paint(style: Style, text: string): string {
  return styleText(style, text, { stream: process.stderr });
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function micros(n: number): string {
  return n < 1000 ? `${n} µs` : `${(n / 1000).toFixed(2)} ms`;
}

/** One line of measurements, e.g. `cpu 80 µs of 20 ms (99.6% headroom) · wall 108 µs · heap 0.6 MB of 16 MB …`. */
export function formatMeasurements(m: Measurements): string {
  const headroom = m.cpuBudgetMicros === 0 ? 0 : (m.cpuHeadroomMicros / m.cpuBudgetMicros) * 100;
  return [
    `cpu ${micros(m.cpuMicros)} of ${micros(m.cpuBudgetMicros)} (${headroom.toFixed(1)}% headroom)`,
    `wall ${micros(m.wallMicros)}`,
    `heap ${bytes(m.heapUsedBytes)} of ${bytes(m.heapLimitBytes)}`,
    `input ${bytes(m.inputBytes)}`,
    `output ${bytes(m.outputBytes)}`,
    `isolate ${m.isolate}`,
  ].join(' · ');
}

export function formatLogs(logs: readonly LogLine[], truncated: boolean): string[] {
  const lines = logs.map((line) => `  ${paint('dim', line.level.padEnd(5))} ${line.message}`);
  if (truncated) lines.push(`  ${paint('yellow', '… more logs were dropped (1 KB per invocation)')}`);
  return lines;
}
