// Runs the plugin through the real Tongkit sandbox (isolated-vm), exactly as the platform will.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRuntime, readFixtures, runFixtures, type Fixture, type LoadedPlugin } from '@tongkit/runtime';
import { buildPlugin } from '@tongkit/runtime/build';
import type { PointInput, PointOutput } from '@tongkit/sdk';
import { fileURLToPath } from 'node:url';

type Input = PointInput<'member.tier.compute'>;
type Output = PointOutput<'member.tier.compute'>;
type Tier = Input['tiers'][number];

const root = fileURLToPath(new URL('..', import.meta.url));
let plugin: LoadedPlugin;
let fixtures: Fixture[];

beforeAll(async () => {
  const { bundle } = await buildPlugin(root);
  plugin = await createRuntime().load(bundle);
  fixtures = await readFixtures(`${root}/fixtures`, root);
});

const LADDER: Tier[] = [
  { id: 'regular', name: '普通会员', rank: 0 },
  { id: 'silver', name: '银卡', rank: 1 },
  { id: 'gold', name: '金卡', rank: 2 },
  { id: 'platinum', name: '白金卡', rank: 3 },
  { id: 'black', name: '黑金卡', rank: 4 },
];
const NOW = '2026-11-25T02:00:00Z'; // 10:00 in Beijing
const IN_A_YEAR = '2027-11-25T02:00:00Z';

interface Case {
  current?: { id: string; expiresAt: string | null } | null;
  online?: number;
  store?: number;
  growth?: number;
  tiers?: Tier[];
  now?: string;
}

function inputOf({ current = null, online = 0, store = 0, growth = 0, tiers = LADDER, now = NOW }: Case): Input {
  return {
    member: {
      id: 'm_test01',
      currentTier: current,
      growthValue: growth,
      pointsBalance: 0,
      spend12mFen: { online, store },
      orderCount12m: 1,
    },
    tiers,
    now,
  };
}

/** Invokes the plugin and returns its output, failing the test with the error when there is none. */
async function decide(c: Case, settings?: Record<string, unknown>): Promise<Output> {
  const result = await plugin.invoke('member.tier.compute', inputOf(c), settings);
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.output;
}

describe('fixtures', () => {
  it('covers every documented scenario with a full expected output', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(12);
    for (const fixture of fixtures) {
      expect(fixture.point, fixture.file).toBe('member.tier.compute');
      expect(Object.keys(fixture.expect as object).sort(), fixture.file).toEqual(['expiresAt', 'reason', 'tierId']);
    }
  });

  it('all pass, warm and on a fresh isolate', async () => {
    const results = await runFixtures(plugin, fixtures);
    const failures = results
      .filter((r) => !r.passed)
      .map((r) => `${r.file}: ${r.failure}\n  expected ${JSON.stringify(r.expected)}\n  actual   ${JSON.stringify(r.actual ?? r.error)}`);
    expect(failures.join('\n')).toBe('');
    expect(results.every((r) => !r.stateful)).toBe(true);
  });
});

describe('qualification', () => {
  it('reaches a level exactly at its spend threshold, not a fen below', async () => {
    expect((await decide({ online: 500_000 })).tierId).toBe('gold');
    expect((await decide({ online: 499_999 })).tierId).toBe('silver');
  });

  it('reaches a level exactly at its growth-value threshold', async () => {
    expect((await decide({ growth: 20_000 })).tierId).toBe('platinum');
    expect((await decide({ growth: 19_999 })).tierId).toBe('gold');
  });

  it('weights store spend with integer basis points, rounding down to the fen', async () => {
    // 416_667 × 1.2 = 500_000.4 → 500_000 (gold); 416_666 × 1.2 = 499_999.2 → 499_999 (silver)
    const gold = await decide({ store: 416_667 });
    expect(gold.tierId).toBe('gold');
    expect(gold.reason).toContain('spend ¥5,000.00 (store ¥4,166.67 ×1.2)');
    expect((await decide({ store: 416_666 })).tierId).toBe('silver');
  });

  it('counts store spend 1× when the weighting is 10000 bps, and says so plainly', async () => {
    const output = await decide({ online: 100_000, store: 450_000 }, { storeSpendWeightBps: 10_000 });
    expect(output.tierId).toBe('gold');
    expect(output.reason).toContain('spend ¥5,500.00 (online ¥1,000.00 + store ¥4,500.00)');
  });

  it('follows the combination rule', async () => {
    const spendGoldGrowthSilver = { online: 600_000, growth: 1_200 };
    expect((await decide(spendGoldGrowthSilver)).tierId).toBe('gold');
    expect((await decide(spendGoldGrowthSilver, { qualifyBy: 'spend-and-growth' })).tierId).toBe('silver');
    expect((await decide(spendGoldGrowthSilver, { qualifyBy: 'spend' })).tierId).toBe('gold');
    expect((await decide(spendGoldGrowthSilver, { qualifyBy: 'growth' })).tierId).toBe('silver');
  });
});

describe('validity and expiry', () => {
  it('makes a tier upgraded on 31 January with 1-month validity last until 28 February', async () => {
    const output = await decide({ online: 500_000, now: '2027-01-31T02:00:00Z' }, { validityMonths: 1 });
    expect(output).toMatchObject({ tierId: 'gold', expiresAt: '2027-02-28T02:00:00Z' });
    expect(output.reason).toContain('until 2027-02-28');
  });

  it('uses 29 February in a leap year, and clamps 29 February + 12 months to 28 February', async () => {
    expect((await decide({ online: 500_000, now: '2028-01-31T02:00:00Z' }, { validityMonths: 1 })).expiresAt).toBe('2028-02-29T02:00:00Z');
    expect((await decide({ online: 500_000, now: '2028-02-29T02:00:00Z' })).expiresAt).toBe('2029-02-28T02:00:00Z');
  });

  it('carries months across the year end', async () => {
    expect((await decide({ online: 500_000, now: '2026-12-31T02:00:00Z' }, { validityMonths: 2 })).expiresAt).toBe('2027-02-28T02:00:00Z');
  });

  it('counts months on the Beijing calendar, not the UTC one', async () => {
    // 2027-01-30T17:00Z is 31 January 01:00 in Beijing: one month later is 28 February 01:00 Beijing.
    const output = await decide({ online: 500_000, now: '2027-01-30T17:00:00Z' }, { validityMonths: 1 });
    expect(output.expiresAt).toBe('2027-02-27T17:00:00Z');
    expect(output.reason).toContain('until 2027-02-28');
    // An input `now` with an offset means the same instant.
    expect((await decide({ online: 500_000, now: '2027-01-31T01:00:00+08:00' }, { validityMonths: 1 })).expiresAt).toBe('2027-02-27T17:00:00Z');
  });

  it('keeps the expiry of a tier the member still qualifies for, until it lapses', async () => {
    const output = await decide({ current: { id: 'gold', expiresAt: '2027-03-01T00:00:00Z' }, online: 500_000 });
    expect(output).toMatchObject({ tierId: 'gold', expiresAt: '2027-03-01T00:00:00Z' });
    expect(output.reason).toMatch(/^Kept 金卡 until 2027-03-01, still qualifies/);
  });

  it('keeps a tier that does not expire as such', async () => {
    const output = await decide({ current: { id: 'gold', expiresAt: null }, online: 500_000 });
    expect(output).toMatchObject({ tierId: 'gold', expiresAt: null });
  });

  it('treats an expiry equal to now as lapsed: protection no longer applies', async () => {
    const output = await decide({ current: { id: 'gold', expiresAt: NOW }, online: 100_000 });
    expect(output).toMatchObject({ tierId: 'silver', expiresAt: IN_A_YEAR });
    const oneMsBefore = await decide({ current: { id: 'gold', expiresAt: '2026-11-25T02:00:00.001Z' }, online: 100_000 });
    expect(oneMsBefore).toMatchObject({ tierId: 'gold', expiresAt: '2026-11-25T02:00:00.001Z' });
    expect(oneMsBefore.reason).toMatch(/^Kept 金卡, protected until 2026-11-25 \(qualifies for 银卡\)/);
  });

  it('protects a tier without expiry for good, unless protection is off', async () => {
    const protectedForGood = await decide({ current: { id: 'platinum', expiresAt: null } });
    expect(protectedForGood).toMatchObject({ tierId: 'platinum', expiresAt: null });
    expect(protectedForGood.reason).toContain('protected, the tier does not expire');
    const unprotected = await decide({ current: { id: 'platinum', expiresAt: null } }, { protectDowngradeUntilExpiry: false });
    expect(unprotected).toMatchObject({ tierId: 'gold', expiresAt: IN_A_YEAR });
  });

  it('moves down at most maxDowngradeSteps levels, and the entry tier never expires', async () => {
    const lapsedBlack = { current: { id: 'black', expiresAt: '2026-01-01T00:00:00Z' } };
    expect((await decide(lapsedBlack)).tierId).toBe('platinum');
    expect((await decide(lapsedBlack, { maxDowngradeSteps: 2 })).tierId).toBe('gold');
    expect(await decide(lapsedBlack, { maxDowngradeSteps: 4 })).toMatchObject({ tierId: 'regular', expiresAt: null });
    const lapsedSilver = await decide({ current: { id: 'silver', expiresAt: '2026-01-01T00:00:00Z' } });
    expect(lapsedSilver).toMatchObject({ tierId: 'regular', expiresAt: null });
    expect(lapsedSilver.reason).toMatch(/^Downgraded 银卡 → 普通会员 \(tier expired 2026-01-01\)/);
  });
});

describe('the merchant ladder', () => {
  const withoutGold = LADDER.filter((t) => t.id !== 'gold');

  it('answers the highest tier at or below the qualified level when the ladder lacks it', async () => {
    expect((await decide({ online: 600_000, tiers: withoutGold })).tierId).toBe('silver');
    const noSilver = LADDER.filter((t) => t.id !== 'silver');
    expect(await decide({ online: 150_000, tiers: noSilver })).toMatchObject({ tierId: 'regular', expiresAt: null });
  });

  it('counts downgrade steps on the ladder’s own tiers', async () => {
    const output = await decide({ current: { id: 'platinum', expiresAt: '2026-01-01T00:00:00Z' }, tiers: withoutGold });
    expect(output.tierId).toBe('silver');
  });

  it('orders the ladder by rank, not by the order it arrives in', async () => {
    const shuffled = [LADDER[3]!, LADDER[0]!, LADDER[4]!, LADDER[2]!, LADDER[1]!];
    expect((await decide({ online: 2_000_000, current: { id: 'silver', expiresAt: null }, tiers: shuffled })).tierId).toBe('platinum');
  });

  it('makes the lowest programme tier the floor when the ladder has no 普通', async () => {
    const output = await decide({ tiers: LADDER.slice(1) });
    expect(output).toMatchObject({ tierId: 'silver', expiresAt: null });
  });

  it('treats a current tier the ladder no longer has like a new member', async () => {
    const output = await decide({ current: { id: 'vip', expiresAt: null }, online: 500_000 });
    expect(output).toMatchObject({ tierId: 'gold', expiresAt: IN_A_YEAR });
    expect(output.reason).toMatch(/^Tier vip is not in the ladder → 金卡/);
  });

  it('keeps the member’s tier when the ladder has none of the programme’s tiers', async () => {
    const foreign: Tier[] = [
      { id: 'basic', name: '基础', rank: 0 },
      { id: 'vip', name: 'VIP', rank: 1 },
    ];
    expect(await decide({ current: { id: 'vip', expiresAt: null }, online: 9_000_000, tiers: foreign })).toMatchObject({ tierId: 'vip', expiresAt: null });
    expect((await decide({ tiers: foreign })).tierId).toBe('basic');
  });
});

describe('reasons', () => {
  it('stay within 200 characters even with the longest tier names', async () => {
    const long = (name: string) => `${name}${'会员等级'.repeat(8)}`.slice(0, 32);
    const tiers = LADDER.map((t) => ({ ...t, name: long(t.name) }));
    const cases: Case[] = [
      { tiers, online: 2_000_000, store: 1_000_000, growth: 12_345, current: { id: 'silver', expiresAt: null } },
      { tiers, current: { id: 'black', expiresAt: '2026-01-01T00:00:00Z' }, online: 1, store: 1 },
      { tiers, current: { id: 'black', expiresAt: '2027-01-01T00:00:00Z' }, online: 1, store: 1 },
      { tiers: tiers.filter((t) => t.id !== 'platinum'), current: { id: 'gold', expiresAt: '2026-01-01T00:00:00Z' }, online: 99_999_999_999, store: 99_999_999_999 },
    ];
    for (const c of cases) {
      const output = await decide(c, { storeSpendWeightBps: 12_345 });
      expect(output.reason.length).toBeLessThanOrEqual(200);
      expect(output.reason).toMatch(/^(Upgraded|Kept|Downgraded|Renewed)/);
    }
  });
});

describe('settings', () => {
  it('has defaults for a whole programme, and a title for every field of the merchant form', () => {
    expect(plugin.resolveSettings({})).toEqual({
      qualifyBy: 'spend-or-growth',
      silverSpendFen: 100_000,
      silverGrowthValue: 1_000,
      goldSpendFen: 500_000,
      goldGrowthValue: 5_000,
      platinumSpendFen: 2_000_000,
      platinumGrowthValue: 20_000,
      blackSpendFen: 5_000_000,
      blackGrowthValue: 50_000,
      storeSpendWeightBps: 12_000,
      validityMonths: 12,
      protectDowngradeUntilExpiry: true,
      maxDowngradeSteps: 1,
    });
    const properties = (plugin.manifest.settings as { properties: Record<string, { title?: string; default?: unknown }> }).properties;
    for (const [name, field] of Object.entries(properties)) {
      expect(field.title, name).toBeTruthy();
      expect(field.default, name).not.toBeUndefined();
    }
  });

  it.each([
    ['fen that are not whole', { goldSpendFen: 12.5 }, '/goldSpendFen'],
    ['a negative threshold', { silverGrowthValue: -1 }, '/silverGrowthValue'],
    ['a store weighting over 3×', { storeSpendWeightBps: 30_001 }, '/storeSpendWeightBps'],
    ['zero months of validity', { validityMonths: 0 }, '/validityMonths'],
    ['no downgrade steps', { maxDowngradeSteps: 0 }, '/maxDowngradeSteps'],
    ['an unknown combination rule', { qualifyBy: 'either' }, '/qualifyBy'],
    ['a misspelt field', { goldAtFen: 300_000 }, '/goldAtFen'],
  ])('refuses %s with TK_VALIDATION', async (_what, settings, path) => {
    const result = await plugin.invoke('member.tier.compute', inputOf({}), settings);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.code).toBe('TK_VALIDATION');
    expect(!result.ok && result.error.path).toBe(path);
  });
});

describe('in the sandbox', () => {
  it('stays well inside its CPU budget and makes no host calls', async () => {
    const result = await plugin.invoke('member.tier.compute', inputOf({ current: { id: 'platinum', expiresAt: '2026-01-01T00:00:00Z' }, online: 600_000 }));
    expect(result.ok).toBe(true);
    expect(result.measurements.cpuHeadroomMicros).toBeGreaterThan(0);
    expect(result.measurements.hostCalls).toBe(0);
  });

  it('answers the same on a warm and a fresh isolate', async () => {
    const input = inputOf({ current: { id: 'gold', expiresAt: '2027-01-01T00:00:00Z' }, store: 100_000, growth: 900 });
    const warm = await plugin.invoke('member.tier.compute', input);
    const fresh = await plugin.invoke('member.tier.compute', input, undefined, { fresh: true });
    expect(warm.ok && fresh.ok).toBe(true);
    expect(warm.ok && warm.output).toEqual(fresh.ok && fresh.output);
  });

  it('holds its rules for any member, ladder and settings', async () => {
    const ids = LADDER.map((t) => t.id);
    const ladder = fc
      .subarray(LADDER, { minLength: 1 })
      .chain((tiers) => fc.shuffledSubarray(tiers, { minLength: tiers.length, maxLength: tiers.length }));
    const timestamp = fc
      .integer({ min: Date.parse('2025-01-01T00:00:00Z'), max: Date.parse('2029-01-01T00:00:00Z') })
      .map((ms) => new Date(ms).toISOString());
    const scenario = fc.record({
      tiers: ladder,
      current: fc.option(fc.record({ id: fc.constantFrom(...ids), expiresAt: fc.option(timestamp) })),
      online: fc.nat({ max: 8_000_000 }),
      store: fc.nat({ max: 8_000_000 }),
      growth: fc.nat({ max: 80_000 }),
      now: timestamp,
    });
    const settings = fc.record({
      qualifyBy: fc.constantFrom('spend-or-growth', 'spend-and-growth', 'spend', 'growth'),
      storeSpendWeightBps: fc.nat({ max: 30_000 }),
      validityMonths: fc.integer({ min: 1, max: 36 }),
      protectDowngradeUntilExpiry: fc.boolean(),
      maxDowngradeSteps: fc.integer({ min: 1, max: 4 }),
    });

    await fc.assert(
      fc.asyncProperty(scenario, settings, async (c, s) => {
        const output = await decide(c, s); // throws (fails) on any error, including an invalid output
        const rungs = [...c.tiers].sort((a, b) => a.rank - b.rank || ids.indexOf(a.id) - ids.indexOf(b.id));
        const position = (id: string) => rungs.findIndex((t) => t.id === id);
        expect(output.reason.length).toBeLessThanOrEqual(200);
        if (output.expiresAt !== null && output.expiresAt !== c.current?.expiresAt) {
          expect(Date.parse(output.expiresAt!)).toBeGreaterThan(Date.parse(c.now));
        }
        const from = c.current ? position(c.current.id) : -1;
        const to = position(output.tierId);
        if (from >= 0 && to < from) {
          const lapsed = c.current!.expiresAt !== null && Date.parse(c.current!.expiresAt) <= Date.parse(c.now);
          expect(lapsed || !s.protectDowngradeUntilExpiry).toBe(true);
          expect(from - to).toBeLessThanOrEqual(s.maxDowngradeSteps);
        }
        if (to === 0) expect(output.expiresAt).toBeNull();
      }),
      { numRuns: 300 },
    );
  });
});
