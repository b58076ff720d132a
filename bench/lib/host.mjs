// What the domain benches share (bench/orders, routing, ledger, service, guides): a real host on a fresh
// database, drive loops that time every call (closed: N at a time; open: a fixed offered rate), and the
// percentile maths. A fresh database is one on DATABASE_URL's server, else an embedded PostgreSQL, with
// that server's own durability settings (reported by {@link startBenchHost} as `server`).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startHost } from '@tongkit/host';
import { createTestDatabase } from '@tongkit/host/testing';

/**
 * Starts `hosts` hosts (default 1) on one fresh database; the first listens on HTTP. `dispatch` runs the
 * event workers (outbox, order points, tiers, guides, schedules) in each host — two hosts are two workers.
 * Returns `{ database, host, hosts, url, server, api, close }`; `api(method, path, body, token)` calls the
 * first host's HTTP API (default token: the development merchant's) and returns the parsed JSON.
 */
export async function startBenchHost({ name, hosts: count = 1, dispatch = false } = {}) {
  const database = await createTestDatabase();
  const dirs = [];
  const hosts = [];
  const close = async () => {
    for (const h of hosts.reverse()) await h.close();
    await database.drop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < count; i++) {
      const dataDir = await mkdtemp(join(tmpdir(), `tongkit-bench-${name}-`));
      dirs.push(dataDir);
      hosts.push(await startHost({ databaseUrl: database.url, dataDir, dispatch, http: { rateLimit: false }, services: { runtime: { isolation: 'in-process' } } }));
    }
    const host = hosts[0];
    const url = await host.listen(0);
    const {
      rows: [server],
    } = await database.db.query(`SELECT current_setting('server_version') AS version, current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS "synchronousCommit"`);
    const api = async (method, path, body, token = host.tokens.devMerchant, expect) => {
      const headers = { authorization: `Bearer ${token}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(url + path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const text = await res.text();
      if (expect !== undefined ? res.status !== expect : !res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return text === '' ? undefined : JSON.parse(text);
    };
    return { database, host, hosts: [...hosts], url, server, api, close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

/** `PostgreSQL 17.2 (fsync=on, synchronous_commit=on)`. */
export const serverLabel = (server) => `PostgreSQL ${server.version} (fsync=${server.fsync}, synchronous_commit=${server.synchronousCommit})`;

/** Nearest-rank percentile `q` (0…1) of an ascending array. */
export function percentileOf(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** `{ count, wallMs, perSec, p50Ms, p99Ms, maxMs }` of per-call latencies (ms) over `wallMs`. */
export function latencyStats(latencies, wallMs) {
  const sorted = Float64Array.from(latencies).sort();
  return { count: sorted.length, wallMs, perSec: (sorted.length / wallMs) * 1000, p50Ms: percentileOf(sorted, 0.5), p99Ms: percentileOf(sorted, 0.99), maxMs: sorted[sorted.length - 1] };
}

/** Runs `count` calls of `one(i)`, `concurrency` at a time (a closed loop); their latency stats. */
export async function drive(count, concurrency, one) {
  const latencies = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t = performance.now();
        await one(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return latencyStats(latencies, performance.now() - started);
}

/**
 * Starts `one(i)` for i < count at `ratePerSec` (an open loop: a call starts on schedule whether or not the
 * ones before it are done); `one` resolves to the latency it measured (ms), or undefined to have the call
 * itself timed. Returns the latency stats and `achievedPerSec`, the rate the calls were actually started at.
 */
export async function driveAtRate(count, ratePerSec, one) {
  const latencies = [];
  const pending = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / ratePerSec;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const t = performance.now();
    pending.push(Promise.resolve(one(i)).then((measured) => latencies.push(measured ?? performance.now() - t)));
  }
  const offeredMs = performance.now() - started;
  await Promise.all(pending);
  const stats = latencyStats(latencies, performance.now() - started);
  return { ...stats, offeredPerSec: ratePerSec, achievedPerSec: (count / offeredMs) * 1000 };
}

/** Alternating rounds of one measurement merged: the total rate, the worst p50/p99. */
export function mergeRuns(runs) {
  const count = runs.reduce((a, r) => a + r.count, 0);
  const wallMs = runs.reduce((a, r) => a + r.wallMs, 0);
  return { count, wallMs, perSec: (count / wallMs) * 1000, p50Ms: Math.max(...runs.map((r) => r.p50Ms)), p99Ms: Math.max(...runs.map((r) => r.p99Ms)) };
}

/** `1,234/s · p50 1.23 ms · p99 4.56 ms` */
export const fmtRun = (r, unit = '/s', digits = 2) => `${Math.round(r.perSec).toLocaleString('en')}${unit} · p50 ${r.p50Ms.toFixed(digits)} ms · p99 ${r.p99Ms.toFixed(digits)} ms`;

/**
 * Watches a worker queue table (`points_order_work`, `guide_order_work`: rows keyed by merchant and
 * event id, `status` 'done' when processed): `expect(merchantId, eventId)` resolves to the time
 * (performance.now()) the row was seen done. Polled every 5 ms for the rows still awaited — the
 * resolution of a latency measured with it.
 */
export function workWatcher(db, table) {
  const waiting = new Map();
  const keyOf = (merchantId, eventId) => `${merchantId}\u0000${eventId}`;
  let running = true;
  const loop = (async () => {
    while (running) {
      if (waiting.size > 0) {
        const keys = [...waiting.keys()].map((k) => k.split('\u0000'));
        const { rows } = await db.query(
          `SELECT w.merchant_id, w.event_id FROM ${table} w JOIN unnest($1::text[], $2::text[]) AS k(m, e) ON w.merchant_id = k.m AND w.event_id = k.e WHERE w.status = 'done'`,
          [keys.map((k) => k[0]), keys.map((k) => k[1])],
        );
        const seen = performance.now();
        for (const row of rows) {
          const key = keyOf(row.merchant_id, row.event_id);
          waiting.get(key)?.(seen);
          waiting.delete(key);
        }
      }
      await sleep(5);
    }
  })();
  return {
    expect: (merchantId, eventId) => new Promise((resolve) => waiting.set(keyOf(merchantId, eventId), resolve)),
    stop: async () => {
      running = false;
      await loop;
    },
  };
}
