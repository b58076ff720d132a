// `tongkit stored-value top-up|spend|refund|get` against a real host (in this process), on the
// development merchant (its fake provider pays top-ups through the signed callback).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type Host } from '@tongkit/host';
import { createTestDatabase, type TestDatabase } from '@tongkit/host/testing';
import { tongkitAsync } from './helpers.js';

const home = mkdtempSync(join(tmpdir(), 'tongkit-sv-'));
let database: TestDatabase;
let host: Host;
let url: string;
let memberId: string;
const as = () => ({ env: { TONGKIT_HOST: url, TONGKIT_TOKEN: host.tokens.devMerchant, TONGKIT_HOME: home } });

beforeAll(async () => {
  database = await createTestDatabase();
  host = await startHost({ databaseUrl: database.url, dataDir: join(home, 'host'), dispatch: false });
  url = await host.listen(0);
  memberId = (await host.services.members.register('dev-merchant', { channel: 'store' })).memberId;
}, 120_000);
afterAll(async () => {
  await host?.close();
  await database?.drop();
  rmSync(home, { recursive: true, force: true });
});

describe('tongkit stored-value', () => {
  it('tops up through the fake provider, spends once per key, refunds back, and shows the balance', async () => {
    const topUp = await tongkitAsync(['stored-value', 'top-up', memberId, '10000', '--key', 'tu-1', '--fake-pay', '--json'], as());
    expect(topUp.status, topUp.stderr).toBe(0);
    expect(JSON.parse(topUp.stdout)).toMatchObject({ principalFen: 10_000, payment: { result: 'applied' } });
    const spend = await tongkitAsync(['stored-value', 'spend', memberId, '4000', '--key', 'r-1', '--json'], as());
    const spent = JSON.parse(spend.stdout);
    expect(spent).toMatchObject({ status: 'applied', balanceFen: 6_000 });
    const again = await tongkitAsync(['stored-value', 'spend', memberId, '4000', '--key', 'r-1'], as());
    expect(again.stdout).toContain('duplicate');
    const tooMuch = await tongkitAsync(['stored-value', 'spend', memberId, '6001', '--key', 'r-2'], as());
    expect(tooMuch.stdout).toContain('insufficient_balance');
    const refund = await tongkitAsync(['stored-value', 'refund', '--spend', spent.refId, '1000', '--key', 'rf-1', '--json'], as());
    expect(JSON.parse(refund.stdout)).toMatchObject({ status: 'applied', balanceFen: 7_000 });
    const shown = await tongkitAsync(['stored-value', 'get', memberId], as());
    expect(shown.stdout).toContain('¥70.00');
  }, 120_000);
});
