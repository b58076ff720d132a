#!/usr/bin/env -S node --no-node-snapshot
// bench/http — the extension invoke hot path over HTTP (issue 13): `POST /v1/extensions/member.tier.compute/invoke`
// of templates/member-tier for a store with a settings override (auth, request validation, the serving
// configuration's round trip, the breaker, the sandboxed plugin, the output check, the invocation log
// written behind), beside the HTTP floor (`GET /healthz`: routing, auth skipped, a constant body) and the
// plugin alone (the invoker's `replay`: the loaded plugin with the store's settings, no HTTP, no
// database, no log, no breaker), in the same run.
//
//   node --no-node-snapshot bench/http/bench.mjs [--quick] [--no-write]
//
// The HTTP load comes from a child process (bench/http/load.mjs: autocannon, a root devDependency, and a
// small paced client), so that the client does not share the host's event loop (it shares the cores):
//   - closed loop: as many requests as N keep-alive connections get answered, at 10 and 50 connections;
//   - open loop at 2,000 requests/s, twice: autocannon's `overallRate` (each connection sends its share
//     of a second back to back, then waits for the next second: bursts at the closed-loop rate, so its
//     latency is close to the closed loop's), and an even schedule (request i issued at i ÷ rate whether
//     or not the earlier ones answered, timed from then): the open loop the target means.
// Latencies are from each response's own hrtime (autocannon's histogram keeps whole milliseconds).
// Reports; never fails on a missed target.
import { fork } from 'node:child_process';
import os from 'node:os';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { buildPlugin } from '@tongkit/runtime/build';
import { finishReport, log, verdict } from '../lib/report.mjs';
import { drive, latencyStats, serverLabel, startBenchHost } from '../lib/host.mjs';
import { table } from '../lib/stats.mjs';

export const HTTP_TARGET = { invokesPerSec: 3_000, closedConnections: 10, offeredPerSec: 2_000, p99Ms: 5 };
const MERCHANT = 'dev-merchant';
const STORE = 'bench-http-store';
const POINT = 'member.tier.compute';
const CONNECTIONS = [10, 50];
const OPEN_CONNECTIONS = 10;
const POOL_CONCURRENCY = 10;
/** How long the open loop waits for answers after its last request: an overloaded route does not hold the run. */
const PACED_GRACE_MS = 5_000;
/** The store's override: ¥6,000 is gold at the install's ¥5,000 and silver at the store's ¥7,000. */
const OVERRIDE = { goldAtFen: 700_000 };
const TEMPLATE = fileURLToPath(new URL('../../templates/member-tier', import.meta.url));
const autocannonVersion = createRequire(import.meta.url)('autocannon/package.json').version;

/** Runs one load job in its own child process (bench/http/load.mjs): `{ result, latencies }`. */
function load(job) {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('./load.mjs', import.meta.url)), [], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let answer;
    child.once('message', (message) => {
      answer = message;
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (answer === undefined) reject(new Error(`bench/http load process exited (${signal ?? code}) without an answer`));
      else if (answer.error) reject(new Error(`bench/http load process: ${answer.error}`));
      else resolve(answer);
    });
    child.send(job);
  });
}

/** A closed loop of autocannon: `{ perSec, p50Ms, p99Ms, maxMs, non2xx, errors, mismatches, autocannon }`. */
async function closedLoop(route, connections, durationSec) {
  const { result, latencies } = await load({ kind: 'autocannon', expect: route.expect, opts: { ...route.request, connections, duration: durationSec } });
  const stats = latencyStats(latencies, result.durationSec * 1000);
  return {
    connections,
    count: result.totalCompletedRequests,
    perSec: result.totalCompletedRequests / result.durationSec,
    p50Ms: stats.p50Ms,
    p99Ms: stats.p99Ms,
    maxMs: stats.maxMs,
    non2xx: result.non2xx,
    errors: result.errors,
    mismatches: result.mismatches,
    autocannon: result,
  };
}

/** autocannon at `overallRate`: its per-second budget per connection (bursty; see the header). */
async function ratedLoop(route, ratePerSec, durationSec) {
  const { result, latencies } = await load({ kind: 'autocannon', expect: route.expect, opts: { ...route.request, connections: OPEN_CONNECTIONS, overallRate: ratePerSec, duration: durationSec } });
  const stats = latencyStats(latencies, result.durationSec * 1000);
  return {
    offeredPerSec: ratePerSec,
    achievedPerSec: result.totalCompletedRequests / result.durationSec,
    count: result.totalCompletedRequests,
    p50Ms: stats.p50Ms,
    p99Ms: stats.p99Ms,
    maxMs: stats.maxMs,
    non2xx: result.non2xx,
    errors: result.errors,
    mismatches: result.mismatches,
    autocannon: result,
  };
}

/** Even arrivals at `ratePerSec` for `durationSec` (an open loop), each timed from when it was issued. */
async function pacedLoop(route, ratePerSec, durationSec) {
  const { request } = route;
  const { result, latencies } = await load({ kind: 'paced', url: request.url, method: request.method, headers: request.headers, body: request.body, ratePerSec, count: Math.round(ratePerSec * durationSec), expect: route.expect, graceMs: PACED_GRACE_MS });
  const stats = latencyStats(latencies, result.wallMs);
  return { ...result, achievedPerSec: result.issuedPerSec, answered: stats.count, p50Ms: stats.p50Ms, p99Ms: stats.p99Ms, maxMs: stats.maxMs };
}

const ms = (v) => (v < 1 ? `${(v * 1000).toFixed(0)} µs` : `${v.toFixed(2)} ms`);
const perSec = (v) => `${Math.round(v).toLocaleString('en')}/s`;
const failures = (r) => `${r.non2xx} / ${r.errors} / ${r.mismatches}${r.unanswered ? ` / ${r.unanswered} unanswered` : ''}`;

export async function runHttpBench(argv = process.argv.slice(2)) {
  const quick = argv.includes('--quick');
  const write = !argv.includes('--no-write');
  const durationSec = quick ? 3 : 10;
  const warmSec = quick ? 1 : 2;
  const poolCalls = quick ? 5_000 : 20_000;
  const startedAt = new Date().toISOString();
  const loadAvgAtStart = os.loadavg().map((v) => Math.round(v * 100) / 100);
  const bench = await startBenchHost({ name: 'http' });
  const { host, url, api, server } = bench;
  try {
    // The template published by the developer, installed by the dev merchant, a store with an override.
    const { bundle } = await buildPlugin(TEMPLATE);
    await api('POST', '/v1/versions', bundle, host.tokens.developer);
    const install = await api('POST', '/v1/installs', { plugin: 'my-member-tiers', version: '0.1.0', grantPermissions: ['member:read'] }, undefined, 201);
    await host.services.tenancy.upsertStore({ id: STORE, merchantId: MERCHANT, name: STORE, channel: 'store' });
    await api('PUT', `/v1/installs/${install.id}/stores/${STORE}/settings`, OVERRIDE);
    const settings = await api('GET', `/v1/installs/${install.id}/settings?storeId=${STORE}`);
    const { input } = JSON.parse(await readFile(new URL('../../templates/member-tier/fixtures/gold.json', import.meta.url), 'utf8'));

    const body = JSON.stringify({ input, storeId: STORE });
    const invoke = {
      name: 'invoke',
      expect: '"source":"plugin"',
      request: { url: `${url}/v1/extensions/${POINT}/invoke`, method: 'POST', headers: { authorization: `Bearer ${host.tokens.devMerchant}`, 'content-type': 'application/json' }, body },
    };
    const healthz = { name: 'healthz', expect: '"ok":true', request: { url: `${url}/healthz`, method: 'GET', headers: {} } };

    // Before timing: the invoke answers 200 from the plugin, with the store's settings.
    const sample = await api('POST', `/v1/extensions/${POINT}/invoke`, { input, storeId: STORE });
    if (sample.source !== 'plugin' || sample.output?.tierId !== 'silver') throw new Error(`the sample invoke answered ${JSON.stringify(sample)}, not silver from the plugin`);
    const health = await fetch(`${url}/healthz`);
    if (health.status !== 200) throw new Error(`GET /healthz answered ${health.status}`);
    await health.text();

    // The plugin alone: the invoker's replay (no HTTP, no database, no log, no breaker).
    const installRow = { id: install.id, plugin_name: install.plugin, version: install.version, merchant_id: MERCHANT };
    const replayed = await host.services.extensions.replay(installRow, POINT, input, settings);
    if (!replayed.ok || replayed.output.tierId !== 'silver') throw new Error(`the replay answered ${JSON.stringify(replayed)}`);
    // A call that fails (a CPU budget overrun on a loaded machine, say) is counted, not hidden.
    const replayFailures = {};
    const replay = async () => {
      const r = await host.services.extensions.replay(installRow, POINT, input, settings);
      if (!r.ok) replayFailures[r.error.code] = (replayFailures[r.error.code] ?? 0) + 1;
    };
    log(`http: ${serverLabel(server)}; plugin alone, ${poolCalls} calls ${POOL_CONCURRENCY} at a time and 1 at a time`);
    await drive(2_000, POOL_CONCURRENCY, replay);
    const pool = await drive(poolCalls, POOL_CONCURRENCY, replay);
    const poolSequential = await drive(poolCalls, 1, replay);

    log(`http: warm-up, ${warmSec} s each route at 10 connections (autocannon ${autocannonVersion} in a child process)`);
    await closedLoop(invoke, 10, warmSec);
    await closedLoop(healthz, 10, warmSec);

    const closed = { invoke: {}, healthz: {} };
    for (const connections of CONNECTIONS) {
      for (const route of [invoke, healthz]) {
        log(`http: ${route.name}, closed loop, ${connections} connections, ${durationSec} s`);
        closed[route.name][connections] = await closedLoop(route, connections, durationSec);
      }
    }
    const rated = {};
    const paced = {};
    for (const route of [invoke, healthz]) {
      log(`http: ${route.name}, ${HTTP_TARGET.offeredPerSec}/s offered (autocannon overallRate, ${OPEN_CONNECTIONS} connections), ${durationSec} s`);
      rated[route.name] = await ratedLoop(route, HTTP_TARGET.offeredPerSec, durationSec);
      log(`http: ${route.name}, ${HTTP_TARGET.offeredPerSec}/s offered (even arrivals), ${durationSec} s`);
      paced[route.name] = await pacedLoop(route, HTTP_TARGET.offeredPerSec, durationSec);
    }
    const loadAvgAtEnd = os.loadavg().map((v) => Math.round(v * 100) / 100);

    const at10 = closed.invoke[HTTP_TARGET.closedConnections];
    const rateRatio = (c) => closed.invoke[c].perSec / closed.healthz[c].perSec;
    const p50Ratio = at10.p50Ms / pool.p50Ms;
    const rows = [];
    for (const route of ['invoke', 'healthz']) {
      for (const c of CONNECTIONS) {
        const r = closed[route][c];
        rows.push([route, `closed, ${c} connections`, perSec(r.perSec), ms(r.p50Ms), ms(r.p99Ms), ms(r.maxMs), r.count, failures(r)]);
      }
      const a = rated[route];
      rows.push([route, `${HTTP_TARGET.offeredPerSec}/s, overallRate`, perSec(a.achievedPerSec), ms(a.p50Ms), ms(a.p99Ms), ms(a.maxMs), a.count, failures(a)]);
      const p = paced[route];
      rows.push([route, `${HTTP_TARGET.offeredPerSec}/s, even arrivals`, perSec(p.answeredPerSec), ms(p.p50Ms), ms(p.p99Ms), ms(p.maxMs), p.answered, failures(p)]);
    }
    rows.push(['plugin alone', `replay, ${POOL_CONCURRENCY} at a time`, perSec(pool.perSec), ms(pool.p50Ms), ms(pool.p99Ms), ms(pool.maxMs), pool.count, 'failed: see below']);
    rows.push(['plugin alone', 'replay, 1 at a time', perSec(poolSequential.perSec), ms(poolSequential.p50Ms), ms(poolSequential.p99Ms), ms(poolSequential.maxMs), poolSequential.count, 'failed: see below']);

    await finishReport({
      name: 'http',
      startedAt,
      write,
      durationMs: Date.now() - Date.parse(startedAt),
      done: 'http',
      lines: [
        `http: POST /v1/extensions/${POINT}/invoke (templates/member-tier, a store with an override, in-process sandbox) beside GET /healthz and the plugin alone`,
        `  on ${serverLabel(server)}; load from autocannon ${autocannonVersion} and a paced client in a child process; load average ${loadAvgAtStart.join(' ')} at the start, ${loadAvgAtEnd.join(' ')} at the end (${os.cpus().length} cores)`,
        table(
          [
            { title: 'route', align: 'left' },
            { title: 'load', align: 'left' },
            { title: 'rate' },
            { title: 'p50' },
            { title: 'p99' },
            { title: 'max' },
            { title: 'answers' },
            { title: 'non-2xx / errors / other body' },
          ],
          rows,
        ),
        `  invoke ÷ healthz requests/s: ${CONNECTIONS.map((c) => `${rateRatio(c).toFixed(2)} at ${c} connections`).join(', ')}`,
        `  invoke p50 (closed, ${HTTP_TARGET.closedConnections} connections) ÷ plugin-alone p50 (${POOL_CONCURRENCY} at a time): ${p50Ratio.toFixed(1)}× (${ms(at10.p50Ms)} vs ${ms(pool.p50Ms)}; 1 at a time ${ms(poolSequential.p50Ms)})`,
        `  plugin-alone calls that failed (warm-up included): ${JSON.stringify(replayFailures)}`,
        `  overallRate gives each connection its share of a second, sent back to back: bursts at the closed-loop rate; even arrivals are the open loop: requests issued at ${perSec(paced.invoke.issuedPerSec)} (invoke) and ${perSec(paced.healthz.issuedPerSec)} (healthz), issued late by up to ${ms(paced.invoke.lagP99Ms)} at p99 (${ms(paced.invoke.lagMaxMs)} max) for invoke; 'rate' is what was answered`,
      ],
      targets: [
        {
          target: `≥ ${HTTP_TARGET.invokesPerSec.toLocaleString('en')} invokes/s, closed loop at ${HTTP_TARGET.closedConnections} connections`,
          value: perSec(at10.perSec),
          verdict: verdict(at10.perSec >= HTTP_TARGET.invokesPerSec),
        },
        {
          target: `invoke p99 ≤ ${HTTP_TARGET.p99Ms} ms at ${HTTP_TARGET.offeredPerSec.toLocaleString('en')}/s offered (even arrivals)`,
          value: `${ms(paced.invoke.p99Ms)} (answered ${perSec(paced.invoke.answeredPerSec)}${paced.invoke.unanswered ? `, ${paced.invoke.unanswered} unanswered` : ''})`,
          verdict: verdict(paced.invoke.p99Ms <= HTTP_TARGET.p99Ms && paced.invoke.issuedPerSec >= 0.95 * HTTP_TARGET.offeredPerSec && paced.invoke.non2xx + paced.invoke.errors + paced.invoke.mismatches + paced.invoke.unanswered === 0),
        },
        {
          target: `invoke p99 ≤ ${HTTP_TARGET.p99Ms} ms at ${HTTP_TARGET.offeredPerSec.toLocaleString('en')}/s offered (autocannon overallRate)`,
          value: `${ms(rated.invoke.p99Ms)} (achieved ${perSec(rated.invoke.achievedPerSec)})`,
          verdict: verdict(rated.invoke.p99Ms <= HTTP_TARGET.p99Ms && rated.invoke.achievedPerSec >= 0.95 * HTTP_TARGET.offeredPerSec && rated.invoke.non2xx + rated.invoke.errors + rated.invoke.mismatches === 0),
        },
      ],
      results: {
        server,
        machine: { node: process.version, cpuModel: os.cpus()[0]?.model?.trim() ?? 'unknown', cores: os.cpus().length, loadAvgAtStart, loadAvgAtEnd },
        autocannon: autocannonVersion,
        durationSec,
        store: STORE,
        override: OVERRIDE,
        settings,
        installId: install.id,
        closed,
        rated,
        paced,
        pool,
        poolSequential,
        replayFailures,
        ratios: { invokeOverHealthzPerSec: Object.fromEntries(CONNECTIONS.map((c) => [c, rateRatio(c)])), invokeP50OverPoolP50: p50Ratio },
      },
    });
  } finally {
    await bench.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runHttpBench();
