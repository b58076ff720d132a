import { styleText } from 'node:util';
import type { LogLine, Measurements } from '@tongkit/runtime';

type Style = 'red' | 'green' | 'yellow' | 'bold' | 'dim' | 'cyan';

/**
 * Characters a terminal acts on rather than shows: C0 controls but tab and newline (ESC starts the
 * sequences that set the clipboard, retitle the window, erase lines or hide text; CR rewrites the line),
 * DEL, C1 controls (U+009B is a one-character CSI), and the bidi marks, embeddings, overrides and
 * isolates that reorder what follows them.
 */
const ACTIVE_IN_A_TERMINAL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function escapeCodeUnit(char: string): string {
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Text a plugin, a fixture file or a host controls (logs, error messages, stacks, file names), made safe
 * to print: every character a terminal would act on is shown as an escape instead (`\x1b`, `\u202e`),
 * so a hostile plugin cannot write the clipboard, forge a ✔ or hide a ✖ on a reviewer's screen.
 * Newlines and tabs stay as they are.
 *
 * @example terminalSafe('ok\x1b[2K\r✔') // 'ok\\x1b[2K\\x0d✔'
 */
export function terminalSafe(text: string): string {
  return text.replace(ACTIVE_IN_A_TERMINAL, escapeCodeUnit);
}

/**
 * `JSON.stringify` for a terminal or a pipe. JSON.stringify already escapes C0 controls but leaves DEL,
 * C1 controls and bidi characters raw; they are written as `\uXXXX` here, which parses to the same value.
 */
export function jsonForTerminal(value: unknown, indent?: number): string {
  const json = JSON.stringify(value, null, indent) ?? 'null';
  return json.replace(ACTIVE_IN_A_TERMINAL, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Colours text for a terminal; plain when stderr/stdout is not a TTY or NO_COLOR is set. The text is
 * made {@link terminalSafe} first, so only the colour codes added here reach the terminal.
 */
export function paint(style: Style, text: string): string {
  return styleText(style, terminalSafe(text), { stream: process.stderr });
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
  const lines = logs.map((line) => `  ${paint('dim', line.level.padEnd(5))} ${terminalSafe(line.message)}`);
  if (truncated) lines.push(`  ${paint('yellow', '… more logs were dropped (1 KB per invocation)')}`);
  return lines;
}
