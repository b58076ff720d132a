// The circuit breakers on PostgreSQL (extensions/shared-breakers.ts), with a clock the test moves: each
// SharedBreakers is one host process — it counts outcomes in memory over a sliding window and shares
// only transitions, so a breaker opened in one is honoured by the other within the refresh bound, and
// of two processes only one takes the half-open probe.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BreakerPolicy } from '../src/platform/extensions/circuit-breaker.js';
import { BREAKER_REFRESH_MS, SharedBreakers } from '../src/platform/extensions/shared-breakers.js';
import { createTestDatabase, type TestDatabase } from '../src/testing.js';

// openMs longer than the refresh bound, so a refresh never also ends the cool-down.
const policy: BreakerPolicy = { windowCalls: 10, errorThreshold: 3, openMs: 5 * BREAKER_REFRESH_MS };
const failure = { ok: false, countsAgainstPlugin: true, probe: false };
const success = { ok: true, countsAgainstPlugin: true, probe: false };
const POINT = 'member.tier.compute';

let test: TestDatabase;
let installs = 0;

/** A fresh install row (the breaker table references installs). */
async function newInstall(): Promise<string> {
  const id = `in_breaker_${++installs}`;
  await test.db.query(
    `INSERT INTO plugin_versions (plugin_name, version, status, manifest, bundle, sha256, bytes, report) VALUES ('breaker-plugin', $1, 'approved', '{}', 'x', $2, 1, '{}')`,
    [`1.0.${installs}`, '0'.repeat(64)],
  );
  await test.db.query(`INSERT INTO merchants (id, name, tier_id) VALUES ($1, 'Breaker shop', 't')`, [`breaker-shop-${installs}`]);
  await test.db.query(`INSERT INTO installs (id, merchant_id, plugin_name, version) VALUES ($1, $2, 'breaker-plugin', $3)`, [id, `breaker-shop-${installs}`, `1.0.${installs}`]);
  return id;
}

/** A clock both "processes" read. */
function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

beforeAll(async () => {
  test = await createTestDatabase();
  await test.db.query(`INSERT INTO merchant_tiers (id, name) VALUES ('t', 'T') ON CONFLICT DO NOTHING`);
  await test.db.query(`INSERT INTO developers (id, name) VALUES ('breaker-dev', 'Dev')`);
  await test.db.query(`INSERT INTO plugins (name, developer_id) VALUES ('breaker-plugin', 'breaker-dev')`);
});
afterAll(async () => {
  await test?.drop();
});

describe('circuit breakers shared through PostgreSQL', () => {
  it('opens at the error threshold of the sliding window and stays open for openMs', async () => {
    const install = await newInstall();
    const time = clock();
    const breakers = new SharedBreakers(test.db, policy, time.now);
    for (let i = 0; i < 2; i++) await breakers.record(install, POINT, failure);
    expect((await breakers.state(install, POINT)).status).toBe('closed');
    expect(await breakers.admit(install, POINT)).toEqual({ allowed: true, probe: false });
    await breakers.record(install, POINT, failure);
    expect(await breakers.state(install, POINT)).toMatchObject({ status: 'open', openedAt: time.now() });
    time.advance(policy.openMs - 1);
    expect(await breakers.admit(install, POINT)).toEqual({ allowed: false, probe: false });
  });

  it('honours a breaker another process opened within the refresh bound', async () => {
    const install = await newInstall();
    const time = clock();
    const [a, b] = [new SharedBreakers(test.db, policy, time.now), new SharedBreakers(test.db, policy, time.now)];
    expect((await b.admit(install, POINT)).allowed).toBe(true);
    for (let i = 0; i < policy.errorThreshold; i++) await a.record(install, POINT, failure);
    expect((await a.admit(install, POINT)).allowed).toBe(false);
    time.advance(BREAKER_REFRESH_MS);
    expect(await b.admit(install, POINT)).toEqual({ allowed: false, probe: false });
  });

  it('gives the half-open probe to one process; a successful probe closes it for both', async () => {
    const install = await newInstall();
    const time = clock();
    const [a, b] = [new SharedBreakers(test.db, policy, time.now), new SharedBreakers(test.db, policy, time.now)];
    for (let i = 0; i < policy.errorThreshold; i++) await a.record(install, POINT, failure);
    time.advance(policy.openMs);
    const gates = await Promise.all([a.admit(install, POINT), b.admit(install, POINT), a.admit(install, POINT), b.admit(install, POINT)]);
    expect(gates.filter((g) => g.probe)).toHaveLength(1);
    expect(gates.filter((g) => g.allowed)).toHaveLength(1);
    const prober = gates.findIndex((g) => g.probe) % 2 === 0 ? a : b;
    await prober.record(install, POINT, { ok: true, countsAgainstPlugin: true, probe: true });
    time.advance(BREAKER_REFRESH_MS);
    expect(await a.admit(install, POINT)).toEqual({ allowed: true, probe: false });
    expect(await b.admit(install, POINT)).toEqual({ allowed: true, probe: false });
    // The old failures were cleared: it takes a full threshold again to open it.
    for (let i = 0; i < policy.errorThreshold - 1; i++) await a.record(install, POINT, failure);
    expect((await a.state(install, POINT)).status).toBe('closed');
  });

  it('re-opens on a failed probe, and gives the probe to another process when its prober never answers', async () => {
    const install = await newInstall();
    const time = clock();
    const [a, b] = [new SharedBreakers(test.db, policy, time.now), new SharedBreakers(test.db, policy, time.now)];
    for (let i = 0; i < policy.errorThreshold; i++) await a.record(install, POINT, failure);
    time.advance(policy.openMs);
    expect((await a.admit(install, POINT)).probe).toBe(true);
    await a.record(install, POINT, { ok: false, countsAgainstPlugin: true, probe: true });
    expect(await a.state(install, POINT)).toMatchObject({ status: 'open', openedAt: time.now() });
    time.advance(policy.openMs);
    expect((await a.admit(install, POINT)).probe).toBe(true); // a takes the probe … and dies
    time.advance(BREAKER_REFRESH_MS);
    expect((await b.admit(install, POINT)).allowed).toBe(false); // in flight
    time.advance(policy.openMs);
    expect(await b.admit(install, POINT)).toEqual({ allowed: true, probe: true });
  });

  it('holds failures that are not the plugin’s fault against nobody', async () => {
    const install = await newInstall();
    const breakers = new SharedBreakers(test.db, policy, clock().now);
    for (let i = 0; i < 20; i++) await breakers.record(install, POINT, { ok: false, countsAgainstPlugin: false, probe: false });
    expect(await breakers.state(install, POINT)).toMatchObject({ status: 'closed', calls: 0, errors: 0 });
  });

  it('opens exactly when the last windowCalls calls hold errorThreshold failures', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { maxLength: 60 }), async (outcomes) => {
        const install = await newInstall();
        const breakers = new SharedBreakers(test.db, policy, clock().now);
        const seen: boolean[] = [];
        for (const ok of outcomes) {
          seen.push(ok);
          await breakers.record(install, POINT, ok ? success : failure);
          const failedInWindow = seen.slice(-policy.windowCalls).filter((o) => !o).length;
          const { status } = await breakers.state(install, POINT);
          if (failedInWindow >= policy.errorThreshold) {
            expect(status).toBe('open');
            return;
          }
          expect(status).toBe('closed');
        }
      }),
      { numRuns: 40 },
    );
  });
});
