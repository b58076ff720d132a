// A handler may pass its first call on a new isolate only because that call gets FIRST_CALL_CPU_FACTOR ×
// the CPU budget (it compiles the handler). Fixtures (`tongkit test`, the host's review) and `tongkit run`
// judge such a pass on a warm call. A scripted plugin stands in for the sandbox here, so that what each
// call costs is exact whatever the machine's load (isolated-vm's cpuTime counts descheduled time); the
// allowance itself is tested on the real runtime in limits.test.ts.
import { describe, expect, it } from 'vitest';
import { TkError, type ExtensionPointId } from '@tongkit/sdk';
import { judgeOnAWarmCall, passedOnFirstCallAllowance, runFixtures, type InvocationResult, type LoadedPlugin, type Measurements } from '@tongkit/runtime';

const BUDGET = 20_000;
const POINT: ExtensionPointId = 'member.tier.compute';
const OUTPUT = { tierId: 'gold', reason: 'scripted' };

function measurements(cpuMicros: number): Measurements {
  return { cpuMicros, wallMicros: cpuMicros, cpuBudgetMicros: BUDGET, cpuHeadroomMicros: BUDGET - cpuMicros, heapUsedBytes: 0, heapLimitBytes: 16 << 20, inputBytes: 2, outputBytes: 40, hostCalls: 0, logBytes: 0, isolate: 'warm' } as unknown as Measurements;
}

/**
 * A plugin whose every call costs `cpuMicros`, judged as the runtime does: a new isolate's first call
 * (and every `fresh` call) against 5× the budget, every later call against the budget itself.
 */
function scripted(cpuMicros: number): LoadedPlugin & { calls: number } {
  let warmCalls = 0;
  const plugin = {
    calls: 0,
    async invoke(_point: ExtensionPointId, _input: unknown, _settings?: unknown, options?: { fresh?: boolean }): Promise<InvocationResult> {
      plugin.calls++;
      const first = options?.fresh === true || warmCalls++ === 0;
      const budget = first ? 5 * BUDGET : BUDGET;
      if (cpuMicros <= budget) return { ok: true, output: OUTPUT, logs: [], logsTruncated: false, measurements: measurements(cpuMicros) };
      const error = new TkError('TK_TIMEOUT', `used ${cpuMicros / 1000} ms of CPU, over its ${budget / 1000} ms budget`, { details: { cpuMicros, cpuBudgetMicros: budget } });
      return { ok: false, error, logs: [], logsTruncated: false, measurements: measurements(cpuMicros) };
    },
  };
  return plugin as unknown as LoadedPlugin & { calls: number };
}

const fixture = { file: 'fixtures/gold.json', point: POINT, input: {}, expect: OUTPUT };

describe('judging a pass on the first-call allowance', () => {
  it('tells a pass over the budget (the first call) from one within it', async () => {
    expect(passedOnFirstCallAllowance(await scripted(50_000).invoke(POINT, {}))).toBe(true);
    expect(passedOnFirstCallAllowance(await scripted(5_000).invoke(POINT, {}))).toBe(false);
  });

  it('judges on a warm call: TK_TIMEOUT saying every warm call would fail', async () => {
    const plugin = scripted(50_000);
    const first = await plugin.invoke(POINT, {});
    const judged = await judgeOnAWarmCall(plugin, POINT, {}, {}, first.measurements);
    expect(judged.ok).toBe(false);
    if (judged.ok) return;
    expect(judged.error.code).toBe('TK_TIMEOUT');
    expect(judged.error.message).toMatch(/every warm call would fail/);
    expect(judged.error.details).toMatchObject({ cpuMicros: 50_000, cpuBudgetMicros: BUDGET, firstCallCpuMicros: 50_000 });
  });

  it('passes a fixture within the budget, and one that is over it fails with TK_TIMEOUT, not as "keeps state"', async () => {
    const [within] = await runFixtures(scripted(5_000), [fixture]);
    expect(within).toMatchObject({ passed: true, stateful: false });

    const [over] = await runFixtures(scripted(50_000), [fixture]);
    expect(over!.passed).toBe(false);
    expect(over!.failure).toMatch(/^TK_TIMEOUT: .*every warm call would fail/);
    expect(over!.stateful).toBe(false);
  });

  it('fails a fixture over even the first-call allowance with the first call\'s own TK_TIMEOUT', async () => {
    const [over] = await runFixtures(scripted(500_000), [fixture]);
    expect(over!.passed).toBe(false);
    expect(over!.failure).toMatch(/^TK_TIMEOUT: used 500 ms of CPU, over its 100 ms budget/);
  });
});
