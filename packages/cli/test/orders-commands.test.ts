// `tongkit orders import|get` and `tongkit members get` against a real host (in this process).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type Host } from '@tongkit/host';
import { createTestDatabase, type TestDatabase } from '@tongkit/host/testing';
import { tongkitAsync } from './helpers.js';

const home = mkdtempSync(join(tmpdir(), 'tongkit-orders-'));
let database: TestDatabase;
let host: Host;
let url: string;
const as = (token: string) => ({ env: { TONGKIT_HOST: url, TONGKIT_TOKEN: token, TONGKIT_HOME: home } });

beforeAll(async () => {
  database = await createTestDatabase();
  host = await startHost({ databaseUrl: database.url, dataDir: join(home, 'host'), dispatch: false });
  url = await host.listen(0);
}, 120_000);
afterAll(async () => {
  await host?.close();
  await database?.drop();
  rmSync(home, { recursive: true, force: true });
});

const order = (id: string, totalFen = 1_000) =>
  JSON.stringify({ id, kind: 'goods', channel: 'online', lines: [{ sku: 's', title: 'T', category: 'c', quantity: 1, unitPriceFen: totalFen }], payments: [{ method: 'cash', amountFen: totalFen }], paidAt: '2026-11-25T08:00:00Z' });

describe('tongkit orders import', () => {
  it('imports a file with a summary: applied, duplicate, and each rejected line with its reason', async () => {
    const file = join(home, 'orders.jsonl');
    const badTenders = JSON.stringify({ ...JSON.parse(order('I-4')), payments: [{ method: 'cash', amountFen: 1 }] });
    writeFileSync(file, [order('I-1'), order('I-2'), order('I-1'), badTenders, '{not json', '', order('I-5')].join('\n'));
    const run = await tongkitAsync(['orders', 'import', file, '--json', '--concurrency', '2'], as(host.tokens.devMerchant));
    expect(run.status, run.stderr).toBe(1);
    expect(run.json).toMatchObject({ ok: false, applied: 3, duplicate: 1, resumedAfterLine: 0, lines: 7 });
    expect(run.json.rejected).toEqual([
      expect.objectContaining({ line: 4, orderId: 'I-4', code: 'TK_VALIDATION', path: '/payments' }),
      expect.objectContaining({ line: 5, orderId: null, code: 'TK_VALIDATION' }),
    ]);
    expect(existsSync(`${file}.import-state.json`)).toBe(true);
  });

  it('resumes after the last line done, and --restart starts over (idempotent: duplicates only)', async () => {
    const file = join(home, 'resume.jsonl');
    writeFileSync(file, [order('J-1'), order('J-2')].join('\n'));
    // A run that fails at once: the host is not reachable, nothing is done.
    const down = await tongkitAsync(['orders', 'import', file, '--json'], { env: { TONGKIT_HOST: 'http://127.0.0.1:1', TONGKIT_TOKEN: host.tokens.devMerchant, TONGKIT_HOME: home } });
    expect(down.status).toBe(1);
    expect(down.json.error.code).toBe('TK_HOST_UNREACHABLE');
    const first = await tongkitAsync(['orders', 'import', file, '--json'], as(host.tokens.devMerchant));
    expect(first.json).toMatchObject({ ok: true, applied: 2, duplicate: 0, resumedAfterLine: 0 });
    writeFileSync(file, [order('J-1'), order('J-2'), order('J-3')].join('\n'));
    // A changed file starts over; its old lines are duplicates.
    const changed = await tongkitAsync(['orders', 'import', file, '--json'], as(host.tokens.devMerchant));
    expect(changed.json).toMatchObject({ applied: 1, duplicate: 2, resumedAfterLine: 0 });
    const again = await tongkitAsync(['orders', 'import', file, '--json'], as(host.tokens.devMerchant));
    expect(again.json).toMatchObject({ applied: 1, duplicate: 2, resumedAfterLine: 3 });
    const restart = await tongkitAsync(['orders', 'import', file, '--restart', '--json'], as(host.tokens.devMerchant));
    expect(restart.json).toMatchObject({ applied: 0, duplicate: 3, resumedAfterLine: 0 });
  });
});

describe('tongkit orders get / members get', () => {
  it('shows an order, and a member with --pii', async () => {
    const shown = await tongkitAsync(['orders', 'get', 'I-1', '--json'], as(host.tokens.devMerchant));
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.json).toMatchObject({ id: 'I-1', totalFen: 1_000, spendFen: 1_000 });
    const text = await tongkitAsync(['orders', 'get', 'I-1'], as(host.tokens.devMerchant));
    expect(text.stdout).toContain('¥10.00');
    const missing = await tongkitAsync(['orders', 'get', 'nope', '--json'], as(host.tokens.devMerchant));
    expect(missing.json.error.code).toBe('TK_NOT_FOUND');

    const { memberId } = (await host.services.members.register('dev-merchant', { channel: 'online', pii: { phone: '13700000001', name: 'Ada' } }));
    const member = await tongkitAsync(['members', 'get', memberId, '--json'], as(host.tokens.devMerchant));
    expect(member.json).toMatchObject({ id: memberId, hasPhone: true });
    expect(member.json.pii).toBeUndefined();
    const withPii = await tongkitAsync(['members', 'get', memberId, '--pii', '--json'], as(host.tokens.devMerchant));
    expect(withPii.json.pii).toMatchObject({ phone: '+8613700000001', name: 'Ada' });
  });
});
