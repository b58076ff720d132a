// Events and logs at their edges: an event its handlers could never receive (over the event handler
// input limit) is refused when published, not accepted and dead-lettered later; and `GET /v1/logs?after=`
// pages forward from a cursor — oldest first, every entry exactly once, even when more than a page
// arrived and many entries share a millisecond (or a transaction's timestamp).
// Fixture: plugins/counter (test-counter, counts order.paid in plugin KV).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_HANDLER_BUDGET } from '@tongkit/sdk';
import { buildPlugin } from '@tongkit/runtime/build';
import { createMerchant, expectError, kvValue, ok, publish, startTestHost, type TestHost, orderPaidData } from './helpers.js';

const COUNTER_DIR = join(fileURLToPath(new URL('.', import.meta.url)), 'plugins/counter');

let t: TestHost;

beforeAll(async () => {
  t = await startTestHost({ dispatch: { maxAttempts: 1, backoffMs: () => 0 } });
  const { bundle } = await buildPlugin(COUNTER_DIR);
  await publish(t, { ...bundle, fixtures: [] });
});

afterAll(async () => {
  await t?.close();
});

/** An order.paid event whose envelope, as a handler receives it, is exactly `bytes` bytes of JSON. */
function paidEventOf(id: string, bytes: number): { id: string; type: 'order.paid'; data: Record<string, unknown> } {
  const envelope = (padding: string) => ({ id, type: 'order.paid' as const, occurredAt: new Date().toISOString(), data: { ...orderPaidData({ orderId: 'o1' }), padding } });
  const overhead = Buffer.byteLength(JSON.stringify(envelope('')));
  return { id, type: 'order.paid', data: { ...orderPaidData({ orderId: 'o1' }), padding: 'x'.repeat(bytes - overhead) } };
}

describe('publishing an event', () => {
  it('refuses one over the event handler input limit with TK_VALIDATION at /data, and stores nothing', async () => {
    const merchant = await createMerchant(t, 'big-events');
    const ins = await ok(t.api(merchant, 'POST', '/v1/installs', { plugin: 'test-counter', grantPermissions: ['storage:kv'] }), 201);
    const limit = EVENT_HANDLER_BUDGET.inputBytes;

    const tooBig = paidEventOf('big-1', limit + 1);
    const refused = expectError(await t.api(merchant, 'POST', '/v1/events', tooBig), 400, 'TK_VALIDATION', '/data');
    expect(refused.details).toEqual({ bytes: limit + 1, limit });
    // Far over (multi-byte characters count as bytes), without an id of the publisher's own.
    expectError(await t.api(merchant, 'POST', '/v1/events', { type: 'order.paid', data: { note: '通'.repeat(70_000) } }), 400, 'TK_VALIDATION', '/data');
    const { rows } = await t.host.services.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE merchant_id = 'big-events'`);
    expect(rows[0]!.n).toBe(0);

    // Exactly at the limit: accepted, and the handler gets it.
    expect(await ok(t.api(merchant, 'POST', '/v1/events', paidEventOf('big-2', limit)), 202)).toMatchObject({ deliveries: 1, duplicate: false });
    await t.host.services.dispatcher.drain();
    expect(await kvValue(t, ins.id, 'paid')).toBe(1);
    expect((await ok(t.api(merchant, 'GET', '/v1/deliveries/dead'))).items).toEqual([]);
  });
});

describe('following the logs', () => {
  interface Entry {
    cursor: string;
    at: string;
    message: string;
  }
  const logs = (token: string, query: string) => ok<{ items: Entry[] }>(t.api(token, 'GET', `/v1/logs?${query}`)).then((r) => r.items);

  /** Plugin log lines `first..last` for a merchant, all in one statement: they share one timestamp. */
  async function logLines(merchantId: string, first: number, last: number, at: string): Promise<void> {
    await t.host.services.db.query(
      `INSERT INTO plugin_logs (merchant_id, plugin_name, level, message, source, created_at)
       SELECT $1, 'test-counter', 'info', 'line ' || n, 'plugin', $4::timestamptz FROM generate_series($2::int, $3::int) AS n`,
      [merchantId, first, last, at],
    );
  }

  /** An invocation row at `at` (microsecond precision). */
  async function invocation(merchantId: string, id: string, at: string): Promise<void> {
    await t.host.services.db.query(`INSERT INTO invocations (id, merchant_id, point, ok, created_at) VALUES ($1, $2, 'member.tier.compute', true, $3::timestamptz)`, [id, merchantId, at]);
  }

  it('pages forward from a cursor, oldest first, with every entry exactly once', async () => {
    const merchant = await createMerchant(t, 'log-follow');
    await logLines('log-follow', 1, 5, '2026-11-25T08:00:00.000100Z');
    const first = await logs(merchant, 'limit=50');
    expect(first.map((e) => e.message)).toEqual(['line 5', 'line 4', 'line 3', 'line 2', 'line 1']);

    // A burst after the newest entry seen: 141 entries, many in the same millisecond — some in the same
    // microsecond (one transaction), interleaved with invocations a microsecond apart.
    const expected: string[] = [];
    await logLines('log-follow', 6, 100, '2026-11-25T08:00:00.000100Z');
    for (let n = 6; n <= 100; n++) expected.push(`line ${n}`);
    for (let i = 1; i <= 6; i++) {
      await invocation('log-follow', `inv_follow_${i}`, `2026-11-25T08:00:00.000${100 + i}Z`);
      expected.push('member.tier.compute ok');
    }
    await logLines('log-follow', 101, 140, '2026-11-25T08:00:00.000900Z');
    for (let n = 101; n <= 140; n++) expected.push(`line ${n}`);

    const seen: Entry[] = [];
    let cursor = first[0]!.cursor;
    for (let page = 0; page < 10; page++) {
      const items = await logs(merchant, `after=${encodeURIComponent(cursor)}&limit=50`);
      if (items.length === 0) break;
      seen.push(...items);
      cursor = items.at(-1)!.cursor;
    }
    expect(seen.map((e) => e.message)).toEqual(expected);
    expect(new Set(seen.map((e) => e.cursor)).size).toBe(seen.length);

    // Nothing new: polling again gives nothing, not the entries of the last millisecond again.
    expect(await logs(merchant, `after=${encodeURIComponent(cursor)}`)).toEqual([]);
    await logLines('log-follow', 141, 141, '2026-11-25T08:00:00.000900Z');
    expect((await logs(merchant, `after=${encodeURIComponent(cursor)}`)).map((e) => e.message)).toEqual(['line 141']);
  });

  it('refuses a cursor it did not hand out with TK_VALIDATION', async () => {
    const merchant = await createMerchant(t, 'log-cursor');
    for (const after of ['x', '2026-11-25T08:00:00.000Z|inv_1', '1|', '|abc', '99999999999999999|a', '1|a b', "1|a' OR '1'='1", '-1|a']) {
      expectError(await t.api(merchant, 'GET', `/v1/logs?after=${encodeURIComponent(after)}`), 400, 'TK_VALIDATION', '/querystring/after');
    }
    // The largest cursor it accepts is far in the future, not a database error.
    expect(await logs(merchant, `after=${encodeURIComponent('9999999999999999|zzz')}`)).toEqual([]);
  });
});
