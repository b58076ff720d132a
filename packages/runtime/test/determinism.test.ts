// Extension points are deterministic: the clock is the input's `now`, randomness is seeded from the
// input, nondeterministic and escape-prone globals are gone, so a logged input replays to the same
// output. Fixtures: plugins/probe (reports what it sees), plugins/stateful, plugins/tiers.
import { beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, runFixtures, type Fixture, type InvocationResult, type LoadedPlugin } from '@tongkit/runtime';
import { expectOutput, loadFixture, loggedJson, tierInput } from './helpers.js';

interface Probe {
  dateNow: number;
  newDate: string;
  dateCall: string;
  random: number[];
  globals: Record<string, string>;
}

let probe: LoadedPlugin;

beforeAll(async () => {
  probe = await loadFixture('probe');
});

function probed(result: InvocationResult): Probe {
  expectOutput(result);
  return loggedJson<Probe>(result);
}

describe('clock', () => {
  it('makes Date.now() and new Date() return the input’s now', async () => {
    const input = await tierInput();
    const seen = probed(await probe.invoke('member.tier.compute', input));
    expect(seen.dateNow).toBe(Date.parse(input.now));
    expect(seen.newDate).toBe('2026-11-25T08:00:00.000Z');
    expect(seen.dateCall).toBe('string');
  });

  it('follows the now of each call, on the same warm isolate', async () => {
    const input = await tierInput();
    input.now = '2027-01-01T00:00:00+08:00';
    const result = await probe.invoke('member.tier.compute', input);
    expect(result.measurements.isolate).toBe('warm');
    const seen = probed(result);
    expect(seen.dateNow).toBe(Date.parse('2026-12-31T16:00:00Z'));
    expect(seen.newDate).toBe('2026-12-31T16:00:00.000Z');
  });
});

describe('randomness', () => {
  it('gives Math.random the same sequence for the same input, warm or on a fresh isolate', async () => {
    const input = await tierInput();
    const first = probed(await probe.invoke('member.tier.compute', input)).random;
    const again = probed(await probe.invoke('member.tier.compute', input)).random;
    const fresh = probed(await probe.invoke('member.tier.compute', input, undefined, { fresh: true })).random;
    const otherRuntime = probed(await (await loadFixture('probe', createRuntime())).invoke('member.tier.compute', input)).random;

    expect(new Set(first).size).toBe(3);
    for (const value of first) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
    expect(again).toEqual(first);
    expect(fresh).toEqual(first);
    expect(otherRuntime).toEqual(first);
  });

  it('gives a different input a different sequence', async () => {
    const input = await tierInput();
    const other = await tierInput();
    other.member.growthValue += 1;
    const a = probed(await probe.invoke('member.tier.compute', input)).random;
    const b = probed(await probe.invoke('member.tier.compute', other)).random;
    expect(b).not.toEqual(a);
  });
});

describe('globals', () => {
  it('has no WebAssembly, SharedArrayBuffer, Atomics, timers, process, require, Buffer or fetch inside the guest', async () => {
    const { globals } = probed(await probe.invoke('member.tier.compute', await tierInput()));
    expect(globals).toEqual({
      WebAssembly: 'undefined',
      SharedArrayBuffer: 'undefined',
      Atomics: 'undefined',
      setTimeout: 'undefined',
      setInterval: 'undefined',
      queueMicrotask: 'undefined',
      process: 'undefined',
      require: 'undefined',
      Buffer: 'undefined',
      fetch: 'undefined',
    });
  });
});

describe('module state', () => {
  async function fixtures(count: number): Promise<Fixture[]> {
    const input = await tierInput();
    return Array.from({ length: count }, (_, i) => ({ file: `fixtures/gold-${i}.json`, point: 'member.tier.compute' as const, input }));
  }

  it('flags a plugin that keeps module state between calls as stateful in runFixtures', async () => {
    const stateful = await loadFixture('stateful');
    const results = await runFixtures(stateful, await fixtures(2));
    // The isolate serves the first fixture pristine; by the second one the warm and fresh runs differ.
    const flagged = results.filter((result) => result.stateful);
    expect(flagged.length).toBeGreaterThan(0);
    for (const result of flagged) {
      expect(result.passed).toBe(false);
      expect(result.failure).toMatch(/keeps state between calls/);
    }
  });

  it('does not flag a pure plugin', async () => {
    const tiers = await loadFixture('tiers');
    const results = await runFixtures(tiers, [
      ...(await fixtures(3)),
      { file: 'fixtures/expected.json', point: 'member.tier.compute', input: await tierInput(), expect: { tierId: 'gold', reason: '12-month spend ¥6,000.00' } },
    ]);
    expect(results.map((result) => [result.stateful, result.passed])).toEqual([
      [false, true],
      [false, true],
      [false, true],
      [false, true],
    ]);
  });
});
