// The invoke route's invocation log, written behind (extensions/invocation-log.ts): rows arrive in
// batches with the call's own time, a full buffer sheds successful calls only (counted), a row the
// database refuses does not hold up its batch, and a database that is away keeps the rows for later.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvocationLogWriter, type InvocationRow } from '../src/platform/extensions/invocation-log.js';
import type { Database } from '../src/platform/storage/database.js';
import { createTestDatabase, type TestDatabase } from '../src/testing.js';

let test: TestDatabase;
let n = 0;
const MERCHANT = 'log-shop';

function row(overrides: Partial<InvocationRow> = {}): InvocationRow {
  n++;
  return {
    id: `inv_log_${n}`,
    merchantId: MERCHANT,
    installId: null,
    plugin: null,
    version: null,
    point: 'member.tier.compute',
    storeId: null,
    ok: true,
    fallback: false,
    errorCode: null,
    errorMessage: null,
    input: JSON.stringify({ n }),
    output: '{"tierId":"gold"}',
    measurements: null,
    at: new Date(Date.UTC(2026, 11, 1, 8, 0, 0, n)),
    ...overrides,
  };
}

const stored = async (ids: string[]) =>
  (await test.db.query<{ id: string; input: unknown; created_at: Date; ok: boolean }>('SELECT id, input, created_at, ok FROM invocations WHERE id = ANY($1) ORDER BY id', [ids])).rows;

beforeAll(async () => {
  test = await createTestDatabase();
  await test.db.query(`INSERT INTO merchant_tiers (id, name) VALUES ('t', 'T') ON CONFLICT DO NOTHING`);
  await test.db.query(`INSERT INTO merchants (id, name, tier_id) VALUES ($1, 'Log shop', 't')`, [MERCHANT]);
});
afterAll(async () => {
  await test?.drop();
});

describe('the invocation log written behind', () => {
  it('writes rows in batches with the time of each call, on its own a few ms later and at once on flush', async () => {
    const log = new InvocationLogWriter(test.db, { maxBuffered: 1_000, batchRows: 7, flushMs: 10 });
    const rows = Array.from({ length: 30 }, () => row());
    for (const r of rows) log.add(r);
    await log.flush();
    const back = await stored(rows.map((r) => r.id));
    expect(back).toHaveLength(30);
    for (const r of back) {
      const sent = rows.find((x) => x.id === r.id)!;
      expect(r.created_at.getTime()).toBe(sent.at.getTime());
      expect(r.input).toEqual(JSON.parse(sent.input));
    }
    const later = row();
    log.add(later);
    await expect.poll(async () => (await stored([later.id])).length, { timeout: 2_000 }).toBe(1);
    expect(log.written).toBe(31);
    await log.close();
  });

  it('sheds successful calls’ rows past the bound, counted, and keeps every failure and fallback', async () => {
    // A database that answers nothing until released: the buffer only fills.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const slow = { query: async (...args: Parameters<Database['query']>) => (await held, test.db.query(...args)) } as unknown as Database;
    const log = new InvocationLogWriter(slow, { maxBuffered: 5, batchRows: 100, flushMs: 1_000 });
    const ok = Array.from({ length: 8 }, () => row());
    const failed = Array.from({ length: 3 }, () => row({ ok: false, errorCode: 'TK_PLUGIN_ERROR', errorMessage: 'boom' }));
    const fallback = row({ ok: true, fallback: true });
    for (const r of [...ok, ...failed, fallback]) log.add(r);
    expect(log.shed).toBe(3);
    release();
    await log.close();
    const back = await stored([...ok, ...failed, fallback].map((r) => r.id));
    expect(back.map((r) => r.id).sort()).toEqual([...ok.slice(0, 5), ...failed, fallback].map((r) => r.id).sort());
  });

  it('writes the rest of a batch when the database refuses one row, and counts it', async () => {
    const log = new InvocationLogWriter(test.db, { maxBuffered: 100, batchRows: 100, flushMs: 1_000 });
    const good = [row(), row()];
    const orphan = row({ merchantId: 'no-such-merchant' });
    log.add(good[0]!);
    log.add(orphan);
    log.add(good[1]!);
    await log.close();
    expect((await stored([...good, orphan].map((r) => r.id))).map((r) => r.id)).toEqual(good.map((r) => r.id).sort());
    expect(log.refused).toBe(1);
  });

  it('keeps the rows while the database is away and writes them when it is back', async () => {
    let away = true;
    const flaky = {
      query: async (...args: Parameters<Database['query']>) => {
        if (away) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
        return test.db.query(...args);
      },
    } as unknown as Database;
    const log = new InvocationLogWriter(flaky, { maxBuffered: 100, batchRows: 100, flushMs: 1_000 });
    const rows = [row(), row({ ok: false, errorCode: 'TK_TIMEOUT', errorMessage: 'slow' })];
    for (const r of rows) log.add(r);
    await log.flush();
    expect(await stored(rows.map((r) => r.id))).toEqual([]);
    away = false;
    await log.close();
    expect((await stored(rows.map((r) => r.id))).map((r) => r.id)).toEqual(rows.map((r) => r.id).sort());
    expect(log.written).toBe(2);
  });
});
