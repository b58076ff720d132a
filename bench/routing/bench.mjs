#!/usr/bin/env -S node --no-node-snapshot
// bench/routing — `order.route` through the host (the extension invoker: validation, breaker, the
// sandboxed nearest-store-routing example, the output check, the invocation log) with 50 candidate
// stores and 5-line orders, beside the platform default (routeToNearestStore + the host's check: pure
// host code) in the same run: decisions/s, p50/p99. Then the allocation saga end to end with 2 workers
// (routing input from PostgreSQL, the decision, capacity and reservations, order.allocated, the store's
// accept): orders/s and p99.
//
//   node --no-node-snapshot bench/routing/bench.mjs [--quick] [--no-write]
//
// Reports; never fails on a missed target.
import { fileURLToPath } from 'node:url';
import { allocationSagaIn } from '@tongkit/host/testing';
import { buildPlugin } from '@tongkit/runtime/build';
import { checkOrderRoute, routeToNearestStore } from '@tongkit/sdk';
import { finishReport, log, verdict } from '../lib/report.mjs';
import { drive, fmtRun, mergeRuns, startBenchHost } from '../lib/host.mjs';

export const ROUTING_TARGET = { p99Ms: 5, ordersPerSec: 500 };
const STORES = 50;
const LINES = 5;
const WORKERS = 2;
const MERCHANT = 'dev-merchant';
const example = fileURLToPath(new URL('../../examples/nearest-store-routing', import.meta.url));
const HOME = { lat: 31.2304, lng: 121.4737 };
const HOURS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((day) => ({ day, opens: '00:00', closes: '24:00' }));
const SKUS = Array.from({ length: LINES }, (_, i) => `SKU-${i}`);

/** A 5-line order against 50 candidates: stock scattered so that only some stores fill it whole. */
function routeInput(i) {
  return {
    order: { id: `bench-${i}`, channel: 'online', fulfilment: 'deliver', pickupStoreId: null, districtCode: '310101', totalFen: 50_000, lines: SKUS.map((sku, l) => ({ lineId: String(l), sku, quantity: 1 + (l % 2) })) },
    candidates: Array.from({ length: STORES }, (_, s) => ({
      storeId: `st-${String(s).padStart(2, '0')}`,
      kind: s === STORES - 1 ? 'warehouse' : 'store',
      capabilities: ['deliver', 'pickup'],
      openNow: s % 7 !== 3,
      remainingCapacityToday: (s + i) % 5,
      distanceM: 300 + ((s * 7919 + i * 104729) % 9000),
      deliversHere: s % 11 !== 5,
      priority: s % 11,
      stock: SKUS.map((sku, l) => ({ sku, available: (s + l + i) % 4 })),
    })),
    refusedBy: ['st-01', 'st-02'],
    now: '2026-12-01T08:00:00Z',
  };
}

const sequential = (count, one) => drive(count, 1, one);
const parallel = drive;

export async function runRoutingBench(argv = process.argv.slice(2)) {
  const quick = argv.includes('--quick');
  const write = !argv.includes('--no-write');
  const decisions = quick ? 200 : 1_000;
  const orders = quick ? 100 : 400;
  const startedAt = new Date().toISOString();
  const bench = await startBenchHost({ name: 'routing' });
  const { host, api } = bench;
  try {
    const { bundle } = await buildPlugin(example);
    await api('POST', '/v1/versions', bundle, host.tokens.developer);
    const install = await api('POST', '/v1/installs', { plugin: 'nearest-store-routing', version: '1.0.0', grantPermissions: ['inventory:read', 'orders:read'], settings: { maxDistanceM: 10_000, preferSingleStore: false, priorityWeightM: 100 } });

    // 1. Decisions: through the host (the plugin) beside the platform default, alternating rounds.
    log(`routing: ${decisions} decisions through the host and as the platform default (${STORES} candidates, ${LINES} lines)`);
    // A decision the plugin missed (a CPU budget overrun on a loaded machine, say) is the fallback's: counted, not hidden.
    const sources = { plugin: 0, fallback: 0, platform: 0 };
    const invoke = async (i) => {
      const decision = await host.services.extensions.invoke(MERCHANT, 'order.route', routeInput(i));
      sources[decision.source]++;
    };
    const fallback = async (i) => {
      const input = routeInput(i);
      if (checkOrderRoute(input, routeToNearestStore(input)).length > 0) throw new Error('the platform default failed its own check');
    };
    await sequential(100, invoke);
    await sequential(100, fallback);
    const viaHost = [];
    const viaFallback = [];
    for (let round = 0; round < 2; round++) {
      viaHost.push(await sequential(decisions / 2, (i) => invoke(i + round * decisions)));
      viaFallback.push(await sequential(decisions / 2, (i) => fallback(i + round * decisions)));
    }
    const plugin = mergeRuns(viaHost);
    const platform = mergeRuns(viaFallback);

    // 2. The saga end to end: 50 stores with stock, orders routed by the plugin and accepted, 2 workers.
    log(`routing: the saga with ${WORKERS} workers, ${orders} orders over ${STORES} stores`);
    for (let s = 0; s < STORES; s++) {
      const id = `st-${String(s).padStart(2, '0')}`;
      await host.services.tenancy.upsertStore({ id, merchantId: MERCHANT, name: id, channel: s === STORES - 1 ? 'warehouse' : 'store' });
      await api('PUT', `/v1/stores/${id}/fulfilment`, { capabilities: ['deliver', 'pickup'], workingHours: HOURS, closedDays: [], dailyCapacity: 100_000, priority: s % 11, location: { lat: HOME.lat + (s % 10) * 0.004, lng: HOME.lng + Math.floor(s / 10) * 0.004 }, deliveryRadiusM: 10_000, minDeliveryOrderFen: 0 });
      await api('POST', '/v1/inventory/bills', { billNo: `bench-in-${id}`, kind: 'inbound', storeId: id, lines: SKUS.map((sku) => ({ sku, quantity: 1_000_000 })) });
    }
    const saga = allocationSagaIn(host.services.modules);
    for (let i = 0; i < orders + 20; i++) {
      await host.services.orders.create(MERCHANT, { id: `saga-${i}`, kind: 'goods', channel: 'online', lines: SKUS.map((sku) => ({ sku, title: sku, category: 'c', quantity: 1, unitPriceFen: 100 })), payments: [{ method: 'card', amountFen: 100 * LINES }], paidAt: '2026-12-01T08:00:00Z' });
    }
    const routeAndAccept = async (i) => {
      const started = await saga.start(MERCHANT, `saga-${i}`, { fulfilment: 'deliver', delivery: { ...HOME, districtCode: '310101' } });
      for (const a of started.allocations) await saga.accept(MERCHANT, a.storeId, a.id);
    };
    await parallel(20, WORKERS, (i) => routeAndAccept(orders + i));
    const sagaRun = await parallel(orders, WORKERS, routeAndAccept);

    const fmt = (r) => fmtRun(r, '/s', 3);
    const ratio = platform.perSec / plugin.perSec;
    await finishReport({
      name: 'routing',
      startedAt,
      write,
      durationMs: Date.now() - Date.parse(startedAt),
      done: 'routing',
      lines: [
        `routing: order.route with ${STORES} candidate stores and ${LINES}-line orders (in-process sandbox)`,
        `  through the host (plugin)        ${fmt(plugin)}`,
        `  platform default (host code)     ${fmt(platform)}`,
        `  ratio (default ÷ plugin decisions/s) ${ratio.toFixed(1)}×; decisions by source ${JSON.stringify(sources)} (warm-up included)`,
        `  saga, ${WORKERS} workers (route + accept) ${fmt(sagaRun)}`,
      ],
      targets: [
        { target: `p99 ≤ ${ROUTING_TARGET.p99Ms} ms per decision through the host`, value: `${plugin.p99Ms.toFixed(2)} ms`, verdict: verdict(plugin.p99Ms <= ROUTING_TARGET.p99Ms) },
        { target: `≥ ${ROUTING_TARGET.ordersPerSec} routed orders/s end to end`, value: `${Math.round(sagaRun.perSec)}`, verdict: verdict(sagaRun.perSec >= ROUTING_TARGET.ordersPerSec) },
      ],
      results: { sources, stores: STORES, lines: LINES, workers: WORKERS, plugin, platform, ratio, saga: sagaRun, installId: install.id },
    });
  } finally {
    await bench.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runRoutingBench();
