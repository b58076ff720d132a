import { TraceMap, originalPositionFor } from '@jridgewell/trace-mapping';
import { PRELUDE_FILENAME } from './prelude.js';

const FRAME = /plugin\.js:(\d+):(\d+)/g;

/**
 * Parsed source maps, by their text: a plugin can make the host map a stack on every call (by
 * throwing), so each map is parsed once, not per error. Keyed by the string the loaded bundle holds
 * (V8 caches a string's hash), bounded like the runtime's code cache.
 */
const parsed = new Map<string, TraceMap | null>();
const MAX_PARSED = 16;

function traceOf(sourceMap: string): TraceMap | undefined {
  let trace = parsed.get(sourceMap);
  if (trace === undefined) {
    try {
      trace = new TraceMap(sourceMap);
    } catch {
      trace = null;
    }
    if (parsed.size >= MAX_PARSED) parsed.delete(parsed.keys().next().value!);
    parsed.set(sourceMap, trace);
  }
  return trace ?? undefined;
}

/**
 * Rewrites `plugin.js:LINE:COL` positions in a guest stack to the plugin's own sources
 * (`src/index.ts:12:7`) and drops the sandbox prelude's frames.
 */
export function mapGuestStack(stack: string, sourceMap: string | undefined): string {
  const trace = sourceMap ? traceOf(sourceMap) : undefined;
  return stack
    .split('\n')
    .filter((line) => !line.includes(PRELUDE_FILENAME))
    .map((line) =>
      trace
        ? line.replace(FRAME, (whole, line1: string, column1: string) => {
            const position = originalPositionFor(trace!, { line: Number(line1), column: Number(column1) - 1 });
            if (!position.source || position.line === null) return whole;
            return `${position.source.replace(/^(\.\.\/)+/, '')}:${position.line}:${position.column + 1}`;
          })
        : line,
    )
    .join('\n');
}
