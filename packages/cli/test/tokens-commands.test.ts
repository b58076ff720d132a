// `tongkit tokens issue|list|revoke` (a merchant's integration tokens for its POS/ERP) and
// `tongkit members rotate-keys` against a real host (in this process).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type Host } from '@tongkit/host';
import { createTestDatabase, type TestDatabase } from '@tongkit/host/testing';
import { tongkitAsync } from './helpers.js';

const home = mkdtempSync(join(tmpdir(), 'tongkit-tokens-'));
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

const order = (id: string) =>
  JSON.stringify({ id, kind: 'goods', channel: 'online', lines: [{ sku: 's', title: 'T', category: 'c', quantity: 1, unitPriceFen: 500 }], payments: [{ method: 'card', amountFen: 500 }], paidAt: '2026-11-25T08:00:00Z' });

describe('tongkit tokens', () => {
  // Each test runs the built CLI several times (a node process each): roomy timeouts for a loaded machine.
  it('issues an integration token that imports orders, lists it by name, and revokes it', async () => {
    const issued = await tongkitAsync(['tokens', 'issue', '--integration', 'pos-main', '--json'], as(host.tokens.devMerchant));
    expect(issued.status, issued.stderr).toBe(0);
    expect(issued.json).toMatchObject({ ok: true, role: 'integration', name: 'pos-main', revokedAt: null });
    const { id, token } = issued.json as { id: string; token: string };
    expect(token).toMatch(/^tk_integration_/);

    const listed = await tongkitAsync(['tokens', 'list', '--role', 'integration', '--json'], as(host.tokens.devMerchant));
    expect(listed.json.items).toEqual([expect.objectContaining({ id, role: 'integration', name: 'pos-main', revokedAt: null })]);
    expect(JSON.stringify(listed.json)).not.toContain(token);

    const file = join(home, 'pos.jsonl');
    writeFileSync(file, [order('POS-1'), order('POS-2')].join('\n'));
    const imported = await tongkitAsync(['orders', 'import', file, '--json'], as(token));
    expect(imported.json).toMatchObject({ ok: true, applied: 2, duplicate: 0 });
    // What the POS may not do: read an order back, or issue tokens.
    expect((await tongkitAsync(['orders', 'get', 'POS-1', '--json'], as(token))).json.error.code).toBe('TK_FORBIDDEN');
    expect((await tongkitAsync(['tokens', 'issue', '--integration', 'escalate', '--json'], as(token))).json.error.code).toBe('TK_FORBIDDEN');

    const revoked = await tongkitAsync(['tokens', 'revoke', id, '--json'], as(host.tokens.devMerchant));
    expect(revoked.json).toMatchObject({ ok: true, id, role: 'integration' });
    expect(revoked.json.revokedAt).toEqual(expect.any(String));
    writeFileSync(file, order('POS-3'));
    const after = await tongkitAsync(['orders', 'import', file, '--json', '--restart'], as(token));
    expect(after.status).toBe(1);
    expect(after.json.error.code).toBe('TK_UNAUTHORIZED');
  }, 120_000);

  it('says whom a token is for when no flag does', async () => {
    const run = await tongkitAsync(['tokens', 'issue', '--json'], as(host.tokens.devMerchant));
    expect(run.status).toBe(1);
    expect(run.json.error).toMatchObject({ code: 'TK_VALIDATION' });
    expect(run.json.error.hint).toMatch(/--integration/);
  }, 60_000);
});

describe('tongkit members rotate-keys', () => {
  it('shows where a rotation stands and runs it to done, for admins only', async () => {
    const status = await tongkitAsync(['members', 'rotate-keys', '--status', '--json'], as(host.tokens.admin));
    expect(status.status, status.stderr).toBe(0);
    expect(status.json).toMatchObject({ activeKeyId: 'k1', remaining: { pii: 0, digests: 0 }, done: true });
    const run = await tongkitAsync(['members', 'rotate-keys', '--json'], as(host.tokens.admin));
    expect(run.json).toMatchObject({ done: true, rotated: { pii: 0, digests: 0 } });
    const merchant = await tongkitAsync(['members', 'rotate-keys', '--json'], as(host.tokens.devMerchant));
    expect(merchant.json.error.code).toBe('TK_FORBIDDEN');
  }, 60_000);
});
