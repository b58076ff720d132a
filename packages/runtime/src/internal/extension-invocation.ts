import { TkError, type PointBudget, type getExtensionPoint } from '@tongkit/sdk';
import type { InvocationResult, LogLine, Measurements } from '../contract.js';
import type { GuestCallResult } from './plugin-isolate.js';
import { mapGuestStack } from './source-map.js';
import { assertMatches, nestsDeeperThan } from './validation.js';

type ExtensionPointSpec = NonNullable<ReturnType<typeof getExtensionPoint>>;

/** How deep an extension point's output may nest objects and arrays (the catalogue's outputs use a few levels). */
export const MAX_OUTPUT_DEPTH = 64;

/**
 * Turns what the guest returned into the invocation's result: its own error (stack mapped to the
 * plugin's sources), a CPU budget overrun, or an output checked for depth, size, schema and the point's
 * own rules — in that order, so nothing recursive touches an output before its depth is known.
 */
export function judgeCall<O>(args: {
  point: string;
  spec: ExtensionPointSpec;
  input: unknown;
  call: GuestCallResult;
  budget: PointBudget;
  cpuBudgetMicros: number;
  sourceMap: string | undefined;
  measurements: Measurements;
}): InvocationResult<O> {
  const { point, spec, call, budget } = args;
  const { envelope } = call;
  const logs = envelope.l as LogLine[];
  const measurements: Measurements = {
    ...args.measurements,
    cpuMicros: call.cpuMicros,
    wallMicros: call.wallMicros,
    cpuHeadroomMicros: budget.cpuMs * 1000 - call.cpuMicros,
    heapUsedBytes: call.heapUsedBytes,
    logBytes: logs.reduce((sum, line) => sum + Buffer.byteLength(line.message) + 1, 0),
  };
  const fail = (error: unknown): InvocationResult<O> => ({
    ok: false,
    error: TkError.from(error, 'unexpected runtime failure'),
    logs,
    logsTruncated: envelope.t,
    measurements,
  });

  if (envelope.e) {
    const stack = mapGuestStack(envelope.e.stack, args.sourceMap);
    const where = stack.split('\n').find((line) => line.trim().startsWith('at '))?.trim();
    return fail(new TkError('TK_PLUGIN_ERROR', `${point} threw ${envelope.e.name}: ${envelope.e.message}${where ? ` (${where.replace(/^at /, '')})` : ''}`, { details: { stack } }));
  }
  if (envelope.x !== undefined) return fail(new TkError('TK_INVALID_OUTPUT', `${point} ${envelope.x}`, { path: '/' }));
  if (envelope.m !== undefined) return fail(new TkError('TK_PLUGIN_ERROR', envelope.m));
  if (call.cpuMicros > args.cpuBudgetMicros) {
    return fail(
      new TkError('TK_TIMEOUT', `${point} used ${(call.cpuMicros / 1000).toFixed(1)} ms of CPU, over its ${args.cpuBudgetMicros / 1000} ms budget`, {
        details: { cpuMicros: call.cpuMicros, cpuBudgetMicros: args.cpuBudgetMicros },
      }),
    );
  }
  const output = envelope.o;
  const checked = checkOutput(point, spec, args.input, output, budget);
  measurements.outputBytes = checked.bytes;
  if (checked.error) return fail(checked.error);
  return { ok: true, output: output as O, logs, logsTruncated: envelope.t, measurements };
}

/**
 * The checks an extension point's output must pass — depth first (nothing recursive touches it before),
 * then size, schema and the point's own rules. Returns its size in bytes and the first failure, if any.
 * The worker pool runs them again on what a worker returns: it does not take a worker's word for it.
 */
export function checkOutput(point: string, spec: ExtensionPointSpec, input: unknown, output: unknown, budget: PointBudget): { bytes: number; error?: TkError } {
  if (nestsDeeperThan(output, MAX_OUTPUT_DEPTH)) {
    return { bytes: 0, error: new TkError('TK_INVALID_OUTPUT', `${point} returned an output that nests deeper than ${MAX_OUTPUT_DEPTH} levels`, { path: '/' }) };
  }
  const json = JSON.stringify(output);
  if (json === undefined) return { bytes: 0, error: new TkError('TK_INVALID_OUTPUT', `${point} returned no output`, { path: '/' }) };
  const bytes = Buffer.byteLength(json);
  if (bytes > budget.outputBytes) {
    return {
      bytes,
      error: new TkError('TK_OUTPUT_TOO_LARGE', `${point} returned ${bytes} bytes, over the ${budget.outputBytes}-byte limit`, { details: { bytes, limit: budget.outputBytes } }),
    };
  }
  try {
    assertMatches(spec.output, output, 'TK_INVALID_OUTPUT', `the ${point} output`);
    const problem = spec.checkOutput?.(input, output)[0];
    if (problem) throw new TkError('TK_INVALID_OUTPUT', `the ${point} output is invalid at ${problem.path}: ${problem.message}`, { path: problem.path });
  } catch (error) {
    return { bytes, error: TkError.from(error, 'checking the output failed') };
  }
  return { bytes };
}
