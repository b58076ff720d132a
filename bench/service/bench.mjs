#!/usr/bin/env -S node --no-node-snapshot
// bench/service — 服务通 payment callbacks (issue 17): signed provider callbacks through HTTP
// (`POST /v1/payments/callback`: HMAC over the raw body, the intent, the stage transition to paid, its
// `service.stage.paid` event in the outbox) with 2 workers (two hosts on one fresh database running their
// event workers, which take the stages' points), beside an unsigned route of the same host doing the
// least (GET /v1/service-orders/:id) in the same run: callbacks/s, p50/p99.
//
//   node --no-node-snapshot bench/service/bench.mjs [--quick] [--no-write]
//
// Not yet here: the concurrent bookings of one store-day (issue 17's second figure).
// Reports; never fails on a missed target.
import { createHmac } from 'node:crypto';
import { finishReport, log, verdict } from '../lib/report.mjs';
import { drive, fmtRun, mergeRuns, serverLabel, startBenchHost } from '../lib/host.mjs';

export const SERVICE_TARGET = { callbacksPerSec: 500, p99Ms: 50 };
const WORKERS = 2;
const CONCURRENCY = 16;
const MERCHANT = 'dev-merchant';
const STORE = 'bench-service-store';

export async function runServiceBench(argv = process.argv.slice(2)) {
  const quick = argv.includes('--quick');
  const write = !argv.includes('--no-write');
  const callbacks = quick ? 300 : 2_000;
  const startedAt = new Date().toISOString();
  const bench = await startBenchHost({ name: 'service', hosts: WORKERS, dispatch: true });
  const { host, url, api, server } = bench;
  try {
    await host.services.tenancy.upsertStore({ id: STORE, merchantId: MERCHANT, name: STORE, channel: 'store' });
    const { kid, secret } = await api('POST', '/v1/payments/secrets', {});
    const key = Buffer.from(secret, 'base64url');
    const { memberId } = await api('POST', '/v1/members', { channel: 'store', storeId: STORE });
    log(`service: ${serverLabel(server)}, ${WORKERS} workers; ${callbacks + 100} service orders with a payment intent each`);
    const intents = [];
    await drive(callbacks + 100, CONCURRENCY, async (i) => {
      const id = `SV-${i}`;
      await api('POST', '/v1/orders', {
        id, kind: 'service', channel: 'store', storeId: STORE, member: { id: memberId },
        lines: [{ sku: 'wardrobe', title: 'Custom wardrobe', category: 'furniture', quantity: 1, unitPriceFen: 10_000 }],
        payments: [{ method: 'card', amountFen: 10_000 }], paidAt: '2026-12-01T10:00:00Z',
      }, undefined, 201);
      await api('POST', '/v1/service-orders', { orderId: id }, undefined, 201);
      intents[i] = (await api('POST', `/v1/service-orders/${id}/stages/1/pay`, undefined, undefined, 201)).intentId;
    });
    const callback = async (i) => {
      const raw = JSON.stringify({ status: 'captured', intentId: intents[i], amountFen: 10_000, paymentId: `prov-SV-${i}` });
      const t = Math.floor(Date.now() / 1000);
      const signature = createHmac('sha256', key).update(`${t}.${raw}`).digest('hex');
      const res = await fetch(`${url}/v1/payments/callback`, { method: 'POST', headers: { 'content-type': 'application/json', t: String(t), kid, signature }, body: raw });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`POST /v1/payments/callback answered ${res.status}: ${text}`);
      const answer = JSON.parse(text);
      if (answer.outcome !== undefined && answer.outcome !== 'applied') throw new Error(`callback ${i} was ${answer.outcome}`);
    };
    const read = (i) => api('GET', `/v1/service-orders/SV-${i % (callbacks + 100)}`);
    await drive(100, CONCURRENCY, (i) => callback(callbacks + i));
    await drive(100, CONCURRENCY, read);
    // Alternating rounds, so a noisy neighbour hurts both sides alike.
    const signed = [];
    const reads = [];
    for (let round = 0; round < 2; round++) {
      const half = callbacks / 2;
      signed.push(await drive(half, CONCURRENCY, (i) => callback(round * half + i)));
      reads.push(await drive(half, CONCURRENCY, (i) => read(round * half + i)));
    }
    const viaCallback = mergeRuns(signed);
    const viaRead = mergeRuns(reads);
    const { rows: stages } = await bench.database.db.query(`SELECT type, count(*)::int AS n FROM events WHERE merchant_id = $1 AND type LIKE 'service.stage.%' GROUP BY 1 ORDER BY 1`, [MERCHANT]);
    await finishReport({
      name: 'service',
      startedAt,
      write,
      durationMs: Date.now() - Date.parse(startedAt),
      done: 'service',
      lines: [
        `service: signed payment callbacks → stage paid → service.stage.paid on ${serverLabel(server)}, ${WORKERS} workers (two hosts in this process), ${CONCURRENCY} concurrent`,
        `  POST /v1/payments/callback      ${fmtRun(viaCallback, ' callbacks/s')}`,
        `  GET /v1/service-orders/:id      ${fmtRun(viaRead, ' reads/s')} (the peer: a read of the same order, same host)`,
        `  ratio (reads/s ÷ callbacks/s) ${(viaRead.perSec / viaCallback.perSec).toFixed(2)}×; stage events ${JSON.stringify(stages)}`,
      ],
      targets: [
        { target: `≥ ${SERVICE_TARGET.callbacksPerSec} callbacks/s`, value: `${Math.round(viaCallback.perSec)}`, verdict: verdict(viaCallback.perSec >= SERVICE_TARGET.callbacksPerSec) },
        { target: `callback p99 ≤ ${SERVICE_TARGET.p99Ms} ms`, value: `${viaCallback.p99Ms.toFixed(1)} ms`, verdict: verdict(viaCallback.p99Ms <= SERVICE_TARGET.p99Ms) },
      ],
      results: { server, workers: WORKERS, concurrency: CONCURRENCY, callback: viaCallback, read: viaRead, stages },
    });
  } finally {
    await bench.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runServiceBench();
