// `tongkit service pay|show` against a real host (in this process): the fake provider pays a stage
// through the signed callback; a wrong amount is shown as an unmatched, refunded payment.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type Host } from '@tongkit/host';
import { createTestDatabase, type TestDatabase } from '@tongkit/host/testing';
import { tongkitAsync } from './helpers.js';

const home = mkdtempSync(join(tmpdir(), 'tongkit-service-'));
let database: TestDatabase;
let host: Host;
let url: string;
const as = (token: string) => ({ env: { TONGKIT_HOST: url, TONGKIT_TOKEN: token, TONGKIT_HOME: home } });

beforeAll(async () => {
  database = await createTestDatabase();
  host = await startHost({ databaseUrl: database.url, dataDir: join(home, 'host'), dispatch: false });
  url = await host.listen(0);
  const merchant = host.tokens.devMerchant;
  const post = (path: string, body: unknown) =>
    fetch(url + path, { method: 'POST', headers: { authorization: `Bearer ${merchant}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await post('/v1/orders', { id: 'S-1', kind: 'service', channel: 'online', lines: [{ sku: 'w', title: 'Wardrobe', category: 'furniture', quantity: 1, unitPriceFen: 88_800 }], payments: [{ method: 'card', amountFen: 88_800 }], paidAt: '2026-12-01T08:00:00Z' });
  await post('/v1/service-orders', { orderId: 'S-1' });
}, 120_000);
afterAll(async () => {
  await host?.close();
  await database?.drop();
  rmSync(home, { recursive: true, force: true });
});

describe('tongkit service pay / show', () => {
  // Each step runs the built CLI as its own process: a limit sized for a loaded machine, not a timing assertion.
  it('records a wrong amount as unmatched, pays the stage with the right one, and shows the order', { timeout: 180_000 }, async () => {
    const wrong = await tongkitAsync(['service', 'pay', 'S-1', '1', '--amount', '1', '--json'], as(host.tokens.devMerchant));
    expect(wrong.status, wrong.stderr).toBe(0);
    expect(wrong.json).toMatchObject({ result: 'unmatched', code: 'wrong_amount' });
    const paid = await tongkitAsync(['service', 'pay', 'S-1', '1', '--json'], as(host.tokens.devMerchant));
    expect(paid.json).toMatchObject({ result: 'applied' });
    const shown = await tongkitAsync(['service', 'show', 'S-1', '--json'], as(host.tokens.devMerchant));
    expect(shown.json).toMatchObject({ id: 'S-1', paidFen: 88_800, stages: [{ stageNo: 1, state: 'paid' }] });
    const text = await tongkitAsync(['service', 'show', 'S-1'], as(host.tokens.devMerchant));
    expect(text.stdout).toContain('¥888.00');
    expect(text.stdout).toContain('unmatched payment');
    const again = await tongkitAsync(['service', 'pay', 'S-1', '1', '--json'], as(host.tokens.devMerchant));
    expect(again.json).toMatchObject({ result: 'rejected', code: 'stage_not_payable' });
  });
});
