// `tongkit fulfilment set|show` against a real host: a merchant makes its store a fulfilment point from
// a file and reads it back; a wrong value comes back with its JSON path.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type Host } from '@tongkit/host';
import { createTestDatabase, type TestDatabase } from '@tongkit/host/testing';
import { tongkitAsync } from './helpers.js';

const home = mkdtempSync(join(tmpdir(), 'tongkit-home-'));
let database: TestDatabase;
let host: Host;
let url: string;
const as = (token: string) => ({ env: { TONGKIT_HOST: url, TONGKIT_TOKEN: token, TONGKIT_HOME: home } });

beforeAll(async () => {
  database = await createTestDatabase();
  host = await startHost({ databaseUrl: database.url, dataDir: join(home, 'host'), dispatch: false, services: { runtime: { isolation: 'in-process' } } });
  url = await host.listen(0);
  await host.services.tenancy.upsertStore({ id: 'cli-sh-01', merchantId: 'dev-merchant', name: 'Shanghai 01', channel: 'store' });
}, 120_000);

afterAll(async () => {
  await host?.close();
  await database?.drop();
  rmSync(home, { recursive: true, force: true });
});

describe('tongkit fulfilment', () => {
  const file = join(home, 'sh-01.json');
  const settings = {
    capabilities: ['pickup'],
    workingHours: [{ day: 'mon', opens: '10:00', closes: '22:00' }],
    closedDays: [],
    dailyCapacity: 30,
    priority: 5,
    location: null,
    deliveryRadiusM: 0,
    minDeliveryOrderFen: 0,
  };

  it('sets a store’s settings from a file and shows them', async () => {
    writeFileSync(file, JSON.stringify(settings));
    const set = await tongkitAsync(['fulfilment', 'set', 'cli-sh-01', '--file', file, '--json'], as(host.tokens.devMerchant));
    expect(set.status).toBe(0);
    expect(set.json.settings).toEqual(settings);
    const show = await tongkitAsync(['fulfilment', 'show', 'cli-sh-01'], as(host.tokens.devMerchant));
    expect(show.status).toBe(0);
    expect(show.stdout).toContain('capacity      30 orders a day, priority 5');
  });

  it('refuses a store that delivers without a location, at /location', async () => {
    writeFileSync(file, JSON.stringify({ ...settings, capabilities: ['deliver'], deliveryRadiusM: 3000 }));
    const bad = await tongkitAsync(['fulfilment', 'set', 'cli-sh-01', '--file', file, '--json'], as(host.tokens.devMerchant));
    expect(bad.status).toBe(1);
    expect(bad.json.error).toMatchObject({ code: 'TK_VALIDATION', path: '/location' });
  });
});
