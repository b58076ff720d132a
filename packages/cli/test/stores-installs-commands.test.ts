// `tongkit stores list|add`, `tongkit installs list` and `tongkit rollback`'s refusal, as a merchant
// against a real host (in this process, on its own database, with the sample stores `host start` asks
// for): the development merchant finds sh-01 and bj-01, adds a store, is refused another merchant's store
// id; installs list shows its install; a rollback with nothing to roll back to says what to run instead.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFixtures } from '@tongkit/runtime';
import { buildPlugin } from '@tongkit/runtime/build';
import { startHost, type Host } from '@tongkit/host';
import { createTestDatabase, type TestDatabase } from '@tongkit/host/testing';
import { REPO, tongkitAsync } from './helpers.js';

const template = join(REPO, 'templates', 'member-tier');
const home = mkdtempSync(join(tmpdir(), 'tongkit-home-'));
let database: TestDatabase;
let host: Host;
let url: string;
let otherMerchant = '';
const as = (token: string) => ({ env: { TONGKIT_HOST: url, TONGKIT_TOKEN: token, TONGKIT_HOME: home } });

/** Calls the host as `token`, failing on anything but a 2xx. */
async function api(token: string, method: string, path: string, body: unknown): Promise<any> {
  const response = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

beforeAll(async () => {
  database = await createTestDatabase();
  host = await startHost({ databaseUrl: database.url, dataDir: join(home, 'host'), dispatch: false, sampleStores: true, services: { runtime: { isolation: 'in-process' } } });
  url = await host.listen(0);
  // Another merchant, with a store of its own.
  const { admin, developer } = host.tokens;
  await api(admin, 'POST', '/v1/admin/merchants', { id: 'cli-rival', name: 'Rival', tierId: 'standard' });
  await api(admin, 'POST', '/v1/admin/stores', { id: 'rival-01', merchantId: 'cli-rival', name: 'Rival 01', channel: 'store' });
  otherMerchant = (await api(admin, 'POST', '/v1/admin/tokens', { role: 'merchant', subjectId: 'cli-rival' })).token;
  // The template, uploaded unreviewed: the development merchant may install it.
  const { bundle } = await buildPlugin(template);
  await api(developer, 'POST', '/v1/versions', { ...bundle, fixtures: await readFixtures(join(template, 'fixtures'), template) });
}, 120_000);

afterAll(async () => {
  await host?.close();
  await database?.drop();
  rmSync(home, { recursive: true, force: true });
});

describe('tongkit stores', () => {
  it('lists the development merchant’s sample stores', async () => {
    const list = await tongkitAsync(['stores', 'list'], as(host.tokens.devMerchant));
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^bj-01\s+store\s+Beijing 01$/m);
    expect(list.stdout).toMatch(/^sh-01\s+store\s+Shanghai 01$/m);
  });

  it('adds a store the merchant then lists, and renames it under the same id', async () => {
    const added = await tongkitAsync(['stores', 'add', 'hz-web', '--name', 'Hangzhou online', '--channel', 'online'], as(host.tokens.devMerchant));
    expect(added.status, added.stderr).toBe(0);
    expect(added.stdout).toContain('✔ store hz-web (online): Hangzhou online');
    const renamed = await tongkitAsync(['stores', 'add', 'hz-web', '--name', 'Hangzhou web shop', '--channel', 'online', '--json'], as(host.tokens.devMerchant));
    expect(renamed.json).toEqual({ ok: true, id: 'hz-web', name: 'Hangzhou web shop', channel: 'online' });
    const list = await tongkitAsync(['stores', 'list', '--json'], as(host.tokens.devMerchant));
    expect(list.json.items).toEqual([
      { id: 'bj-01', name: 'Beijing 01', channel: 'store' },
      { id: 'hz-web', name: 'Hangzhou web shop', channel: 'online' },
      { id: 'sh-01', name: 'Shanghai 01', channel: 'store' },
    ]);
  });

  it('refuses another merchant’s store id with TK_CONFLICT and exit 1, and that store stays the other merchant’s', async () => {
    const refused = await tongkitAsync(['stores', 'add', 'rival-01', '--name', 'Taken over', '--json'], as(host.tokens.devMerchant));
    expect(refused.status).toBe(1);
    expect(refused.json.error).toMatchObject({ code: 'TK_CONFLICT', path: '/id', message: 'the store id rival-01 is taken by another merchant' });
    const human = await tongkitAsync(['stores', 'add', 'rival-01', '--name', 'Taken over'], as(host.tokens.devMerchant));
    expect(human.stderr).toContain('✖ TK_CONFLICT the store id rival-01 is taken by another merchant');
    expect(human.stderr).toMatch(/→ Store ids are unique across the host: choose another id/);
    const theirs = await tongkitAsync(['stores', 'list', '--json'], as(otherMerchant));
    expect(theirs.json.items).toEqual([{ id: 'rival-01', name: 'Rival 01', channel: 'store' }]);
  });

  it('is refused to a developer token, saying who may call it', async () => {
    const run = await tongkitAsync(['stores', 'list', '--json'], as(host.tokens.developer));
    expect(run.status).toBe(1);
    expect(run.json.error.code).toBe('TK_FORBIDDEN');
    expect(run.json.error.hint).toBe('This route is for: merchant.');
  });

  it('settings set --store takes a sample store', async () => {
    const installed = await tongkitAsync(['install', 'my-member-tiers', '--yes', '--json'], as(host.tokens.devMerchant));
    expect(installed.status, installed.stderr).toBe(0);
    const set = await tongkitAsync(['settings', 'set', installed.json.id, '--store', 'sh-01', '--set', 'goldAtFen=800000', '--json'], as(host.tokens.devMerchant));
    expect(set.status, set.stderr).toBe(0);
    expect(set.json.storeOverrides).toEqual({ 'sh-01': { goldAtFen: 800000 } });
  });
});

describe('tongkit installs list', () => {
  it('prints one line per install: id, plugin@version, status, enabled points', async () => {
    const [install] = (await tongkitAsync(['installs', 'list', '--json'], as(host.tokens.devMerchant))).json.items;
    expect(install).toMatchObject({ plugin: 'my-member-tiers', version: '0.1.0', status: 'active', enabledPoints: ['member.tier.compute'] });
    const list = await tongkitAsync(['installs', 'list'], as(host.tokens.devMerchant));
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout.trim()).toBe(`${install.id}  my-member-tiers@0.1.0  active  member.tier.compute`);
  });

  it('shows a disabled install as disabled', async () => {
    const [install] = (await tongkitAsync(['installs', 'list', '--json'], as(host.tokens.devMerchant))).json.items;
    await api(host.tokens.devMerchant, 'POST', `/v1/installs/${install.id}/disable`, {});
    const list = await tongkitAsync(['installs', 'list'], as(host.tokens.devMerchant));
    expect(list.stdout).toContain(`${install.id}  my-member-tiers@0.1.0  disabled`);
    await api(host.tokens.devMerchant, 'POST', `/v1/installs/${install.id}/enable`, {});
  });

  it('says so when the merchant has none', async () => {
    const list = await tongkitAsync(['installs', 'list'], as(otherMerchant));
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toContain('no installs');
    expect((await tongkitAsync(['installs', 'list', '--json'], as(otherMerchant))).json).toEqual({ ok: true, items: [] });
  });
});

describe('tongkit rollback with nothing to roll back to', () => {
  it('says which version runs and how to list and release another', async () => {
    const run = await tongkitAsync(['rollback', 'my-member-tiers', '--json'], as(host.tokens.devMerchant));
    expect(run.status).toBe(1);
    expect(run.json.error.code).toBe('TK_CONFLICT');
    expect(run.json.error.message).toBe('my-member-tiers has no earlier version to roll back to: the install has run only 0.1.0');
    expect(run.json.error.hint).toContain('tongkit versions list --plugin my-member-tiers');
    expect(run.json.error.hint).toContain('tongkit release my-member-tiers@<version>');
    expect(run.json.error.hint).not.toMatch(/name/);
  });
});
