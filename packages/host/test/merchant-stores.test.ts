// A merchant's own stores through the API (`GET|POST /v1/stores`): it lists them, adds one, renames it;
// an id another merchant holds is a TK_CONFLICT that changes nothing of that merchant's store, also when
// two merchants race for a new id; `startHost({ sampleStores: true })` gives the development merchant
// sh-01 and bj-01 once, keeping a rename and another merchant's claim on the id.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost } from '../src/index.js';
import { createTestDatabase } from '../src/testing.js';
import { createMerchant, expectError, ok, startTestHost, type TestHost } from './helpers.js';

const t: TestHost = await startTestHost({ dispatch: { maxAttempts: 1, backoffMs: () => 0 } });
afterAll(async () => {
  await t.close();
});

let a = '';
let b = '';
beforeAll(async () => {
  a = await createMerchant(t, 'stores-a', { stores: ['stores-a-1'] });
  b = await createMerchant(t, 'stores-b', { stores: [] });
});

const storeRow = async (id: string) => (await t.host.services.db.query('SELECT merchant_id, name, channel FROM stores WHERE id = $1', [id])).rows[0];

describe('a merchant’s stores', () => {
  it('lists its own stores only', async () => {
    expect(await ok(t.api(a, 'GET', '/v1/stores'))).toEqual({ items: [{ id: 'stores-a-1', name: 'Store stores-a-1', channel: 'store' }] });
    expect(await ok(t.api(b, 'GET', '/v1/stores'))).toEqual({ items: [] });
  });

  it('adds a store, then renames it and changes its channel under the same id', async () => {
    expect(await ok(t.api(b, 'POST', '/v1/stores', { id: 'stores-b-web', name: 'Web', channel: 'online' }))).toEqual({ id: 'stores-b-web', name: 'Web', channel: 'online' });
    await ok(t.api(b, 'POST', '/v1/stores', { id: 'stores-b-web', name: 'Web shop', channel: 'warehouse' }));
    expect((await ok(t.api(b, 'GET', '/v1/stores'))).items).toEqual([{ id: 'stores-b-web', name: 'Web shop', channel: 'warehouse' }]);
  });

  it('refuses another merchant’s store id with TK_CONFLICT at /id, leaving that store as it was', async () => {
    const before = await storeRow('stores-a-1');
    const refused = expectError(await t.api(b, 'POST', '/v1/stores', { id: 'stores-a-1', name: 'Mine now', channel: 'warehouse' }), 409, 'TK_CONFLICT', '/id');
    expect(refused.message).toBe('the store id stores-a-1 is taken by another merchant');
    expect(refused.hint).toMatch(/choose another id/);
    expect(await storeRow('stores-a-1')).toEqual(before);
    expect((await ok(t.api(b, 'GET', '/v1/stores'))).items.map((s: { id: string }) => s.id)).not.toContain('stores-a-1');
  });

  it('refuses it through the admin route too, naming the same clash', async () => {
    const refused = expectError(await t.api(t.host.tokens.admin, 'POST', '/v1/admin/stores', { id: 'stores-a-1', merchantId: 'stores-b', name: 'Moved', channel: 'store' }), 409, 'TK_CONFLICT', '/id');
    expect(refused.message).toBe('the store id stores-a-1 is taken by another merchant');
    expect((await storeRow('stores-a-1'))?.merchant_id).toBe('stores-a');
  });

  it('gives a new id raced for by two merchants to one of them; the other is refused and renames nothing', async () => {
    for (let round = 0; round < 10; round++) {
      const id = `stores-race-${round}`;
      const [fromA, fromB] = await Promise.all([
        t.api(a, 'POST', '/v1/stores', { id, name: 'Of A', channel: 'store' }),
        t.api(b, 'POST', '/v1/stores', { id, name: 'Of B', channel: 'online' }),
      ]);
      expect([fromA.status, fromB.status].sort(), `${fromA.text} ${fromB.text}`).toEqual([200, 409]);
      const winner = fromA.status === 200 ? { merchant_id: 'stores-a', name: 'Of A', channel: 'store' } : { merchant_id: 'stores-b', name: 'Of B', channel: 'online' };
      expect(await storeRow(id)).toEqual(winner);
    }
  });

  it('refuses a merchant naming another merchant in ?merchantId=, and a body that is not a store', async () => {
    expectError(await t.api(b, 'POST', '/v1/stores?merchantId=stores-a', { id: 'stores-b-2', name: 'X', channel: 'store' }), 403, 'TK_FORBIDDEN');
    expectError(await t.api(b, 'POST', '/v1/stores', { id: 'Not An Id', name: 'X', channel: 'store' }), 400, 'TK_VALIDATION', '/id');
    expectError(await t.api(b, 'POST', '/v1/stores', { id: 'stores-b-3', name: 'X', channel: 'kiosk' }), 400, 'TK_VALIDATION', '/channel');
    expect(await storeRow('stores-b-2')).toBeUndefined();
  });

  it('lets an admin add a store for a merchant it names', async () => {
    await ok(t.api(t.host.tokens.admin, 'POST', '/v1/stores?merchantId=stores-b', { id: 'stores-b-admin', name: 'By admin', channel: 'store' }));
    expect(await storeRow('stores-b-admin')).toEqual({ merchant_id: 'stores-b', name: 'By admin', channel: 'store' });
  });
});

describe('startHost({ sampleStores: true })', () => {
  it('gives the development merchant sh-01 and bj-01 once, keeping its rename and another merchant’s id', async () => {
    const database = await createTestDatabase();
    const dataDir = await mkdtemp(join(tmpdir(), 'tongkit-stores-'));
    try {
      const first = await startHost({ databaseUrl: database.url, dataDir, dispatch: false, sampleStores: true });
      expect(first.sampleStores).toEqual([
        { id: 'sh-01', name: 'Shanghai 01', channel: 'store' },
        { id: 'bj-01', name: 'Beijing 01', channel: 'store' },
      ]);
      // The merchant renames one; another merchant already holds bj-01 on the next start's database.
      await first.services.tenancy.upsertStore({ id: 'sh-01', merchantId: 'dev-merchant', name: 'Shanghai flagship', channel: 'store' });
      await first.services.db.query("DELETE FROM stores WHERE id = 'bj-01'");
      await first.services.tenancy.upsertMerchant({ id: 'someone-else', name: 'Someone else', tierId: 'standard' });
      await first.services.tenancy.upsertStore({ id: 'bj-01', merchantId: 'someone-else', name: 'Theirs', channel: 'online' });
      await first.close();

      const second = await startHost({ databaseUrl: database.url, dataDir, dispatch: false, sampleStores: true });
      try {
        expect(second.sampleStores).toEqual([{ id: 'sh-01', name: 'Shanghai flagship', channel: 'store' }]);
        expect(await second.services.tenancy.stores('someone-else')).toEqual([{ id: 'bj-01', name: 'Theirs', channel: 'online' }]);
      } finally {
        await second.close();
      }
      const plain = await startHost({ databaseUrl: database.url, dataDir, dispatch: false });
      expect(plain.sampleStores).toEqual([]);
      await plain.close();
    } finally {
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
