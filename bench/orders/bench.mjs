#!/usr/bin/env -S node --no-node-snapshot
// bench/orders — order ingestion over HTTP (`POST /v1/orders`: auth, validation, member-free goods order
// with 2 lines and 2 tenders, its order.paid written to the outbox, all in one transaction) beside the
// same rows inserted as raw SQL, in the same run on the same database: orders/s, p50/p99, and the ratio.
//
//   node --no-node-snapshot bench/orders/bench.mjs [--quick] [--no-write]
//
// The database is a fresh one on DATABASE_URL's server (else an embedded PostgreSQL), with that server's
// own durability settings (printed: fsync, synchronous_commit), i.e. what a host there runs with.
// Reports; never fails on a missed target.
import { finishReport, log, verdict } from '../lib/report.mjs';
import { drive as driveAt, mergeRuns, startBenchHost } from '../lib/host.mjs';

export const ORDERS_TARGET = { ordersPerSec: 1_000, ratioToRawSql: 3 };
const CONCURRENCY = 16;
const MERCHANT = 'bench-orders';
const drive = (count, one) => driveAt(count, CONCURRENCY, one);

const orderBody = (id) => ({
  id,
  kind: 'goods',
  channel: 'online',
  lines: [
    { sku: 'SOFA-3', title: 'Sofa', category: 'furniture', quantity: 1, unitPriceFen: 300_000, discountFen: 20_000 },
    { sku: 'LAMP-2', title: 'Lamp', category: 'lighting', quantity: 2, unitPriceFen: 10_000 },
  ],
  payments: [
    { method: 'card', amountFen: 280_000 },
    { method: 'cash', amountFen: 20_000 },
  ],
  paidAt: '2026-11-25T08:00:00Z',
});

/** The rows one order makes, as raw SQL in one transaction (what the service writes, without its checks). */
async function rawInsert(db, id) {
  const body = orderBody(id);
  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO orders (merchant_id, id, request_hash, kind, channel, status, total_fen, spend_fen, paid_at) VALUES ($1, $2, $3, 'goods', 'online', 'paid', 300000, 300000, $4)`,
      [MERCHANT, id, 'x'.repeat(64), body.paidAt],
    );
    await tx.query(
      `INSERT INTO order_lines (merchant_id, order_id, line_no, sku, title, category, quantity, unit_price_fen, discount_fen, net_fen)
       VALUES ($1, $2, 0, 'SOFA-3', 'Sofa', 'furniture', 1, 300000, 20000, 280000), ($1, $2, 1, 'LAMP-2', 'Lamp', 'lighting', 2, 10000, 0, 20000)`,
      [MERCHANT, id],
    );
    await tx.query(`INSERT INTO order_tenders (merchant_id, order_id, tender_no, method, amount_fen) VALUES ($1, $2, 0, 'card', 280000), ($1, $2, 1, 'cash', 20000)`, [MERCHANT, id]);
    await tx.query(`INSERT INTO events (merchant_id, id, type, data, occurred_at) VALUES ($1, $2, 'order.paid', $3, $4)`, [MERCHANT, `order.paid:${id}`, { orderId: id }, body.paidAt]);
  });
}

export async function runOrdersBench(argv = process.argv.slice(2)) {
  const quick = argv.includes('--quick');
  const write = !argv.includes('--no-write');
  const count = quick ? 300 : 2_000;
  const startedAt = new Date().toISOString();
  const bench = await startBenchHost({ name: 'orders' });
  const { database, host, server, url } = bench;
  try {
    await host.services.tenancy.upsertMerchant({ id: MERCHANT, name: 'Bench orders', tierId: 'standard' });
    const { token } = await host.services.tenancy.issueToken('merchant', MERCHANT);
    const post = async (id) => {
      const res = await fetch(`${url}/v1/orders`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(orderBody(id)) });
      if (res.status !== 201) throw new Error(`POST /v1/orders answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    };
    log(`orders: warming up, then ${count} orders over HTTP and ${count} as raw SQL, ${CONCURRENCY} at a time (PostgreSQL ${server.version}, fsync=${server.fsync}, synchronous_commit=${server.synchronousCommit})`);
    await drive(100, (i) => post(`warm-http-${i}`));
    await drive(100, (i) => rawInsert(database.db, `warm-sql-${i}`));
    // Alternating rounds, so a noisy neighbour hurts both sides alike.
    const http = [];
    const sql = [];
    for (let round = 0; round < 2; round++) {
      http.push(await drive(count / 2, (i) => post(`http-${round}-${i}`)));
      sql.push(await drive(count / 2, (i) => rawInsert(database.db, `sql-${round}-${i}`)));
    }
    const viaHttp = mergeRuns(http);
    const viaSql = mergeRuns(sql);
    const ratio = viaSql.perSec / viaHttp.perSec;
    const fmt = (r) => `${Math.round(r.perSec).toLocaleString('en')} orders/s · p50 ${r.p50Ms.toFixed(2)} ms · p99 ${r.p99Ms.toFixed(2)} ms`;
    await finishReport({
      name: 'orders',
      startedAt,
      write,
      durationMs: Date.now() - Date.parse(startedAt),
      done: 'orders',
      lines: [
        `orders: ingestion on PostgreSQL ${server.version} (fsync=${server.fsync}, synchronous_commit=${server.synchronousCommit}), ${CONCURRENCY} concurrent`,
        `  POST /v1/orders  ${fmt(viaHttp)}`,
        `  raw SQL          ${fmt(viaSql)}`,
        `  ratio (raw SQL orders/s ÷ HTTP orders/s) ${ratio.toFixed(2)}×`,
      ],
      targets: [
        { target: `≥ ${ORDERS_TARGET.ordersPerSec} orders/s over HTTP`, value: `${Math.round(viaHttp.perSec)}`, verdict: verdict(viaHttp.perSec >= ORDERS_TARGET.ordersPerSec) },
        { target: `≤ ${ORDERS_TARGET.ratioToRawSql}× raw SQL`, value: `${ratio.toFixed(2)}×`, verdict: verdict(ratio <= ORDERS_TARGET.ratioToRawSql) },
      ],
      results: { server, concurrency: CONCURRENCY, http: viaHttp, rawSql: viaSql, ratio },
    });
  } finally {
    await bench.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runOrdersBench();
