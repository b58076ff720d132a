// Red team, host-API abuse — the host's half (the runtime's half is
// packages/runtime/test/redteam/host-api.test.ts): with a real host on PostgreSQL, a plugin installed
// by merchant A cannot read, overwrite, bump or delete what the same plugin stored for merchant B's
// install, whatever key or options it passes (KvStore scopes every query by its own install id); and
// idempotency keys hold per install: the same key with the same payload returns the first result and
// changes nothing, with another payload it is TK_CONFLICT. Fixture: plugins/redteam-kv-probe (it
// catches every failure and stores what it saw in its own KV, read here from the database).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlugin } from '@tongkit/runtime/build';
import { createMerchant, kvValue, ok, publish, rowsOfInstall, startTestHost, type TestHost, orderPaidData } from './helpers.js';

const PROBE_DIR = join(fileURLToPath(new URL('.', import.meta.url)), 'plugins/redteam-kv-probe');
const SECRET = 'merchant-b-secret-7d41a0';

let t: TestHost;
let tokenA: string;
let tokenB: string;
let installA: string;
let installB: string;

const drain = () => t.host.services.dispatcher.drain();
const paid = (token: string, data: Record<string, unknown>, id?: string) =>
  ok(t.api(token, 'POST', '/v1/events', { ...(id ? { id } : {}), type: 'order.paid', data: orderPaidData(data) }), 202);

beforeAll(async () => {
  t = await startTestHost({ dispatch: { maxAttempts: 2, backoffMs: () => 0 } });
  const { bundle } = await buildPlugin(PROBE_DIR);
  await publish(t, { ...bundle, fixtures: [] });
  tokenA = await createMerchant(t, 'redteam-a');
  tokenB = await createMerchant(t, 'redteam-b');
  installA = (await ok(t.api(tokenA, 'POST', '/v1/installs', { plugin: 'redteam-kv-probe', grantPermissions: ['storage:kv'] }), 201)).id;
  installB = (await ok(t.api(tokenB, 'POST', '/v1/installs', { plugin: 'redteam-kv-probe', grantPermissions: ['storage:kv'] }), 201)).id;
  // Merchant B's install stores a secret.
  await paid(tokenB, { case: 'store-secret', secret: SECRET });
  await drain();
  expect(await kvValue(t, installB, 'secret')).toBe(SECRET);
});

afterAll(async () => {
  await t?.close();
});

/** Every KV row holding B's secret, wherever it is. */
async function rowsWithSecret(): Promise<Array<{ install_id: string; key: string }>> {
  const { rows } = await t.host.services.db.query<{ install_id: string; key: string }>(`SELECT install_id, key FROM plugin_kv WHERE value::text LIKE $1`, [`%${SECRET}%`]);
  return rows;
}

describe('another install’s KV', () => {
  it('cannot be read, overwritten, bumped or deleted by install A, whatever key or options it passes', async () => {
    const keys = ['secret', `${installB}:secret`, `${installB}/secret`, `../${installB}/secret`, `install:${installB}:secret`, installB, 'redteam-b:secret', '%', '*', "secret' OR '1'='1"];
    const published = await paid(tokenA, { case: 'probe', keys, target: installB });
    // Only merchant A's install got the event, whatever its data names.
    expect(published.deliveries).toBe(1);
    await drain();

    const report = (await kvValue(t, installA, 'probe-report')) as { seen: Record<string, unknown>; writes: Record<string, unknown>; merchantId: string };
    expect(report.merchantId).toBe('redteam-a');
    // Every probe came back empty: nothing of B's.
    expect(Object.keys(report.seen).sort()).toEqual([...keys].sort());
    for (const key of keys) expect(report.seen[key], key).toEqual({});
    expect(JSON.stringify(report)).not.toContain(SECRET);
    // The writes landed in A's own storage (the options naming B change nothing).
    expect(report.writes).toEqual({ prefixed: { value: null }, withOptions: { value: null }, increment: { value: 1 }, deleted: { value: null } });
    expect(await kvValue(t, installA, 'secret')).toBe('overwritten by another tenant');
    expect(await kvValue(t, installA, `${installB}:secret`)).toBe('overwritten by another tenant');

    // B's storage is as B left it, and B's secret is in B's rows only.
    expect(await kvValue(t, installB, 'secret')).toBe(SECRET);
    expect(await rowsWithSecret()).toEqual([{ install_id: installB, key: 'secret' }]);
    expect(await rowsOfInstall(t, 'plugin_kv', installB)).toBe(1);
  });
});

describe('idempotency keys', () => {
  it('returns the first result for the same key and payload, TK_CONFLICT for another payload; the counter moves once, redelivered or not', async () => {
    await paid(tokenA, { case: 'idempotent', idempotencyKey: 'evt-fixed' }, 'evt-idem-1');
    await drain();
    const expected = {
      first: { value: 5 },
      again: { value: 5 },
      changed: { code: 'TK_CONFLICT' },
      setOnce: { value: null },
      setAgain: { value: null },
      setChanged: { code: 'TK_CONFLICT' },
      value: { value: 5 },
      flag: { value: 'a' },
    };
    expect(await kvValue(t, installA, 'idempotent-report')).toEqual(expected);
    expect(await kvValue(t, installA, 'counter')).toBe(5);

    // The same delivery again (at least once): the same answers, nothing moves.
    await t.host.services.db.query(`UPDATE deliveries SET status = 'pending', next_attempt_at = now() WHERE event_id = 'evt-idem-1' AND install_id = $1`, [installA]);
    await drain();
    expect(await kvValue(t, installA, 'idempotent-report')).toEqual(expected);
    expect(await kvValue(t, installA, 'counter')).toBe(5);

    // Another event retrying with the same key: the first result, not a second increment.
    await paid(tokenA, { case: 'idempotent', idempotencyKey: 'evt-fixed', reportKey: 'retry-report' });
    await drain();
    expect(await kvValue(t, installA, 'retry-report')).toEqual({ ...expected, first: { value: 5 } });
    expect(await kvValue(t, installA, 'counter')).toBe(5);
  });

  it('scopes idempotency keys by install: B using A’s key is neither blocked by it nor sees A’s result', async () => {
    await paid(tokenB, { case: 'idempotent', idempotencyKey: 'evt-fixed' });
    await drain();
    expect(await kvValue(t, installB, 'idempotent-report')).toMatchObject({ first: { value: 5 }, again: { value: 5 }, changed: { code: 'TK_CONFLICT' } });
    expect(await kvValue(t, installB, 'counter')).toBe(5);
    expect(await kvValue(t, installA, 'counter')).toBe(5);
  });
});

describe('oversized values', () => {
  it('refuses a 10 MB value with TK_VALIDATION before it crosses, and a value just over 64 KB in KvStore: nothing is stored', async () => {
    await paid(tokenA, { case: 'oversized', bytes: 10 * 1024 * 1024 });
    await drain();
    expect(await kvValue(t, installA, 'oversized-report')).toEqual({ value: { code: 'TK_VALIDATION' }, justOverKv: { code: 'TK_VALIDATION' } });
    expect(await kvValue(t, installA, 'big')).toBeUndefined();
    // The host still serves both merchants.
    await paid(tokenA, { case: 'count' });
    await paid(tokenB, { case: 'count' });
    await drain();
    expect(await kvValue(t, installA, 'deliveries')).toBe(1);
    expect(await kvValue(t, installB, 'deliveries')).toBe(1);
  });
});
