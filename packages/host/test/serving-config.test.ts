// The extension invoker's cached reads (extensions/serving-config.ts, migration 110) across two host
// processes — two sets of host services on one database, each with its own cache: every change made
// through one (settings, a store's override, disabling, uninstalling) or straight in SQL (a tier
// narrowed) is seen by the other on its very next call, with no wait.
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlugin } from '@tongkit/runtime/build';
import type { Principal } from '../src/index.js';
import { createHostServices, createTestDatabase, type HostServices, type TestDatabase } from '../src/testing.js';

const template = fileURLToPath(new URL('../../../templates/member-tier', import.meta.url));
const GOLD = JSON.parse(readFileSync(`${template}/fixtures/gold.json`, 'utf8')) as { input: unknown };
const POINT = 'member.tier.compute';
const MERCHANT = 'cache-shop';
const developer: Principal = { role: 'developer', subjectId: 'cache-dev' };

let test: TestDatabase;
let a: HostServices;
let b: HostServices;
let installId: string;

const tierFrom = async (services: HostServices, storeId?: string) => {
  const decision = await services.extensions.invoke(MERCHANT, POINT, GOLD.input, { storeId });
  return decision.source === 'plugin' ? (decision.output as { tierId: string }).tierId : decision.source;
};

beforeAll(async () => {
  test = await createTestDatabase();
  a = createHostServices(test.db, { runtime: { isolation: 'in-process' } });
  b = createHostServices(test.db, { runtime: { isolation: 'in-process' } });
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
  await test?.drop();
});

describe('cached serving configuration across host processes', () => {
  it('sees each change on the next call', async () => {
    expect([await tierFrom(a), await tierFrom(b), await tierFrom(b, 'cs-1')]).toEqual(['gold', 'gold', 'gold']);

    await a.installs.setSettings(MERCHANT, installId, { goldAtFen: 700_000 });
    expect(await tierFrom(b)).toBe('silver');

    await a.installs.setStoreOverride(MERCHANT, installId, 'cs-1', { goldAtFen: 100 });
    expect([await tierFrom(b, 'cs-1'), await tierFrom(b)]).toEqual(['gold', 'silver']);
    await a.installs.setStoreOverride(MERCHANT, installId, 'cs-1', null);
    expect(await tierFrom(b, 'cs-1')).toBe('silver');

    // A tier narrowed by hand in SQL (no host code ran) stops the install serving; widened, it serves again.
    await test.db.query(`UPDATE merchant_tiers SET allowed_points = '{}' WHERE id = 'standard'`);
    expect(await tierFrom(b)).toBe('platform');
    await test.db.query(`UPDATE merchant_tiers SET allowed_points = NULL WHERE id = 'standard'`);
    expect(await tierFrom(b)).toBe('silver');

    await a.installs.setEnabled(MERCHANT, installId, false);
    expect(await tierFrom(b)).toBe('platform');
    await a.installs.setEnabled(MERCHANT, installId, true);
    expect(await tierFrom(b)).toBe('silver');

    await a.installs.uninstall(MERCHANT, installId);
    expect([await tierFrom(a), await tierFrom(b)]).toEqual(['platform', 'platform']);
  });

  it('refuses another merchant’s store, cache or not', async () => {
    await expect(b.extensions.invoke(MERCHANT, POINT, GOLD.input, { storeId: 'os-1' })).rejects.toMatchObject({ code: 'TK_NOT_FOUND', path: '/storeId' });
    await expect(b.extensions.invoke(MERCHANT, POINT, GOLD.input, { storeId: 'no-such-store' })).rejects.toMatchObject({ code: 'TK_NOT_FOUND', path: '/storeId' });
  });
});
