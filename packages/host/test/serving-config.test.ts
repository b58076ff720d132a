// The extension invoker's cached reads (extensions/serving-config.ts, migration 110) across two host
// processes — two sets of host services, each on its own connection pool and change feed, as two
// processes would be: a change made through one (settings, a store's override, disabling,
// uninstalling) or straight in SQL (a tier narrowed) reaches the other by its notification, well
// inside the re-check bound; the writer's own process sees it on its next call; a change whose
// notification is lost, or made while the feed is down, is still seen within the bound.
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlugin } from '@tongkit/runtime/build';
import type { Principal } from '../src/index.js';
import { createHostServices, createTestDatabase, type HostServices, type TestDatabase } from '../src/testing.js';
import { openDatabase, type Database } from '../src/platform/storage/database.js';
import { CONFIG_RECHECK_MS } from '../src/platform/extensions/serving-config.js';
const template = fileURLToPath(new URL('../../../templates/member-tier', import.meta.url));
const GOLD = JSON.parse(readFileSync(`${template}/fixtures/gold.json`, 'utf8')) as { input: unknown };
const POINT = 'member.tier.compute';
const MERCHANT = 'cache-shop';
const developer: Principal = { role: 'developer', subjectId: 'cache-dev' };

let test: TestDatabase;
let a: HostServices;
let b: HostServices;
let bDb: Database;
let installId: string;

const tierFrom = async (services: HostServices, storeId?: string) => {
  const decision = await services.extensions.invoke(MERCHANT, POINT, GOLD.input, { storeId });
  return decision.source === 'plugin' ? (decision.output as { tierId: string }).tierId : decision.source;
};

beforeAll(async () => {
  test = await createTestDatabase();
  a = createHostServices(test.db, { runtime: { isolation: 'in-process' } });
  bDb = openDatabase(test.url);
  b = createHostServices(bDb, { runtime: { isolation: 'in-process' } });
  await a.tenancy.upsertTier({ id: 'standard', name: 'Standard' });
  await a.tenancy.upsertDeveloper({ id: developer.subjectId, name: 'Cache developer' });
  await a.tenancy.upsertMerchant({ id: MERCHANT, name: 'Cache shop', tierId: 'standard', development: true });
  await a.tenancy.upsertMerchant({ id: 'other-shop', name: 'Other shop', tierId: 'standard' });
  await a.tenancy.upsertStore({ id: 'cs-1', merchantId: MERCHANT, name: 'Store 1', channel: 'store' });
  await a.tenancy.upsertStore({ id: 'os-1', merchantId: 'other-shop', name: 'Other store', channel: 'store' });
  const { bundle } = await buildPlugin(template);
  const deployed = await a.registry.deploy(developer, bundle);
  installId = (await a.installs.install(MERCHANT, { plugin: deployed.plugin, grantPermissions: ['member:read'] })).id;
}, 120_000);
afterAll(async () => {
  await a?.extensions.close();
  await b?.extensions.close();
  await a?.runtime.dispose();
  await b?.runtime.dispose();
  await bDb?.close();
  await test?.drop();
});

/** Answers b's tier until it is `expected`, for at most `withinMs`: how long the change took to reach b. */
async function reachesB(expected: string, withinMs: number, storeId?: string): Promise<number> {
  const started = performance.now();
  for (;;) {
    const answer = await tierFrom(b, storeId);
    const took = performance.now() - started;
    if (answer === expected) return took;
    if (took > withinMs) throw new Error(`b still answered ${answer} after ${Math.round(took)} ms, not ${expected}`);
    await sleep(5);
  }
}

/** A write with triggers off (no version bump, no notification), then the version bumped by hand: a change whose notification was lost. */
async function changeUnannounced(sql: string): Promise<void> {
  await test.db.transaction(async (tx) => {
    await tx.query(`SET LOCAL session_replication_role = replica`);
    await tx.query(sql);
    await tx.query(`UPDATE config_versions SET version = version + 1 WHERE merchant_id = '${MERCHANT}'`);
  });
}

const feedLive = () => expect.poll(() => a.db.changes.live && bDb.changes.live, { timeout: 5_000 }).toBe(true);

describe('cached serving configuration across host processes', () => {
  // Notifications arrive in milliseconds; well under the re-check bound proves they, not the bound, carried the change.
  const notified = CONFIG_RECHECK_MS / 2;

  it('sees a change in the writing process on its next call, and in the other by its notification', async () => {
    await feedLive();
    expect([await tierFrom(a), await tierFrom(b), await tierFrom(b, 'cs-1')]).toEqual(['gold', 'gold', 'gold']);

    await a.installs.setSettings(MERCHANT, installId, { goldAtFen: 700_000 });
    expect(await tierFrom(a)).toBe('silver');
    await reachesB('silver', notified);

    await a.installs.setStoreOverride(MERCHANT, installId, 'cs-1', { goldAtFen: 100 });
    expect(await tierFrom(a, 'cs-1')).toBe('gold');
    await reachesB('gold', notified, 'cs-1');
    expect(await tierFrom(b)).toBe('silver');
    await a.installs.setStoreOverride(MERCHANT, installId, 'cs-1', null);
    await reachesB('silver', notified, 'cs-1');

    // A tier narrowed by hand in SQL (no host code ran) stops the install serving; widened, it serves again.
    await test.db.query(`UPDATE merchant_tiers SET allowed_points = '{}' WHERE id = 'standard'`);
    await reachesB('platform', notified);
    await test.db.query(`UPDATE merchant_tiers SET allowed_points = NULL WHERE id = 'standard'`);
    await reachesB('silver', notified);

    await a.installs.setEnabled(MERCHANT, installId, false);
    expect(await tierFrom(a)).toBe('platform');
    await reachesB('platform', notified);
    await a.installs.setEnabled(MERCHANT, installId, true);
    await reachesB('silver', notified);
  });

  it('sees a change whose notification was lost within the re-check bound, and not before a re-check', async () => {
    await feedLive();
    // An announced change first, so b's next call reads the version now and trusts it for the bound.
    await a.installs.setSettings(MERCHANT, installId, { goldAtFen: 700_000 });
    await reachesB('silver', notified);
    await changeUnannounced(`UPDATE installs SET settings = '{"goldAtFen": 100}' WHERE id = '${installId}'`);
    // Trusted, so not read: the cache is what answers (were every call to read, this would be gold).
    expect(await tierFrom(b)).toBe('silver');
    expect(await reachesB('gold', CONFIG_RECHECK_MS + 2_000)).toBeGreaterThan(0);
  });

  it('reads the version on every call while its change feed is down, and after it reconnects', async () => {
    await feedLive();
    await a.installs.setSettings(MERCHANT, installId, { goldAtFen: 700_000 });
    await reachesB('silver', notified);
    const before = bDb.changes.epoch;
    await test.db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'tongkit-host-changes' AND datname = current_database()`);
    await expect.poll(() => bDb.changes.epoch, { timeout: 5_000 }).not.toBe(before);
    // Whether b is still reconnecting or already listening again, a change it never heard of is seen on its next call.
    await changeUnannounced(`UPDATE installs SET settings = '{"goldAtFen": 100}' WHERE id = '${installId}'`);
    expect(await tierFrom(b)).toBe('gold');
    await feedLive();
    await a.installs.setSettings(MERCHANT, installId, { goldAtFen: 700_000 });
    await reachesB('silver', notified);
  });

  it('uninstalled: neither process serves it', async () => {
    await a.installs.uninstall(MERCHANT, installId);
    expect(await tierFrom(a)).toBe('platform');
    await reachesB('platform', notified);
  });

  it('refuses another merchant’s store, cache or not', async () => {
    expect(await tierFrom(b, 'cs-1')).toBe('platform');
    await expect(b.extensions.invoke(MERCHANT, POINT, GOLD.input, { storeId: 'os-1' })).rejects.toMatchObject({ code: 'TK_NOT_FOUND', path: '/storeId' });
    await expect(b.extensions.invoke(MERCHANT, POINT, GOLD.input, { storeId: 'no-such-store' })).rejects.toMatchObject({ code: 'TK_NOT_FOUND', path: '/storeId' });
  });
});
