#!/usr/bin/env -S node --no-node-snapshot
// bench/guides — 导购 attribution + commission through the host (issue 20): orders over HTTP →
// `order.paid` → the guide worker's queue → `guide.attribution` and `guide.commission` (the sandboxed
// guide-commission example) → the commission ledger, with 2 workers (two hosts on one fresh database),
// beside the fallback (a merchant with no plugin: the platform's attribution and commission, host code
// only) in the same run: the most orders/s and order-to-commission p99 at 250 orders/s offered.
//
//   node --no-node-snapshot bench/guides/bench.mjs [--quick] [--no-write]
//
// Reports; never fails on a missed target.
import { fileURLToPath } from 'node:url';
import { buildPlugin } from '@tongkit/runtime/build';
import { finishReport, log, verdict } from '../lib/report.mjs';
import { drive, driveAtRate, fmtRun, serverLabel, startBenchHost, workWatcher } from '../lib/host.mjs';

export const GUIDES_TARGET = { ordersPerSec: 500, p99Ms: 100, offeredPerSec: 250 };
const WORKERS = 2;
const CONCURRENCY = 16;
const MEMBERS = 100;
const GUIDES = 10;
const PLUGIN_MERCHANT = 'dev-merchant';
const FALLBACK_MERCHANT = 'bench-guides-fallback';
const example = fileURLToPath(new URL('../../examples/guide-commission', import.meta.url));

export async function runGuidesBench(argv = process.argv.slice(2)) {
  const quick = argv.includes('--quick');
  const write = !argv.includes('--no-write');
  const atRate = quick ? 500 : 2_500;
  const maxOrders = quick ? 600 : 3_000;
  const startedAt = new Date().toISOString();
  const bench = await startBenchHost({ name: 'guides', hosts: WORKERS, dispatch: true });
  const { host, database, api, server } = bench;
  const watcher = workWatcher(database.db, 'guide_order_work');
  try {
    const { bundle } = await buildPlugin(example);
    await api('POST', '/v1/versions', bundle, host.tokens.developer);
    await api('POST', '/v1/installs', { plugin: 'guide-commission', version: '1.0.0', grantPermissions: ['guides:read', 'orders:read'] });
    await host.services.tenancy.upsertMerchant({ id: FALLBACK_MERCHANT, name: 'Bench guides (fallback)', tierId: 'standard' });
    const tokens = { [PLUGIN_MERCHANT]: host.tokens.devMerchant, [FALLBACK_MERCHANT]: (await host.services.tenancy.issueToken('merchant', FALLBACK_MERCHANT)).token };
    const now = Date.now();
    const members = {};
    for (const merchant of [PLUGIN_MERCHANT, FALLBACK_MERCHANT]) {
      const token = tokens[merchant];
      const store = `${merchant}-store`;
      await host.services.tenancy.upsertStore({ id: store, merchantId: merchant, name: store, channel: 'store' });
      const staff = async (id, role) => {
        await api('POST', '/v1/staff', { id, name: id, storeId: store }, token);
        await api('POST', '/v1/guides', { id, role, storeId: store }, token);
      };
      await staff('mgr', 'store_manager');
      for (let g = 0; g < GUIDES; g++) await staff(`g${g}`, 'guide');
      members[merchant] = [];
      for (let m = 0; m < MEMBERS; m++) {
        const { memberId } = await api('POST', '/v1/members', { channel: 'store', storeId: store }, token);
        await api('POST', '/v1/guide-relations', { memberId, guideId: `g${m % GUIDES}`, source: 'store_scan', at: new Date(now - 86_400_000).toISOString() }, token);
        members[merchant].push(memberId);
      }
    }
    /** An order posted and its commission accrued: the latency from the POST to the ledger (ms). */
    const orderToCommission = async (merchant, id, i) => {
      const t = performance.now();
      const done = watcher.expect(merchant, `order.paid:${id}`);
      await api('POST', '/v1/orders', {
        id,
        kind: 'goods',
        channel: 'store',
        storeId: `${merchant}-store`,
        member: { id: members[merchant][i % MEMBERS] },
        lines: [
          { sku: 'SOFA-3', title: 'Sofa', category: 'furniture', quantity: 1, unitPriceFen: 30_000 },
          { sku: 'OLD-1', title: 'Old lamp', category: 'clearance', quantity: 1, unitPriceFen: 2_000 },
        ],
        payments: [{ method: 'card', amountFen: 32_000 }],
        paidAt: new Date().toISOString(),
      }, tokens[merchant], 201);
      return (await done) - t;
    };
    log(`guides: ${serverLabel(server)}, ${WORKERS} workers; warming up`);
    for (const merchant of [PLUGIN_MERCHANT, FALLBACK_MERCHANT]) await drive(100, CONCURRENCY, (i) => orderToCommission(merchant, `warm-${i}`, i));
    const runs = {};
    for (const [label, merchant] of [['plugin', PLUGIN_MERCHANT], ['fallback', FALLBACK_MERCHANT]]) {
      log(`guides (${label}): ${atRate} orders at ${GUIDES_TARGET.offeredPerSec}/s offered, then ${maxOrders} orders ${CONCURRENCY} at a time`);
      const paced = await driveAtRate(atRate, GUIDES_TARGET.offeredPerSec, (i) => orderToCommission(merchant, `rate-${i}`, i));
      const max = await drive(maxOrders, CONCURRENCY, (i) => orderToCommission(merchant, `max-${i}`, i));
      runs[label] = { paced, max };
    }
    const { rows: queue } = await database.db.query(`SELECT merchant_id, status, count(*)::int AS n FROM guide_order_work GROUP BY 1, 2 ORDER BY 1, 2`);
    const { rows: accrued } = await database.db.query(`SELECT merchant_id, count(*)::int AS splits, sum(accrued_fen)::int AS fen FROM guide_commissions GROUP BY 1 ORDER BY 1`);
    const paced = (r) => `at ${GUIDES_TARGET.offeredPerSec}/s offered (achieved ${Math.round(r.achievedPerSec)}/s) p50 ${r.paced.p50Ms.toFixed(1)} ms · p99 ${r.paced.p99Ms.toFixed(1)} ms`;
    const { plugin, fallback } = runs;
    await finishReport({
      name: 'guides',
      startedAt,
      write,
      durationMs: Date.now() - Date.parse(startedAt),
      done: 'guides',
      lines: [
        `guides: order → order.paid → attribution + commission → commission ledger on ${serverLabel(server)}, ${WORKERS} workers (two hosts in this process)`,
        `  plugin (guide-commission)   order to commission ${paced({ ...plugin, achievedPerSec: plugin.paced.achievedPerSec })}`,
        `                              end to end, ${CONCURRENCY} at a time ${fmtRun(plugin.max, ' orders/s', 1)}`,
        `  fallback (host code only)   order to commission ${paced({ ...fallback, achievedPerSec: fallback.paced.achievedPerSec })}`,
        `                              end to end, ${CONCURRENCY} at a time ${fmtRun(fallback.max, ' orders/s', 1)}`,
        `  ratio (fallback ÷ plugin orders/s) ${(fallback.max.perSec / plugin.max.perSec).toFixed(2)}×`,
        `  queue after the run ${JSON.stringify(queue)}; commission splits ${JSON.stringify(accrued)} (the latency is polled every 5 ms)`,
      ],
      targets: [
        { target: `≥ ${GUIDES_TARGET.ordersPerSec} orders/s through the plugin`, value: `${Math.round(plugin.max.perSec)}`, verdict: verdict(plugin.max.perSec >= GUIDES_TARGET.ordersPerSec) },
        { target: `order-to-commission p99 ≤ ${GUIDES_TARGET.p99Ms} ms at ${GUIDES_TARGET.offeredPerSec}/s offered (plugin)`, value: `${plugin.paced.p99Ms.toFixed(1)} ms`, verdict: verdict(plugin.paced.p99Ms <= GUIDES_TARGET.p99Ms) },
      ],
      results: { server, workers: WORKERS, concurrency: CONCURRENCY, members: MEMBERS, guides: GUIDES, runs, queue, accrued },
    });
  } finally {
    await watcher.stop();
    await bench.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runGuidesBench();
