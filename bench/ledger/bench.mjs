#!/usr/bin/env -S node --no-node-snapshot
// bench/ledger — points per order end to end (issue 15): orders over HTTP (`POST /v1/orders`) →
// `order.paid` → the points worker's queue → `member.points.earn` (bench/plugins/earn, sandboxed) → the
// ledger → `points.changed` → tier work, with 2 workers (two hosts on one fresh database, each running its
// workers), beside the same ledger writes as raw SQL in the same run. Reports: orders/s end to end,
// order-to-points p99 at 250 orders/s offered, ledger service grants/s (the points service called
// directly) and the ratio to raw SQL.
//
//   node --no-node-snapshot bench/ledger/bench.mjs [--quick] [--no-write]
//
// Reports; never fails on a missed target.
import { fileURLToPath } from 'node:url';
import { buildPlugin } from '@tongkit/runtime/build';
import { finishReport, log, verdict } from '../lib/report.mjs';
import { drive, driveAtRate, fmtRun, mergeRuns, serverLabel, startBenchHost, workWatcher } from '../lib/host.mjs';

export const LEDGER_TARGET = { ordersPerSec: 500, p99Ms: 100, offeredPerSec: 250, grantsPerSec: 3_000 };
const WORKERS = 2;
const CONCURRENCY = 16;
const MEMBERS = 200;
const MERCHANT = 'dev-merchant';
const PLUGIN = fileURLToPath(new URL('../plugins/earn', import.meta.url));

const orderBody = (id, memberId) => ({
  id,
  kind: 'goods',
  channel: 'online',
  member: { id: memberId },
  lines: [
    { sku: 'SOFA-3', title: 'Sofa', category: 'furniture', quantity: 1, unitPriceFen: 30_000 },
    { sku: 'LAMP-2', title: 'Lamp', category: 'lighting', quantity: 2, unitPriceFen: 1_000 },
  ],
  payments: [{ method: 'card', amountFen: 32_000 }],
  paidAt: '2026-11-25T08:00:00Z',
});

/** One grant's rows as raw SQL in one transaction: what the ledger writes for it, without its checks. */
async function rawGrant(db, memberId, key) {
  await db.transaction(async (tx) => {
    await tx.query(`INSERT INTO points_idempotency (merchant_id, scope, key, request_hash) VALUES ($1, 'operator:bench', $2, $3) ON CONFLICT DO NOTHING`, [MERCHANT, key, 'x'.repeat(64)]);
    const { rows } = await tx.query(
      `INSERT INTO points_accounts (merchant_id, member_id, account) VALUES ($1, $2, 'points')
       ON CONFLICT (merchant_id, member_id, account) DO UPDATE SET updated_at = points_accounts.updated_at RETURNING balance`,
      [MERCHANT, memberId],
    );
    const before = Number(rows[0].balance);
    const now = new Date();
    await tx.query(`INSERT INTO points_lots (merchant_id, id, member_id, account, granted, remaining, expires_at, order_id, entry_id, created_at) VALUES ($1, $2, $3, 'points', 10, 10, NULL, NULL, $4, $5)`, [MERCHANT, `lot-${key}`, memberId, `ent-${key}`, now]);
    await tx.query(
      `WITH e AS (INSERT INTO points_entries (merchant_id, member_id, created_at, id, account, kind, delta, balance_before, balance_after, debt_after, reason, source_kind, source_id, lot_id)
                  VALUES ($1, $2, $3, $4, 'points', 'grant', 10, $5::bigint, $5::bigint + 10, 0, 'bench', 'operator', 'bench', $6))
       UPDATE points_accounts SET balance = $5::bigint + 10, updated_at = $3 WHERE merchant_id = $1 AND member_id = $2 AND account = 'points'`,
      [MERCHANT, memberId, now, `ent-${key}`, before, `lot-${key}`],
    );
    await tx.query(`INSERT INTO events (merchant_id, id, type, data, occurred_at) VALUES ($1, $2, 'points.changed', $3, $4)`, [MERCHANT, `points.changed:${key}`, { memberId, delta: 10 }, now]);
    await tx.query(`UPDATE points_idempotency SET result = $3 WHERE merchant_id = $1 AND scope = 'operator:bench' AND key = $2`, [MERCHANT, key, { status: 'applied' }]);
  });
}

export async function runLedgerBench(argv = process.argv.slice(2)) {
  const quick = argv.includes('--quick');
  const write = !argv.includes('--no-write');
  const atRate = quick ? 500 : 2_500;
  const maxOrders = quick ? 600 : 3_000;
  const grants = quick ? 1_000 : 6_000;
  const startedAt = new Date().toISOString();
  const bench = await startBenchHost({ name: 'ledger', hosts: WORKERS, dispatch: true });
  const { host, database, api, server } = bench;
  const watcher = workWatcher(database.db, 'points_order_work');
  try {
    const { bundle } = await buildPlugin(PLUGIN);
    await api('POST', '/v1/versions', bundle, host.tokens.developer);
    await api('POST', '/v1/installs', { plugin: 'bench-earn-per-yuan', version: '1.0.0', grantPermissions: ['member:read', 'orders:read'], settings: { pointsPerYuan: 2 } });
    const members = [];
    for (let m = 0; m < MEMBERS; m++) members.push((await host.services.members.register(MERCHANT, { channel: 'online' })).memberId);
    const memberOf = (i) => members[i % MEMBERS];
    const post = (id, i) => api('POST', '/v1/orders', orderBody(id, memberOf(i)), undefined, 201);
    /** An order posted and its points granted: the latency from the POST to the points (ms). */
    const orderToPoints = async (id, i) => {
      const t = performance.now();
      const done = watcher.expect(MERCHANT, `order.paid:${id}`);
      await post(id, i);
      return (await done) - t;
    };
    log(`ledger: ${serverLabel(server)}, ${WORKERS} workers; warming up`);
    await drive(100, CONCURRENCY, (i) => orderToPoints(`warm-${i}`, i));

    // 1. Order-to-points at a fixed offered rate.
    log(`ledger: ${atRate} orders at ${LEDGER_TARGET.offeredPerSec} orders/s offered`);
    const paced = await driveAtRate(atRate, LEDGER_TARGET.offeredPerSec, (i) => orderToPoints(`rate-${i}`, i));

    // 2. The most orders/s end to end: POSTs 16 at a time, the clock stops at the last order's points.
    log(`ledger: ${maxOrders} orders end to end, ${CONCURRENCY} at a time`);
    const endToEnd = await drive(maxOrders, CONCURRENCY, (i) => orderToPoints(`max-${i}`, i));

    // 3. The ledger service called directly beside the same writes as raw SQL, alternating rounds.
    log(`ledger: ${grants} grants through the points service and as raw SQL, ${CONCURRENCY} at a time`);
    const grant = (i, round) =>
      host.services.points.grant({ merchantId: MERCHANT, memberId: memberOf(i), source: { kind: 'operator', id: 'bench' }, idempotencyKey: `grant-${round}-${i}`, reason: 'bench', amount: 10 });
    await drive(100, CONCURRENCY, (i) => grant(i, 'warm'));
    await drive(100, CONCURRENCY, (i) => rawGrant(database.db, memberOf(i), `warm-${i}`));
    const service = [];
    const sql = [];
    for (let round = 0; round < 2; round++) {
      service.push(await drive(grants / 2, CONCURRENCY, (i) => grant(i, round)));
      sql.push(await drive(grants / 2, CONCURRENCY, (i) => rawGrant(database.db, memberOf(i), `sql-${round}-${i}`)));
    }
    const viaService = mergeRuns(service);
    const viaSql = mergeRuns(sql);
    const ratio = viaSql.perSec / viaService.perSec;
    const { rows: queue } = await database.db.query(`SELECT status, count(*)::int AS n FROM points_order_work GROUP BY status ORDER BY status`);
    const { rows: tierQueue } = await database.db.query(`SELECT count(*)::int AS n FROM points_entries WHERE merchant_id = $1 AND order_id IS NOT NULL`, [MERCHANT]);
    await finishReport({
      name: 'ledger',
      startedAt,
      write,
      durationMs: Date.now() - Date.parse(startedAt),
      done: 'ledger',
      lines: [
        `ledger: order → order.paid → member.points.earn (sandboxed, in-process) → ledger → tier on ${serverLabel(server)}, ${WORKERS} workers (two hosts in this process)`,
        `  order to points at ${LEDGER_TARGET.offeredPerSec}/s offered (achieved ${Math.round(paced.achievedPerSec)}/s)  p50 ${paced.p50Ms.toFixed(1)} ms · p99 ${paced.p99Ms.toFixed(1)} ms · max ${paced.maxMs.toFixed(1)} ms`,
        `  end to end, ${CONCURRENCY} POSTs at a time   ${fmtRun(endToEnd, ' orders/s', 1)}`,
        `  points service grants           ${fmtRun(viaService, ' grants/s')}`,
        `  the same writes as raw SQL      ${fmtRun(viaSql, ' grants/s')}`,
        `  ratio (raw SQL grants/s ÷ service grants/s) ${ratio.toFixed(2)}×; raw SQL grants/s ÷ end-to-end orders/s ${(viaSql.perSec / endToEnd.perSec).toFixed(2)}×`,
        `  points queue after the run ${JSON.stringify(queue)}; ledger entries of orders ${tierQueue[0].n} (the latency is polled every 5 ms)`,
      ],
      targets: [
        { target: `≥ ${LEDGER_TARGET.ordersPerSec} orders/s end to end`, value: `${Math.round(endToEnd.perSec)}`, verdict: verdict(endToEnd.perSec >= LEDGER_TARGET.ordersPerSec) },
        { target: `order-to-points p99 ≤ ${LEDGER_TARGET.p99Ms} ms at ${LEDGER_TARGET.offeredPerSec}/s offered`, value: `${paced.p99Ms.toFixed(1)} ms`, verdict: verdict(paced.p99Ms <= LEDGER_TARGET.p99Ms) },
        { target: `≥ ${LEDGER_TARGET.grantsPerSec} grants/s through the points service`, value: `${Math.round(viaService.perSec)}`, verdict: verdict(viaService.perSec >= LEDGER_TARGET.grantsPerSec) },
      ],
      results: { server, workers: WORKERS, concurrency: CONCURRENCY, members: MEMBERS, paced, endToEnd, service: viaService, rawSql: viaSql, ratio, queue },
    });
  } finally {
    await watcher.stop();
    await bench.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runLedgerBench();
