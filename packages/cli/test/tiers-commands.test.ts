// `tongkit tiers set|show` against a real host: a merchant sets its tier ladder from a file and reads it
// back; a duplicate rank comes back with its JSON path.
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
}, 120_000);

afterAll(async () => {
  await host?.close();
  await database?.drop();
  rmSync(home, { recursive: true, force: true });
});

describe('tongkit tiers', () => {
  const file = join(home, 'tiers.json');
  const ladder = {
    tiers: [
      { id: 'regular', name: '普通会员', rank: 0 },
      { id: 'gold', name: '金卡', rank: 2 },
    ],
    validityMonths: 12,
    downgradeProtectionDays: 30,
  };

  it('sets the ladder from a file and shows it', async () => {
    writeFileSync(file, JSON.stringify(ladder));
    const set = await tongkitAsync(['tiers', 'set', file, '--json'], as(host.tokens.devMerchant));
    expect(set.status).toBe(0);
    expect(set.json).toMatchObject({ ...ladder, revision: 1 });
    const show = await tongkitAsync(['tiers', 'show'], as(host.tokens.devMerchant));
    expect(show.status).toBe(0);
    expect(show.stdout).toContain('protection    30 days against a downgrade');
    expect(show.stdout).toMatch(/2 {2}gold +金卡/);
  }, 60_000);

  it('refuses a duplicate rank, at its JSON path', async () => {
    writeFileSync(file, JSON.stringify({ tiers: [{ id: 'a', name: 'A', rank: 1 }, { id: 'b', name: 'B', rank: 1 }] }));
    const bad = await tongkitAsync(['tiers', 'set', file, '--json'], as(host.tokens.devMerchant));
    expect(bad.status).toBe(1);
    expect(bad.json.error).toMatchObject({ code: 'TK_VALIDATION', path: '/tiers/1/rank' });
  }, 60_000);
});
