import { TraceMap, originalPositionFor } from '@jridgewell/trace-mapping';
import { PRELUDE_FILENAME } from './prelude.js';

const FRAME = /plugin\.js:(\d+):(\d+)/g;

/**
 * Rewrites `plugin.js:LINE:COL` positions in a guest stack to the plugin's own sources
 * (`src/index.ts:12:7`) and drops the sandbox prelude's frames.
 */
export function mapGuestStack(stack: string, sourceMap: string | undefined): string {
  let trace: TraceMap | undefined;
  if (sourceMap) {
    try {
      trace = new TraceMap(sourceMap);
    } catch {
      trace = undefined;
    }
  }
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
