// Warm isolates per (install, bundle) in an LRU bounded by bytes, and a host-side code cache keyed by
// the bundle's sha256. Fixtures: plugins/tiers and plugins/probe.
import { beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type PluginBundle } from '@tongkit/runtime';
import { buildFixture, expectOutput, tierInput, type TierInput } from './helpers.js';

let tiers: PluginBundle;
let probe: PluginBundle;
let input: TierInput;

beforeAll(async () => {
  tiers = (await buildFixture('tiers')).bundle;
  probe = (await buildFixture('probe')).bundle;
  input = await tierInput();
});

/** Bytes one loaded isolate of the tiers plugin accounts for in the LRU. */
async function isolateBytes(): Promise<number> {
  const runtime = createRuntime();
  await runtime.load(tiers);
  const { isolateBytes: bytes } = runtime.stats();
  await runtime.dispose();
  expect(bytes).toBeGreaterThan(0);
  return bytes;
}

describe('warm isolates', () => {
  it('serves repeated calls from the isolate created at load', async () => {
    const runtime = createRuntime();
    const plugin = await runtime.load(tiers);
    const before = runtime.stats();
    expect(before).toMatchObject({ isolatesAlive: 1, coldStarts: 1, warmHits: 0 });

    for (let i = 0; i < 3; i++) {
      const result = await plugin.invoke('member.tier.compute', input);
      expectOutput(result);
      expect(result.measurements.isolate).toBe('warm');
    }
    const after = runtime.stats();
    expect(after.warmHits).toBe(before.warmHits + 3);
    expect(after.coldStarts).toBe(before.coldStarts);
    expect(after.isolatesAlive).toBe(1);
    expect(after.hitRate).toBeCloseTo(3 / 4);
  });

  it('keeps one isolate per install of the same bundle', async () => {
    const runtime = createRuntime();
    const a = await runtime.load(tiers, { installId: 'merchant-a' });
    const b = await runtime.load(tiers, { installId: 'merchant-b' });
    expect(a.installId).toBe('merchant-a');
    expect(runtime.stats().isolatesAlive).toBe(2);
    expect(expectOutput(await a.invoke('member.tier.compute', input, { goldAtFen: 1 })).tierId).toBe('gold');
    expect(expectOutput(await b.invoke('member.tier.compute', input, { goldAtFen: 10_000_000 })).tierId).toBe('silver');
  });

  it('runs a fresh call on a new isolate that it disposes afterwards', async () => {
    const runtime = createRuntime();
    const plugin = await runtime.load(tiers);
    const result = await plugin.invoke('member.tier.compute', input, undefined, { fresh: true });
    expectOutput(result);
    expect(result.measurements.isolate).toBe('cold');
    expect(runtime.stats().isolatesAlive).toBe(1);
    expect((await plugin.invoke('member.tier.compute', input)).measurements.isolate).toBe('warm');
  });

  it('disposes every isolate on dispose()', async () => {
    const runtime = createRuntime();
    await runtime.load(tiers, { installId: 'a' });
    await runtime.load(probe, { installId: 'a' });
    expect(runtime.stats().isolatesAlive).toBe(2);
    await runtime.dispose();
    expect(runtime.stats()).toMatchObject({ isolatesAlive: 0, isolateBytes: 0 });
  });
});

describe('byte-bounded LRU', () => {
  it('evicts the least recently used isolates when installs outgrow maxIsolateBytes, and calls still succeed', async () => {
    const oneIsolate = await isolateBytes();
    const maxIsolateBytes = Math.floor(oneIsolate * 2.5);
    const runtime = createRuntime({ maxIsolateBytes });
    const installs = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((installId) => runtime.load(tiers, { installId })));

    for (const plugin of installs) expectOutput(await plugin.invoke('member.tier.compute', input));
    const stats = runtime.stats();
    expect(stats.evictions).toBeGreaterThan(0);
    expect(stats.isolatesAlive).toBeLessThan(installs.length);
    expect(stats.isolateBytes).toBeLessThanOrEqual(maxIsolateBytes);

    // The most recently used install is warm; the first one was evicted and comes back cold.
    expect((await installs[4]!.invoke('member.tier.compute', input)).measurements.isolate).toBe('warm');
    const revived = await installs[0]!.invoke('member.tier.compute', input);
    expectOutput(revived);
    expect(revived.measurements.isolate).toBe('cold');
  });

  it('runs every call, and disposes its isolate, when maxIsolateBytes is smaller than a single isolate', async () => {
    const runtime = createRuntime({ maxIsolateBytes: 1024 });
    const installs = await Promise.all(['a', 'b', 'c'].map((installId) => runtime.load(tiers, { installId })));
    for (const plugin of installs) {
      const result = await plugin.invoke('member.tier.compute', input);
      expectOutput(result);
      expect(result.measurements.isolate).toBe('cold');
    }
    const stats = runtime.stats();
    expect(stats.isolatesAlive).toBe(0);
    // Each of the 3 loads and 3 calls made an isolate that could not be kept: all were evicted at once.
    expect(stats.evictions).toBe(6);
  });
});

describe('code cache', () => {
  it('compiles a bundle once: a second isolate of the same bundle hits the code cache', async () => {
    const runtime = createRuntime();
    await runtime.load(tiers, { installId: 'a' });
    const first = runtime.stats();
    expect(first.codeCacheMisses).toBeGreaterThan(0);

    await runtime.load(tiers, { installId: 'b' });
    const second = runtime.stats();
    expect(second.codeCacheMisses).toBe(first.codeCacheMisses);
    expect(second.codeCacheHits).toBeGreaterThan(first.codeCacheHits);

    const plugin = await runtime.load(tiers, { installId: 'c' });
    expectOutput(await plugin.invoke('member.tier.compute', input, undefined, { fresh: true }));
    const third = runtime.stats();
    expect(third.codeCacheMisses).toBe(first.codeCacheMisses);
    expect(third.codeCacheHits).toBeGreaterThan(second.codeCacheHits);
  });

  it('keys the cache by bundle: a different bundle is compiled on its own', async () => {
    const runtime = createRuntime();
    await runtime.load(tiers);
    const before = runtime.stats().codeCacheMisses;
    await runtime.load(probe);
    expect(runtime.stats().codeCacheMisses).toBe(before + 1);
  });
});
