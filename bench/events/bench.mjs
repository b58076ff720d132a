// bench/events — event dispatch end to end on PostgreSQL: events enqueued through the outbox
// (`dispatcher.publishIn`) → claimed by host worker processes → the plugin's handler in its event
// isolate → its KV increment and the delivery's ack committed. Run by bench/run.mjs.
//
// Each run gets a fresh database (createTestDatabase: DATABASE_URL's server when set, else an embedded
// PostgreSQL), starts 1 or 2 worker processes (bench/events/worker.mjs, one host each), warms them up,
// then publishes N events in one outbox transaction and times from its commit until the last delivery is
// done. Commits are counted two ways: the batches the workers claimed (one commit each), and
// pg_stat_database.xact_commit over the run.
import { fork } from 'node:child_process';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createHostServices, createTestDatabase } from '@tongkit/host/testing';
import { buildPlugin } from '@tongkit/runtime/build';
import { finishReport, log, verdict } from '../lib/report.mjs';
import { fmtRate, table } from '../lib/stats.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const PLUGIN = join(HERE, 'plugin');
const WORKER = join(HERE, 'worker.mjs');

/** Reported with PASS/MISS, never enforced. */
export const EVENTS_TARGET = { eventsPerSec: 2_000, workers: 2 };

/**
 * What a handler writes: `hot` — every event increments the same key ('paid', as the tests' counter
 * plugin does), so all workers of the install write one row; `distinct` — a key per event, no row shared.
 */
const WORKLOADS = {
  hot: { label: "one key ('paid')", keyOf: () => 'paid' },
  distinct: { label: 'a key per event', keyOf: (i) => `order:${i}` },
};

const MERCHANT = 'bench-mart';
const WARMUP_EVENTS = 200;

function options(argv) {
  const quick = argv.includes('--quick');
  return { quick, write: !argv.includes('--no-write'), events: quick ? 600 : 3_000, workers: [1, 2], workloads: ['hot', 'distinct'] };
}

/** A worker process: `send(message)` and wait for the reply of type `type`. */
function startWorker(databaseUrl) {
  const child = fork(WORKER, [JSON.stringify({ databaseUrl })], { execArgv: ['--no-node-snapshot'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map();
  child.on('message', (message) => {
    const resolve = waiting.get(message.type);
    waiting.delete(message.type);
    resolve?.(message);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const expect = (type) =>
    new Promise((resolve, reject) => {
      waiting.set(type, resolve);
      exited.then((code) => reject(new Error(`bench worker exited (${code}) while waiting for '${type}'`)));
    });
  const ask = (message, type) => {
    const reply = expect(type);
    child.send(message);
    return reply;
  };
  return { child, exited, ready: expect('ready'), ask };
}

async function pgStats(db) {
  await db.query('SELECT pg_stat_force_next_flush()').catch(() => undefined); // PostgreSQL ≥ 15
  const { rows } = await db.query(
    `SELECT xact_commit::bigint AS commits, xact_rollback::bigint AS rollbacks, deadlocks::bigint AS deadlocks FROM pg_stat_database WHERE datname = current_database()`,
  );
  return rows[0];
}

async function serverInfo(db) {
  const { rows } = await db.query(
    `SELECT current_setting('server_version') AS version, current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS "synchronousCommit",
            current_setting('max_connections') AS "maxConnections"`,
  );
  return { external: Boolean(process.env.DATABASE_URL), ...rows[0] };
}

/** Publishes events `from`…`from + count - 1` through the outbox, in one transaction. */
async function publish(services, db, from, count, keyOf) {
  await db.transaction(async (tx) => {
    for (let i = from; i < from + count; i++) {
      await services.dispatcher.publishIn(tx, MERCHANT, { id: `evt_${i}`, type: 'order.paid', data: { orderId: `o_${i}`, amountFen: 1990, key: keyOf(i) } });
    }
  });
}

/** Polls every 10 ms until no delivery is pending; returns how many polls (one commit each) it made. */
async function waitUntilDelivered(db, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (let polls = 1; ; polls++) {
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM deliveries WHERE status = 'pending'`);
    if (rows[0].n === 0) return polls;
    if (Date.now() > deadline) throw new Error(`${rows[0].n} deliveries still pending after ${timeoutMs} ms`);
    await sleep(10);
  }
}

const delta = (after, before) => Object.fromEntries(Object.keys(after).map((k) => [k, Number(after[k]) - Number(before[k])]));

/** One measured run: a fresh database, `workers` host processes, `events` events of `workload`. */
async function runOnce({ bundle, workload, workers, events }) {
  const test = await createTestDatabase();
  const services = createHostServices(test.db);
  const procs = [];
  try {
    const developer = { role: 'developer', subjectId: 'bench-dev' };
    await services.tenancy.upsertTier({ id: 'standard', name: 'Standard' });
    await services.tenancy.upsertDeveloper({ id: developer.subjectId, name: 'Bench developer' });
    await services.tenancy.upsertMerchant({ id: MERCHANT, name: 'Bench Mart', tierId: 'standard' });
    const version = await services.registry.deploy(developer, bundle);
    await services.registry.submit(developer, version.plugin, version.version);
    await services.registry.decide({ role: 'reviewer', subjectId: 'bench-reviewer' }, version.plugin, version.version, 'approve', 'benchmark');
    const install = await services.installs.install(MERCHANT, { plugin: version.plugin, grantPermissions: ['storage:kv'] });
    const server = await serverInfo(test.db);

    for (let w = 0; w < workers; w++) procs.push(startWorker(test.url));
    await Promise.all(procs.map((p) => p.ready));
    await Promise.all(procs.map((p) => p.ask('start', 'started')));

    // Warm-up: every worker loads the plugin and JITs its path; then let the statistics settle.
    const { keyOf } = WORKLOADS[workload];
    await publish(services, test.db, -WARMUP_EVENTS, WARMUP_EVENTS, (i) => keyOf(i));
    await waitUntilDelivered(test.db, 60_000);
    await sleep(1_100);
    const workersBefore = await Promise.all(procs.map((p) => p.ask('stats', 'stats')));
    const pgBefore = await pgStats(test.db);

    // All N become visible to the workers at once, when the outbox transaction commits: the clock runs
    // from that commit to the commit of the last handler's KV write and ack.
    const p0 = performance.now();
    await publish(services, test.db, 0, events, keyOf);
    const t0 = performance.now();
    const publishedMs = t0 - p0;
    const polls = await waitUntilDelivered(test.db, 300_000);
    const elapsedMs = performance.now() - t0;

    const workersAfter = await Promise.all(procs.map((p) => p.ask('stop', 'stopped')));
    await Promise.all(procs.map((p) => p.exited));
    await sleep(300); // the workers' backends flush their statistics as they exit
    const pgAfter = await pgStats(test.db);

    // The work is right, or the figures mean nothing.
    const { rows: check } = await test.db.query(
      `SELECT (SELECT coalesce(sum((value)::text::bigint), 0)::bigint FROM plugin_kv WHERE install_id = $1) AS total,
              (SELECT count(*)::int FROM deliveries WHERE status <> 'done') AS undone,
              (SELECT count(*)::int FROM deliveries WHERE attempts <> 1) AS retried,
              (SELECT count(*)::int FROM idempotency_keys WHERE install_id = $1) AS keys`,
      [install.id],
    );
    const expected = events + WARMUP_EVENTS;
    const correct = Number(check[0].total) === expected && check[0].undone === 0 && check[0].keys === expected;
    if (!correct) throw new Error(`bench/events ${workload}×${workers}: wrong result ${JSON.stringify(check[0])}, expected ${expected}`);

    const perWorker = workersAfter.map((after, i) => delta(after.stats, workersBefore[i].stats));
    const batches = perWorker.reduce((s, w) => s + w.batches, 0);
    const pg = delta(pgAfter, pgBefore);
    // This script's own transactions in the window: the publisher's, its polls, and reading the statistics.
    const publisherCommits = 1;
    const emptyPolls = perWorker.reduce((s, w) => s + w.emptyPolls, 0);
    return {
      workload,
      workers,
      events,
      elapsedMs: Math.round(elapsedMs),
      publishMs: Math.round(publishedMs),
      eventsPerSec: Math.round((events * 1000) / elapsedMs),
      batches,
      meanBatch: Math.round((perWorker.reduce((s, w) => s + w.delivered, 0) / Math.max(1, batches)) * 10) / 10,
      dispatchCommitsPerEvent: batches / events,
      dbCommits: pg.commits,
      publisherCommits,
      benchPolls: polls,
      workerEmptyPolls: emptyPolls,
      /** Commits of the host workers (batches, idle polls, anything else) per event; not this script's. */
      hostCommitsPerEvent: (pg.commits - publisherCommits - polls) / events,
      rollbacks: pg.rollbacks,
      deadlocks: pg.deadlocks,
      retriedDeliveries: check[0].retried,
      perWorker,
      server,
    };
  } finally {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await services.runtime.dispose();
    await test.drop();
  }
}

/** Runs the events benchmark, prints its table and (unless --no-write) writes bench/results/events-*.json. */
export async function runEventsBench(argv) {
  const opts = options(argv);
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  log(`events: ${opts.events} events per run, workloads ${opts.workloads.join(', ')}, ${opts.workers.join(' and ')} worker processes, ` +
    `${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded PostgreSQL'}…`);
  const { bundle } = await buildPlugin(PLUGIN);
  const runs = [];
  for (const workload of opts.workloads) {
    for (const workers of opts.workers) {
      log(`events: ${workload}, ${workers} worker${workers > 1 ? 's' : ''}…`);
      runs.push(await runOnce({ bundle, workload, workers, events: opts.events }));
    }
  }
  const server = runs[0].server;
  const targets = runs
    .filter((r) => r.workers === EVENTS_TARGET.workers)
    .map((r) => ({
      target: `≥ ${fmtRate(EVENTS_TARGET.eventsPerSec)} events/s with ${EVENTS_TARGET.workers} workers (${WORKLOADS[r.workload].label})`,
      value: `${r.eventsPerSec} events/s`,
      met: r.eventsPerSec >= EVENTS_TARGET.eventsPerSec,
    }))
    .map((t) => ({ ...t, verdict: verdict(t.met) }));
  const finished = Date.now();
  const results = {
    startedAt,
    durationMs: finished - started,
    machine: { node: process.version, cpuModel: os.cpus()[0]?.model?.trim() ?? 'unknown', cores: os.cpus().length, loadAvgAtStart: os.loadavg().map((v) => Math.round(v * 100) / 100) },
    server,
    config: { ...opts, warmupEvents: WARMUP_EVENTS, batchSize: 50, workloads: Object.fromEntries(opts.workloads.map((w) => [w, WORKLOADS[w].label])) },
    runs: runs.map(({ server: _, ...r }) => r),
    targets,
  };

  const fixed = (n, d = 3) => n.toFixed(d);
  const out = [
    '',
    `bench/events — order.paid → handler (event isolate) → idempotent KV increment + ack, committed; ` +
      `PostgreSQL ${server.version} (${server.external ? 'DATABASE_URL' : 'embedded'}, fsync=${server.fsync}, synchronous_commit=${server.synchronousCommit})`,
    `  ${opts.events} events per run, published through the outbox in one transaction (the "publishing" column) while the workers wait;`,
    '  events/s and time: from that commit to the commit of the last handler\'s KV write and ack. Batches of 50 deliveries, one worker loop per process',
    table(
      [
        { title: 'handler writes', align: 'left' },
        { title: 'workers' },
        { title: 'events/s' },
        { title: 'time' },
        { title: 'publishing' },
        { title: 'batches' },
        { title: 'per batch' },
        { title: 'batch commits/event' },
        { title: 'db commits/event' },
        { title: 'deadlocks' },
        { title: 'share per worker', align: 'left' },
      ],
      runs.map((r) => [
        WORKLOADS[r.workload].label,
        String(r.workers),
        String(r.eventsPerSec),
        `${(r.elapsedMs / 1000).toFixed(2)} s`,
        `${(r.publishMs / 1000).toFixed(2)} s`,
        String(r.batches),
        String(r.meanBatch),
        fixed(r.dispatchCommitsPerEvent),
        fixed(r.hostCommitsPerEvent),
        String(r.deadlocks),
        r.perWorker.map((w) => w.delivered).join(' / '),
      ]),
    ),
    '  batch commits/event: batches the workers claimed ÷ events (one transaction each). db commits/event: pg_stat_database.xact_commit',
    "  over the run ÷ events: every transaction of the workers' database connections, idle polls included (not the publisher's, not this script's polls)",
  ];
  await finishReport({ lines: out, targets, done: 'events bench done', durationMs: finished - started, write: opts.write, name: 'events', startedAt, results });
  return results;
}
