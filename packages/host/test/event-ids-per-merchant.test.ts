// Event ids belong to their merchant. They were once global: a merchant publishing an id another
// merchant had used got TK_CONFLICT, which told it the id was taken (an oracle of other merchants'
// orders), and could publish a merchant's predictable ids (`order-<n>-paid`) first, so that merchant's
// real events were refused and never delivered. Migration 005 keys events by (merchant, id).
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createDatabase, dropDatabase, openDatabase } from '../src/platform/storage/database.js';
import { migrate } from '../src/platform/storage/migrate.js';
import { TEST_SERVER_URL_ENV } from '../src/platform/storage/test-database.js';
import { createMerchant, expectError, kvValue, ok, publish, startTestHost, uploadOf, type TestHost, orderPaidData, orderRefundedData } from './helpers.js';

let t: TestHost;

beforeAll(async () => {
  t = await startTestHost({ dispatch: { maxAttempts: 2, backoffMs: () => 0 } });
  await publish(t, await uploadOf('kvCounter'));
});

afterAll(async () => {
  await t?.close();
});

const drain = () => t.host.services.dispatcher.drain();
const paidEvent = (id: string, data: Record<string, unknown> = {}) => ({ id, type: 'order.paid', data: orderPaidData(data) });

async function installCounter(token: string, settings: Record<string, unknown> = {}): Promise<string> {
  return (await ok(t.api(token, 'POST', '/v1/installs', { plugin: 'test-kv-counter', grantPermissions: ['storage:kv'], settings }), 201)).id;
}

describe('event ids per merchant', () => {
  it('the same id from two merchants is two events, each delivered to its own merchant; neither learns of the other', async () => {
    const acme = await createMerchant(t, 'ids-acme');
    const beta = await createMerchant(t, 'ids-beta');
    const acmeInstall = await installCounter(acme);
    const betaInstall = await installCounter(beta);

    expect(await ok(t.api(acme, 'POST', '/v1/events', paidEvent('probe-1')), 202)).toEqual({ id: 'probe-1', type: 'order.paid', merchantId: 'ids-acme', deliveries: 1, duplicate: false });
    // Beta probing acme's id learns nothing: it has published an event of its own.
    expect(await ok(t.api(beta, 'POST', '/v1/events', paidEvent('probe-1')), 202)).toEqual({ id: 'probe-1', type: 'order.paid', merchantId: 'ids-beta', deliveries: 1, duplicate: false });
    // …whatever its type.
    expect(await ok(t.api(beta, 'POST', '/v1/events', { id: 'probe-2', type: 'order.refunded', data: orderRefundedData() }), 202)).toMatchObject({ duplicate: false });
    await ok(t.api(acme, 'POST', '/v1/events', paidEvent('probe-2')), 202);
    await drain();
    expect(await kvValue(t, acmeInstall, 'paid')).toBe(2);
    expect(await kvValue(t, betaInstall, 'paid')).toBe(1);

    // Publishing stays idempotent per merchant, and a merchant's own clash is still refused — in its own words.
    expect(await ok(t.api(acme, 'POST', '/v1/events', paidEvent('probe-1')), 202)).toMatchObject({ merchantId: 'ids-acme', duplicate: true, deliveries: 1 });
    const clash = expectError(await t.api(beta, 'POST', '/v1/events', paidEvent('probe-2')), 409, 'TK_CONFLICT', '/id');
    expect(clash.message).toBe('event id probe-2 is already used by another of your events, of type order.refunded');
    expect(JSON.stringify(clash)).not.toMatch(/ids-acme/);
    await drain();
    expect(await kvValue(t, acmeInstall, 'paid')).toBe(2);
    expect(await kvValue(t, betaInstall, 'paid')).toBe(1);
  });

  it('a merchant cannot claim another merchant’s predictable ids before it', async () => {
    const owner = await createMerchant(t, 'squat-owner');
    const squatter = await createMerchant(t, 'squat-squatter');
    const ownerInstall = await installCounter(owner);
    await ok(t.api(squatter, 'POST', '/v1/events', { id: 'order-9999-paid', type: 'order.refunded', data: orderRefundedData() }), 202);

    expect(await ok(t.api(owner, 'POST', '/v1/events', paidEvent('order-9999-paid', { amountFen: 5 })), 202)).toMatchObject({ duplicate: false, deliveries: 1 });
    await drain();
    expect(await kvValue(t, ownerInstall, 'paid')).toBe(1);
  });

  it('dead letters and replay are per merchant when two merchants share an event id', async () => {
    const acme = await createMerchant(t, 'dead-acme');
    const beta = await createMerchant(t, 'dead-beta');
    const acmeInstall = await installCounter(acme, { failPaid: true });
    const betaInstall = await installCounter(beta, { failPaid: true });
    await ok(t.api(acme, 'POST', '/v1/events', paidEvent('evt-shared')), 202);
    await ok(t.api(beta, 'POST', '/v1/events', paidEvent('evt-shared')), 202);
    await drain();
    expect((await ok(t.api(acme, 'GET', '/v1/deliveries/dead'))).items).toEqual([expect.objectContaining({ eventId: 'evt-shared', installId: acmeInstall, type: 'order.paid', attempts: 2 })]);
    expect((await ok(t.api(beta, 'GET', '/v1/deliveries/dead'))).items).toEqual([expect.objectContaining({ eventId: 'evt-shared', installId: betaInstall, type: 'order.paid', attempts: 2 })]);

    // Acme fixes its install and replays its own delivery; beta's stays dead.
    await ok(t.api(acme, 'PUT', `/v1/installs/${acmeInstall}/settings`, { failPaid: false }));
    await ok(t.api(beta, 'PUT', `/v1/installs/${betaInstall}/settings`, { failPaid: false }));
    expectError(await t.api(acme, 'POST', `/v1/deliveries/evt-shared/${betaInstall}/replay`, {}), 404, 'TK_NOT_FOUND');
    expect(await ok(t.api(acme, 'POST', `/v1/deliveries/evt-shared/${acmeInstall}/replay`, {}))).toEqual({ eventId: 'evt-shared', installId: acmeInstall, status: 'pending' });
    await drain();
    expect(await kvValue(t, acmeInstall, 'paid')).toBe(1);
    expect(await kvValue(t, betaInstall, 'paid')).toBeUndefined();
    expect((await ok(t.api(acme, 'GET', '/v1/deliveries/dead'))).items).toEqual([]);
    expect((await ok(t.api(beta, 'GET', '/v1/deliveries/dead'))).items).toHaveLength(1);
  });
});

describe('migration 005', () => {
  it('re-keys events and deliveries of a database that already holds them', async () => {
    const adminUrl = process.env['DATABASE_URL'] || process.env[TEST_SERVER_URL_ENV];
    if (!adminUrl) throw new Error('no PostgreSQL server for the test (DATABASE_URL or the global setup)');
    const name = `tk_test_mig005_${process.pid}`;
    const db = openDatabase(await createDatabase(adminUrl, name), { maxConnections: 2 });
    onTestFinished(async () => {
      await db.close();
      await dropDatabase(adminUrl, name);
    });
    // The schema as it was: migrations 001–004 only.
    const shipped = fileURLToPath(new URL('../migrations/', import.meta.url));
    const before = await mkdtemp(path.join(tmpdir(), 'tongkit-migrations-'));
    onTestFinished(() => rm(before, { recursive: true, force: true }));
    for (const file of (await readdir(shipped)).filter((f) => /^00[1-4]_.*\.sql$/.test(f))) await copyFile(path.join(shipped, file), path.join(before, file));
    expect((await migrate(db, { directory: before })).map((m) => m.version)).toEqual([1, 2, 3, 4]);

    await db.query(`INSERT INTO merchant_tiers (id, name) VALUES ('standard', 'Standard')`);
    await db.query(`INSERT INTO merchants (id, name, tier_id) VALUES ('old-a', 'A', 'standard'), ('old-b', 'B', 'standard')`);
    await db.query(`INSERT INTO developers (id, name) VALUES ('dev', 'Dev')`);
    await db.query(`INSERT INTO plugins (name, developer_id) VALUES ('old-plugin', 'dev')`);
    await db.query(`INSERT INTO plugin_versions (plugin_name, version, manifest, bundle, sha256, bytes, report) VALUES ('old-plugin', '1.0.0', '{}', '', $1, 1, '{}')`, ['0'.repeat(64)]);
    await db.query(`INSERT INTO installs (id, merchant_id, plugin_name, version, enabled_events) VALUES ('ins-a', 'old-a', 'old-plugin', '1.0.0', '{order.paid}')`);
    await db.query(`INSERT INTO events (id, merchant_id, type, data) VALUES ('evt-1', 'old-a', 'order.paid', '{}'), ('evt-2', 'old-b', 'order.paid', '{}')`);
    await db.query(`INSERT INTO deliveries (event_id, install_id, merchant_id, status, attempts) VALUES ('evt-1', 'ins-a', 'old-a', 'dead', 8)`);

    // 005 first; later migrations (010 onwards) apply after it on the re-keyed tables.
    expect((await migrate(db)).map((m) => m.version)[0]).toBe(5);
    expect((await db.query('SELECT merchant_id, id FROM events ORDER BY id')).rows).toEqual([
      { merchant_id: 'old-a', id: 'evt-1' },
      { merchant_id: 'old-b', id: 'evt-2' },
    ]);
    expect((await db.query('SELECT merchant_id, event_id, install_id, status, attempts FROM deliveries')).rows).toEqual([
      { merchant_id: 'old-a', event_id: 'evt-1', install_id: 'ins-a', status: 'dead', attempts: 8 },
    ]);
    // Another merchant may now use the id; a delivery must name its own merchant's event and install.
    await db.query(`INSERT INTO events (id, merchant_id, type, data) VALUES ('evt-1', 'old-b', 'order.refunded', '{}')`);
    await expect(db.query(`INSERT INTO events (id, merchant_id, type, data) VALUES ('evt-1', 'old-a', 'order.paid', '{}')`)).rejects.toThrow(/duplicate key/);
    await expect(db.query(`INSERT INTO deliveries (event_id, install_id, merchant_id) VALUES ('evt-2', 'ins-a', 'old-b')`)).rejects.toThrow(/foreign key/);
    // Removing the install still removes its deliveries.
    await db.query(`DELETE FROM installs WHERE id = 'ins-a'`);
    expect((await db.query('SELECT 1 FROM deliveries')).rowCount).toBe(0);
  });
});
