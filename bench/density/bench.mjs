// bench/density — 1,000 installed (merchant, plugin) pairs through createWorkerRuntime: 1,000 installs
// of templates/member-tier, each its own installId and tenant, called round-robin one at a time for a
// few rounds, with the pool's default byte-bounded isolate LRU (2 GiB split between the shared workers)
// and, for comparison, with 512 MiB per worker (the in-process default), where calls re-warm (new isolate
// from the worker's code cache) and the LRU evicts.
// Reported: resident memory of this process + the workers, latency with the re-warms, isolates alive,
// evictions; and the same run in-process (createRuntime, in a child process so its RSS is its own).
// Run by bench/run.mjs.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWorkerRuntime } from '@tongkit/runtime';
import { buildPlugin } from '@tongkit/runtime/build';
import { BEAT_SETTLE_MS, TEMPLATE, benchInput, fmtCounts, fmtMiB, machineInfo, poolDelta, sleep } from '../lib/pool.mjs';
import { finishReport, log, verdict } from '../lib/report.mjs';
import { fmtUs, table } from '../lib/stats.mjs';
import { densityRounds } from './rounds.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));

/** Reported with PASS/MISS, never enforced. */
export const DENSITY_TARGETS = { rssBytes: 2 * 1024 ** 3, p99Us: 5_000 };

const WORKERS = 2;
/** As the other sections: a 1 s CPU budget so a descheduled first call cannot fail the run; the rest is the default. */
const LIMITS = { cpuMs: 1_000 };

function options(argv) {
  const quick = argv.includes('--quick');
  const poolVariants = [{ label: `createWorkerRuntime, ${WORKERS} workers` }];
  // The other side of the trade: an LRU too small for every install to stay warm (~1.6 MiB each).
  if (!quick) poolVariants.push({ label: `createWorkerRuntime, LRU 512 MiB per worker`, maxIsolateBytes: 512 * 1024 ** 2 });
  return { quick, write: !argv.includes('--no-write'), installs: 1_000, rounds: quick ? 2 : 4, loadConcurrency: 8, inProcess: !quick, poolVariants };
}

/** One pool run: createWorkerRuntime with `variant.maxIsolateBytes` (default LRU when unset). */
async function runPool(bundle, input, opts, variant) {
  const exits = [];
  const pool = createWorkerRuntime({
    workers: WORKERS,
    limits: LIMITS,
    ...(variant.maxIsolateBytes ? { maxIsolateBytes: variant.maxIsolateBytes } : {}),
    onWorkerExit: (exit) => exits.push({ ...exit, stderrTail: exit.stderrTail.slice(-500) }),
  });
  const poolBefore = pool.poolStats();
  const hostBaselineRssBytes = process.memoryUsage.rss();
  const run = await densityRounds({
    runtime: pool,
    bundle,
    input,
    installs: opts.installs,
    rounds: opts.rounds,
    loadConcurrency: opts.loadConcurrency,
    loadOptions: (i) => ({ installId: `bench-density-${i}`, tenant: `bench-merchant-${i}` }),
    rss: () => process.memoryUsage.rss() + pool.poolStats().rssBytes,
  });
  await sleep(BEAT_SETTLE_MS);
  const poolAfter = pool.poolStats();
  const figures = {
    label: variant.label,
    maxIsolateBytes: variant.maxIsolateBytes ?? pool.poolStats().isolateBytesPerWorker,
    hostRssBytes: process.memoryUsage.rss(),
    hostBaselineRssBytes,
    workersRssBytes: poolAfter.rssBytes,
    ...run,
    pool: { delta: poolDelta(poolAfter, poolBefore), after: poolAfter },
    exits: exits.filter((e) => e.reason !== 'closed'),
  };
  await pool.dispose();
  return figures;
}

/** The in-process peer in a child process (bench/density/inprocess.mjs). */
function runInProcess(opts) {
  return new Promise((resolve, reject) => {
    const child = fork(join(HERE, 'inprocess.mjs'), [JSON.stringify({ installs: opts.installs, rounds: opts.rounds, limits: LIMITS })], {
      execArgv: ['--no-node-snapshot'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let figures;
    child.on('message', (message) => (figures = message));
    child.on('exit', (code, signal) => (figures ? resolve(figures) : reject(new Error(`bench/density: the in-process child exited (${code ?? signal}) without figures`))));
  });
}

export async function runDensityBench(argv) {
  const opts = options(argv);
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const info = machineInfo();
  log(`density: ${opts.installs} installs × ${opts.rounds} rounds through ${WORKERS} sandbox workers${opts.inProcess ? ', then in-process' : ''}…`);

  const { bundle } = await buildPlugin(TEMPLATE);
  const input = benchInput();

  const poolRuns = [];
  for (const variant of opts.poolVariants) {
    if (variant.maxIsolateBytes) log(`density: again with maxIsolateBytes ${fmtMiB(variant.maxIsolateBytes)} per worker (too small to keep all warm)…`);
    poolRuns.push(await runPool(bundle, input, opts, variant));
  }
  const workerFigures = poolRuns[0];

  let inProcess = null;
  if (opts.inProcess) {
    log('density: the same in-process (createRuntime, a child process)…');
    inProcess = { label: 'createRuntime, in-process', ...(await runInProcess(opts)) };
  }

  const targets = [
    { target: `RSS ≤ ${fmtMiB(DENSITY_TARGETS.rssBytes)} (this process + workers, peak)`, value: fmtMiB(workerFigures.peakRssBytes), met: workerFigures.peakRssBytes <= DENSITY_TARGETS.rssBytes },
    { target: `p99 ≤ ${fmtUs(DENSITY_TARGETS.p99Us)} (all rounds, re-warms included)`, value: fmtUs(workerFigures.overall.p99Us), met: workerFigures.overall.p99Us <= DENSITY_TARGETS.p99Us },
  ].map((t) => ({ ...t, verdict: verdict(t.met) }));

  const finished = Date.now();
  const results = {
    startedAt,
    durationMs: finished - started,
    machine: info,
    config: { ...opts, workers: WORKERS, limits: LIMITS, maxIsolateBytesPerWorker: workerFigures.maxIsolateBytes, bundle: 'templates/member-tier', bundleBytes: Buffer.byteLength(bundle.code) },
    pool: workerFigures,
    poolVariants: poolRuns.slice(1),
    inProcess,
    targets,
  };

  const runs = [...poolRuns, ...(inProcess ? [inProcess] : [])];
  const out = [
    '',
    `bench/density — ${opts.installs} installs of templates/member-tier (an installId and a tenant each), called round-robin one at a time, ${opts.rounds} rounds; isolate LRU: the pool's default (${fmtMiB(workerFigures.maxIsolateBytes)} per worker) unless said; in-process: 512 MiB`,
    table(
      [
        { title: 'runtime', align: 'left' },
        { title: 'load all' },
        { title: 'peak RSS' },
        { title: 'RSS at end' },
        { title: 'isolates alive' },
        { title: 'isolate bytes' },
        { title: 'evictions' },
        { title: 'p50' },
        { title: 'p99' },
        { title: 'max' },
        { title: 'cold calls' },
        { title: 'cold p50' },
        { title: 'warm p50' },
        { title: 'outcomes', align: 'left' },
      ],
      runs.map((r) => [
        r.label,
        `${(r.loadMs / 1000).toFixed(1)} s`,
        fmtMiB(r.peakRssBytes),
        fmtMiB(r.end.rssBytes),
        String(r.end.stats.isolatesAlive),
        fmtMiB(r.end.stats.isolateBytes),
        String(r.end.stats.evictions),
        fmtUs(r.overall.p50Us),
        fmtUs(r.overall.p99Us),
        fmtUs(r.overall.maxUs),
        `${r.cold?.n ?? 0} of ${r.overall.n}`,
        fmtUs(r.cold?.p50Us),
        fmtUs(r.warm?.p50Us),
        fmtCounts(r.outcomes),
      ]),
    ),
    `  RSS: worker pool = this process (${fmtMiB(workerFigures.hostRssBytes)} at end, ${fmtMiB(workerFigures.hostBaselineRssBytes)} before) + workers (${fmtMiB(workerFigures.workersRssBytes)}, from their beats);` +
      ` pool counters: ${JSON.stringify(workerFigures.pool.delta)}, heavy tenants ${workerFigures.pool.after.heavyTenants}, quarantined ${workerFigures.pool.after.quarantinedTenants}${workerFigures.exits.length ? `; worker exits: ${workerFigures.exits.map((e) => e.reason).join(', ')}` : ''}`,
    ...(inProcess ? [`  in-process RSS is its child process's (${fmtMiB(inProcess.baselineRssBytes)} before loading)`] : []),
    '',
    table(
      [{ title: 'per round', align: 'left' }, { title: 'round' }, { title: 'p50' }, { title: 'p99' }, { title: 'calls/s' }, { title: 'cold calls' }, { title: 'cold p50' }, { title: 'warm p50' }, { title: 'RSS after' }],
      runs.flatMap((r) => r.perRound.map((p) => [r.label, String(p.round), fmtUs(p.p50Us), fmtUs(p.p99Us), String(p.callsPerSec), String(p.coldCalls), fmtUs(p.coldP50Us), fmtUs(p.warmP50Us), fmtMiB(p.rssBytes)])),
    ),
  ];
  await finishReport({ lines: out, targets, done: 'density bench done', durationMs: finished - started, write: opts.write, name: 'density', startedAt, results });
  return results;
}
