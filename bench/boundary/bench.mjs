// bench/boundary — the same warm extension call (member.tier.compute on templates/member-tier)
// in-process (`createRuntime`) and through the worker boundary (`createWorkerRuntime({ workers: 2 })`),
// in one run, beside the floor of the boundary itself (a child that answers at once over the same IPC
// channel). Sequential latency of all three interleaved in rounds, then throughput with pipelining:
// N concurrent callers spread over 4 tenants (2 on each worker). Run by bench/run.mjs.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRuntime, createWorkerRuntime } from '@tongkit/runtime';
import { buildPlugin } from '@tongkit/runtime/build';
import { BEAT_SETTLE_MS, POINT, TEMPLATE, benchInput, countBy, fmtCounts, machineInfo, outcomeOf, poolDelta, shardOf, sleep, tenantOnShard } from '../lib/pool.mjs';
import { finishReport, log, verdict } from '../lib/report.mjs';
import { fmtRate, fmtRatio, fmtUs, now, summarize, table } from '../lib/stats.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));

/** Reported with PASS/MISS, never enforced. */
export const BOUNDARY_TARGETS = { p50Us: 250, p99Us: 1_000, callsPerSec: 5_000, targetCallers: 32 };

const WORKERS = 2;
const TENANTS = 4;

/**
 * Both runtimes as the platform configures them, except for a 1 s CPU budget (default 20 ms), as in the
 * runtime suite: a first call descheduled on a loaded 2-core machine must not abort the run. The warm
 * path is unchanged.
 */
const LIMITS = { cpuMs: 1_000 };

function options(argv) {
  const quick = argv.includes('--quick');
  return {
    quick,
    write: !argv.includes('--no-write'),
    calls: quick ? 2_000 : 20_000,
    warmup: quick ? 500 : 3_000,
    rounds: 10,
    callers: [1, 8, 16, 32],
    throughputMs: quick ? 400 : 2_000,
  };
}

/** Times `count` sequential awaited calls into `samples` from `offset`; returns the loop's wall ns. */
async function timeSequential(call, samples, offset, count) {
  const start = now();
  for (let i = 0; i < count; i++) {
    const t0 = now();
    await call();
    samples[offset + i] = Number(now() - t0);
  }
  return Number(now() - start);
}

/** Warm-up, then `rounds` rounds with the order rotated each round (as bench/lib/suite.mjs does). */
async function sequentialScenario(contestants, opts) {
  for (const c of contestants) {
    await timeSequential(c.call, new Float64Array(opts.warmup), 0, opts.warmup);
    c.perRound = Math.ceil(opts.calls / opts.rounds);
    c.samples = new Float64Array(c.perRound * opts.rounds);
    c.busy = 0;
  }
  for (let round = 0; round < opts.rounds; round++) {
    const order = contestants.map((_, i) => contestants[(i + round) % contestants.length]);
    for (const c of order) c.busy += await timeSequential(c.call, c.samples, round * c.perRound, c.perRound);
  }
  return Object.fromEntries(contestants.map((c) => [c.id, { label: c.label, ...summarize(c.samples, c.busy) }]));
}

/**
 * `callers` concurrent loops for `ms`: caller i calls `calls[i % calls.length]` (one per tenant),
 * each timed alone. Returns latency under load, calls/s, outcomes, and this process's CPU per call.
 */
async function pipelined(calls, callers, ms) {
  const samples = [];
  const outcomes = [];
  const cpu0 = process.cpuUsage();
  const start = now();
  const deadline = performance.now() + ms;
  await Promise.all(
    Array.from({ length: callers }, async (_, i) => {
      const call = calls[i % calls.length];
      while (performance.now() < deadline) {
        const t0 = now();
        const result = await call();
        samples.push(Number(now() - t0));
        outcomes.push(outcomeOf(result));
      }
    }),
  );
  const busy = Number(now() - start);
  const cpu = process.cpuUsage(cpu0);
  const summary = summarize(Float64Array.from(samples), busy);
  return { callers, ...summary, outcomes: countBy(outcomes, (o) => o), hostCpuUsPerCall: Math.round(((cpu.user + cpu.system) / samples.length) * 100) / 100 };
}

/** The echo child: `call()` sends a request shaped like the pool's invoke and awaits the canned reply. */
async function startEcho(request, reply) {
  const child = fork(join(HERE, 'echo.mjs'), [JSON.stringify(reply)], { execArgv: [], serialization: 'json', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const waiting = new Map();
  let ready;
  const isReady = new Promise((resolve) => (ready = resolve));
  child.on('message', (message) => {
    if (message.t === 'ready') return ready();
    const resolve = waiting.get(message.id);
    waiting.delete(message.id);
    resolve?.(message.value);
  });
  await isReady;
  let nextId = 0;
  return {
    call: () =>
      new Promise((resolve) => {
        const id = nextId++;
        waiting.set(id, resolve);
        child.send({ ...request, id });
      }),
    close: () => new Promise((resolve) => (child.once('exit', resolve), child.disconnect())),
  };
}

export async function runBoundaryBench(argv) {
  const opts = options(argv);
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const info = machineInfo();
  log(`boundary: in-process vs ${WORKERS} sandbox workers, ${opts.calls} sequential calls each, pipelined ${opts.callers.join('/')} callers over ${TENANTS} tenants…`);

  const { bundle } = await buildPlugin(TEMPLATE);
  const input = benchInput();
  const settings = {};

  const inProcess = createRuntime({ limits: LIMITS });
  const local = await inProcess.load(bundle, { installId: 'bench-boundary-0' });
  const pool = createWorkerRuntime({ workers: WORKERS, limits: LIMITS });
  // Four tenants, two on each shared worker, each its own install of the same bundle.
  const tenants = Array.from({ length: TENANTS }, (_, i) => tenantOnShard(`bench-merchant-${i}-`, i % WORKERS, WORKERS));
  const remote = await Promise.all(tenants.map((tenant, i) => pool.load(bundle, { installId: `bench-boundary-${i}`, tenant })));

  // The same output either side of the boundary, or the comparison means nothing.
  const a = await local.invoke(POINT, input, settings);
  const b = await remote[0].invoke(POINT, input, settings);
  if (!a.ok || !b.ok || JSON.stringify(a.output) !== JSON.stringify(b.output)) {
    throw new Error(`bench/boundary: outputs differ: in-process ${JSON.stringify(a.ok ? a.output : a.error)}, worker ${JSON.stringify(b.ok ? b.output : b.error)}`);
  }

  // The floor: the pool's request and a real reply, echoed by a child that does nothing else.
  const request = { t: 'invoke', key: `bench-boundary-0@${remote[0].sha256}`, point: POINT, input, settings, fresh: false };
  const echo = await startEcho(request, b);
  const requestBytes = Buffer.byteLength(JSON.stringify({ ...request, id: 0 }));
  const replyBytes = Buffer.byteLength(JSON.stringify({ t: 'done', id: 0, value: b }));

  const check = (result) => {
    if (!result.ok) throw new Error(`bench/boundary: ${result.error.code}: ${result.error.message}`);
    return result;
  };
  const localCall = async () => check(await local.invoke(POINT, input, settings));
  const remoteCalls = remote.map((plugin) => async () => plugin.invoke(POINT, input, settings));

  // --- sequential ------------------------------------------------------------------------------------
  log('boundary: sequential latency…');
  const poolBefore = pool.poolStats();
  const sequential = await sequentialScenario(
    [
      { id: 'inProcess', label: 'in-process createRuntime invoke', call: localCall },
      { id: 'boundary', label: `createWorkerRuntime invoke (${WORKERS} workers)`, call: async () => check(await remoteCalls[0]()) },
      { id: 'ipcEcho', label: 'IPC echo child (floor of the boundary)', call: echo.call },
    ],
    opts,
  );

  // --- pipelined -------------------------------------------------------------------------------------
  const throughput = [];
  // Where the tenants ran: a tenant over the pool's heavyCpuMs of recent CPU moves to a quarantine worker.
  const placement = () => {
    const { heavyTenants, quarantinedTenants, alive } = pool.poolStats();
    return { heavyTenants, quarantinedTenants, alive };
  };
  const afterSequential = placement();
  for (const callers of opts.callers) {
    log(`boundary: ${callers} concurrent caller${callers > 1 ? 's' : ''} for ${opts.throughputMs} ms…`);
    const run = await pipelined(callers === 1 ? remoteCalls.slice(0, 1) : remoteCalls, callers, opts.throughputMs);
    throughput.push({ id: 'boundary', label: `worker pool, ${Math.min(callers, TENANTS)} tenant${callers > 1 ? 's' : ''}`, ...run, pool: placement() });
  }
  const maxCallers = Math.max(...opts.callers);
  log(`boundary: peers with ${maxCallers} callers…`);
  throughput.push({ id: 'inProcess', label: 'in-process (one thread)', ...(await pipelined([async () => local.invoke(POINT, input, settings)], maxCallers, opts.throughputMs)) });
  throughput.push({ id: 'ipcEcho', label: 'IPC echo child (one process)', ...(await pipelined([async () => ({ ok: true, ...(await echo.call()) })], maxCallers, opts.throughputMs)) });

  await sleep(BEAT_SETTLE_MS);
  const poolAfter = pool.poolStats();
  const runtimeStats = pool.stats();
  await Promise.all([pool.dispose(), inProcess.dispose(), echo.close()]);

  // --- targets ---------------------------------------------------------------------------------------
  const s = sequential;
  const target = throughput.find((t) => t.id === 'boundary' && t.callers === BOUNDARY_TARGETS.targetCallers) ?? throughput[0];
  const targets = [
    { target: `through the boundary: sequential p50 ≤ ${BOUNDARY_TARGETS.p50Us} µs`, value: fmtUs(s.boundary.p50Us), met: s.boundary.p50Us <= BOUNDARY_TARGETS.p50Us },
    { target: `through the boundary: sequential p99 ≤ ${fmtUs(BOUNDARY_TARGETS.p99Us)}`, value: fmtUs(s.boundary.p99Us), met: s.boundary.p99Us <= BOUNDARY_TARGETS.p99Us },
    {
      target: `through the boundary: ≥ ${fmtRate(BOUNDARY_TARGETS.callsPerSec)} calls/s (${target.callers} callers, ${TENANTS} tenants)`,
      value: `${target.callsPerSec} calls/s`,
      met: target.callsPerSec >= BOUNDARY_TARGETS.callsPerSec,
    },
  ].map((t) => ({ ...t, verdict: verdict(t.met) }));

  const finished = Date.now();
  const results = {
    startedAt,
    durationMs: finished - started,
    machine: info,
    config: { ...opts, workers: WORKERS, tenants, shards: tenants.map((t) => shardOf(t, WORKERS)), limits: LIMITS, point: POINT },
    wire: { requestBytes, replyBytes },
    sequential,
    ratios: { p50: s.boundary.p50Us / s.inProcess.p50Us, p99: s.boundary.p99Us / s.inProcess.p99Us, boundaryOverFloorP50: s.boundary.p50Us / s.ipcEcho.p50Us },
    throughput,
    pool: { delta: poolDelta(poolAfter, poolBefore), afterSequential, after: poolAfter, stats: runtimeStats },
    targets,
  };

  // --- print -----------------------------------------------------------------------------------------
  const out = [
    '',
    `bench/boundary — warm ${POINT} (templates/member-tier) in-process vs through ${WORKERS} sandbox worker processes`,
    `  request ${requestBytes} B / reply ${replyBytes} B of JSON over Node IPC; outputs agree; ${opts.rounds} interleaved rounds, each call timed alone`,
    table(
      [{ title: 'sequential (1 caller)', align: 'left' }, { title: 'calls' }, { title: 'p50' }, { title: 'p90' }, { title: 'p99' }, { title: 'mean' }, { title: 'calls/s' }, { title: 'p50 ÷ in-process' }, { title: 'p99 ÷ in-process' }],
      Object.values(s).map((r) => [r.label, String(r.n), fmtUs(r.p50Us), fmtUs(r.p90Us), fmtUs(r.p99Us), fmtUs(r.meanUs), fmtRate(r.callsPerSec), fmtRatio(r.p50Us / s.inProcess.p50Us), fmtRatio(r.p99Us / s.inProcess.p99Us)]),
    ),
    `  the boundary adds ${fmtUs(s.boundary.p50Us - s.inProcess.p50Us)} at p50; the bare IPC round trip is ${fmtUs(s.ipcEcho.p50Us)} of it (worker p50 ÷ echo p50 ${fmtRatio(s.boundary.p50Us / s.ipcEcho.p50Us)})`,
    `  the pool's tenant ${afterSequential.heavyTenants > 0 ? 'went heavy (over heavyCpuMs of recent CPU) and ran on a quarantine worker' : 'stayed on its shared worker'}`,
    '',
    `  pipelined: N concurrent callers for ${(opts.throughputMs / 1000).toFixed(1)} s, caller i on tenant i mod ${TENANTS} (tenants 0, 2 placed on shared worker 0; 1, 3 on shared worker 1)`,
    table(
      [
        { title: 'pipelined', align: 'left' },
        { title: 'callers' },
        { title: 'calls/s' },
        { title: 'p50' },
        { title: 'p99' },
        { title: 'max' },
        { title: 'host CPU/call' },
        { title: 'heavy tenants' },
        { title: 'outcomes', align: 'left' },
      ],
      throughput.map((t) => [t.label, String(t.callers), fmtRate(t.callsPerSec), fmtUs(t.p50Us), fmtUs(t.p99Us), fmtUs(t.maxUs), fmtUs(t.hostCpuUsPerCall), t.pool ? String(t.pool.heavyTenants) : '–', fmtCounts(t.outcomes)]),
    ),
    `  host CPU/call: this process's user+system CPU ÷ calls (the workers' own CPU is not in it). Pool over the run: ${JSON.stringify(results.pool.delta)}`,
    '  heavy tenants: poolStats().heavyTenants after the row; a heavy tenant runs on one of the 2 quarantine workers (least loaded) instead of its shared one',
  ];
  await finishReport({ lines: out, targets, done: 'boundary bench done', durationMs: finished - started, write: opts.write, name: 'boundary', startedAt, results });
  return results;
}
