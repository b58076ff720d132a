// `tongkit points adjust|get|ledger` against a real host (in this process).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type Host } from '@tongkit/host';
import { createTestDatabase, type TestDatabase } from '@tongkit/host/testing';
import { tongkitAsync } from './helpers.js';

const home = mkdtempSync(join(tmpdir(), 'tongkit-points-'));
let database: TestDatabase;
let host: Host;
let url: string;
let memberId: string;
const as = () => ({ env: { TONGKIT_HOST: url, TONGKIT_TOKEN: host.tokens.devMerchant, TONGKIT_HOME: home } });

beforeAll(async () => {
  database = await createTestDatabase();
  host = await startHost({ databaseUrl: database.url, dataDir: join(home, 'host'), dispatch: false });
  url = await host.listen(0);
  memberId = (await host.services.members.register('dev-merchant', { channel: 'online' })).memberId;
}, 120_000);
afterAll(async () => {
  await host?.close();
  await database?.drop();
  rmSync(home, { recursive: true, force: true });
});

describe('tongkit points', () => {
  it('adjusts with a reason and key, once: the same command again is a duplicate', async () => {
    const first = await tongkitAsync(['points', 'adjust', memberId, '200', '--reason', 'goodwill', '--key', 'ticket-1', '--json'], as());
    expect(first.status).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ status: 'applied', balanceBefore: 0, balanceAfter: 200 });
    const again = await tongkitAsync(['points', 'adjust', memberId, '200', '--reason', 'goodwill', '--key', 'ticket-1'], as());
    expect(again.stdout).toContain('duplicate');
    const conflict = await tongkitAsync(['points', 'adjust', memberId, '201', '--reason', 'goodwill', '--key', 'ticket-1', '--json'], as());
    expect(conflict.status).not.toBe(0);
    expect(JSON.parse(conflict.stdout).error.code).toBe('TK_CONFLICT');
  });

  it('deducts with a negative amount after --, and shows a rejection with its reason', async () => {
    const deducted = await tongkitAsync(['points', 'adjust', memberId, '--reason', 'correction', '--key', 'ticket-2', '--json', '--', '-50'], as());
    expect(JSON.parse(deducted.stdout)).toMatchObject({ status: 'applied', balanceAfter: 150 });
    const refused = await tongkitAsync(['points', 'adjust', memberId, '--reason', 'correction', '--key', 'ticket-3', '--', '-500'], as());
    expect(refused.stdout).toContain('insufficient_balance');
  });

  it('shows balances and the ledger', async () => {
    const shown = await tongkitAsync(['points', 'get', memberId, '--json'], as());
    expect(JSON.parse(shown.stdout)).toMatchObject({ memberId, points: { balance: 150, held: 0, debt: 0 } });
    const ledger = await tongkitAsync(['points', 'ledger', memberId, '--limit', '1', '--all', '--json'], as());
    expect(JSON.parse(ledger.stdout).items.map((e: { kind: string; delta: number }) => [e.kind, e.delta])).toEqual([
      ['grant', 200],
      ['deduct', -50],
    ]);
    const text = await tongkitAsync(['points', 'ledger', memberId], as());
    expect(text.stdout).toContain('goodwill');
  });
});
