// bench/attack — what one tenant's attack costs another tenant through createWorkerRuntime. A victim
// tenant calls templates/member-tier in a steady paced loop; an attacker tenant on the SAME shared
// worker (the worst case: tenants are sharded by FNV-1a of their id, and the attacker's id is picked to
// collide with the victim's) runs one attack family in a loop for a few seconds. Each family gets a fresh
// pool: a quiet phase (the victim alone), then the attack phase. Reported per family: the victim's
// p50/p99 during the attack against its quiet p99, the victim's errors, the attacker's outcomes, what
// the pool counted (crashes, hangs, rate limiting, quarantine, heavy tenants) and how busy this process
// (the pool's parent, the host) was. Run by bench/run.mjs.
import { spawn } from 'node:child_process';
import { setImmediate as turn } from 'node:timers/promises';
import { join } from 'node:path';
import { DEFAULT_TENANT_POLICY, createWorkerRuntime } from '@tongkit/runtime';
import { buildPlugin } from '@tongkit/runtime/build';
import { BEAT_SETTLE_MS, POINT, TEMPLATE, benchInput, countBy, fmtCounts, machineInfo, poolDelta, shardOf, sleep, tenantOnShard } from '../lib/pool.mjs';
import { BENCH, finishReport, log, verdict } from '../lib/report.mjs';
import { fmtRatio, fmtUs, now, summarize, table } from '../lib/stats.mjs';

/** Reported with PASS/MISS, never enforced: the victim's p99 under attack ≤ this × its quiet p99. */
export const ATTACK_TARGET = { p99VsQuiet: 2 };

const WORKERS = 2;
/**
 * Hang supervision: a worker whose event loop has not turned for this long while it has work is killed.
 * The default is 3,000 ms; 1,000 ms here so the native-fill family is stopped a few times per run.
 */
const HANG_MS = 1_000;
const VICTIM = 'victim-merchant';
/**
 * The victim calls every 2 ms at most (~450 calls/s; its recent CPU stays at 5–10 ms). Unpaced, a
 * sequential caller of this template makes ~3,500 calls/s, uses ~80 ms of CPU per second and is itself
 * moved to a quarantine worker as heavy within half a second: it would no longer share the attacker's worker.
 */
const VICTIM_PERIOD_MS = 2;
/** The pool's half-life of a tenant's recent CPU (tenant-guard.ts, not exported): to tell whether the victim went heavy. */
const RECENT_CPU_HALF_LIFE_MS = 250;
/** Around 2 ms of guest CPU per call for the 'burn' flood, calibrated at the start of the family. */
const BURN_TARGET_MICROS = 2_000;

/**
 * The families. `member` picks the attack in bench/plugins/attack, `size` sizes it; `callers` attacker
 * loops run at once. Single-caller families honour `retryAfterMs` when rate limited (the most the quota
 * allows); the floods are hostile and retry at once, after one turn of the event loop. Their loops run in
 * this process, the pool's parent, so their refusals compete with the victim's calls for this process's
 * event loop: the report gives this process's CPU beside each family.
 */
const FAMILIES = [
  // Not an attack: what one busy process costs the victim on this machine, whoever runs it.
  { id: 'control', label: 'control: a busy process outside the pool', external: true, callers: 0 },
  { id: 'cpu', label: "CPU: endless loop ('for-ever', 100 ms wall stop)", member: 'for-ever', callers: 1 },
  { id: 'heap', label: 'memory: heap bomb (arrays of 10k-element arrays)', member: 'array-of-arrays', callers: 1 },
  { id: 'oom', label: 'memory: fatal OOM (a doubling string aborts V8)', member: 'string-doubling', callers: 1 },
  { id: 'logs', label: 'log flood (10,000 console.log lines a call)', member: 'log-flood', size: 10_000, callers: 1 },
  { id: 'output', label: 'output flood (1 MB outputs, limit 20 KB)', member: 'huge-output', size: 1_000_000, callers: 1 },
  { id: 'flood', label: 'call flood: 64 callers, cheap calls', member: 'none', callers: 64, flood: true },
  { id: 'floodBurn', label: 'call flood: 64 callers, ~2 ms of CPU each', member: 'burn', callers: 64, flood: true, calibrate: true },
  // Each fill holds a worker for hangMs and more: 3 s even with --quick, or the victim's one blocked call is all there is.
  { id: 'fill', label: `native fill: new Array(2^27).fill(0) (hangMs ${HANG_MS})`, member: 'array-fill', size: 2 ** 27, callers: 1, minAttackMs: 3_000 },
];

function options(argv) {
  const quick = argv.includes('--quick');
  // --families=cpu,oom runs only those (for looking into one).
  const only = argv.find((a) => a.startsWith('--families='))?.slice('--families='.length).split(',');
  const families = only ? FAMILIES.filter((f) => only.includes(f.id)) : FAMILIES;
  if (families.length === 0) throw new Error(`bench/attack: --families takes ${FAMILIES.map((f) => f.id).join(',')}`);
  return { quick, write: !argv.includes('--no-write'), quietMs: quick ? 400 : 1_200, attackMs: quick ? 1_000 : 3_000, victimWarmup: 200, families: families.map((f) => f.id) };
}

function attackInput(input, member, size = 0) {
  const attack = structuredClone(input);
  attack.member.id = member;
  attack.member.growthValue = size;
  return attack;
}

/**
 * A result's outcome for counting: `ok`, or its error code; a TK_WORKER_CRASHED whose call had only been
 * queued behind the call that took the worker down (`details.culprit: false`) is `… (queued)`.
 */
const outcomeOf = (result) => (result.ok ? 'ok' : result.error.details?.culprit === false ? `${result.error.code} (queued)` : result.error.code);

/** Starts measuring this process's CPU (user + system, all threads) and event-loop utilisation; the function returned stops. */
function hostUsage() {
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  return () => {
    const cpu = process.cpuUsage(cpu0);
    const wallMs = performance.now() - t0;
    return { wallMs: Math.round(wallMs), cpuMs: Math.round((cpu.user + cpu.system) / 1000), cpuShare: (cpu.user + cpu.system) / 1000 / wallMs, eventLoopUtilization: performance.eventLoopUtilization(elu0).utilization };
  };
}

/**
 * The victim's paced loop (a call every VICTIM_PERIOD_MS at most) until `stop()` says so: latency of every
 * call (failed ones too), outcomes, and the most recent CPU the pool saw from it (its heavy measure,
 * mirrored from the results' cpuMicros). `sample()` runs after each call.
 */
async function victimLoop(victim, input, stop, sample = () => {}) {
  const samples = [];
  const outcomes = [];
  const errors = {};
  let recentCpu = 0;
  let recentAt = performance.now();
  let recentCpuMax = 0;
  let next = performance.now();
  const start = now();
  while (!stop()) {
    const t0 = now();
    const result = await victim.invoke(POINT, input);
    samples.push(Number(now() - t0));
    outcomes.push(outcomeOf(result));
    if (!result.ok) noteError(errors, result, { call: samples.length - 1, hostUs: Math.round(samples.at(-1) / 1000) });
    const at = performance.now();
    recentCpu = recentCpu * 2 ** (-(at - recentAt) / RECENT_CPU_HALF_LIFE_MS) + result.measurements.cpuMicros;
    recentAt = at;
    recentCpuMax = Math.max(recentCpuMax, recentCpu);
    sample();
    next += VICTIM_PERIOD_MS;
    if (next > at) await sleep(next - at);
    else next = at;
  }
  const busy = Number(now() - start);
  // The slowest calls, with their index in the phase and how they ended: what a p99 hides.
  const slowest = samples
    .map((ns, i) => ({ us: Math.round(ns / 1000), call: i, outcome: outcomes[i] }))
    .sort((a, b) => b.us - a.us)
    .slice(0, 5);
  return { samples, outcomes, errors, busy, slowest, recentCpuMaxMs: Math.round(recentCpuMax / 10) / 100 };
}

/** Keeps the first few distinct messages of each error code (with their details and `extra`), to explain the counts. */
function noteError(errors, result, extra = {}) {
  const list = (errors[result.error.code] ??= []);
  if (list.length < 3 && !list.some((e) => e.message === result.error.message)) {
    const { cpuMicros, wallMicros } = result.measurements;
    list.push({ message: result.error.message, details: result.error.details, cpuMicros, wallMicros, ...extra });
  }
}

/** One attacker loop until `stop()`. */
async function attackerLoop(attacker, attack, family, stop, errors) {
  const outcomes = [];
  while (!stop()) {
    const result = await attacker.invoke(POINT, attack);
    outcomes.push(outcomeOf(result));
    if (!result.ok) noteError(errors, result);
    if (!result.ok && result.error.code === 'TK_RATE_LIMITED') {
      if (family.flood) await turn();
      else await sleep(Math.max(1, Number(result.error.details?.retryAfterMs ?? 10)));
    } else if (family.flood && result.ok === false) {
      await turn();
    }
  }
  return outcomes;
}

/** The size of 'burn' that costs about BURN_TARGET_MICROS of guest CPU (best of a few warm calls). */
async function calibrateBurn(attacker, input) {
  const sample = 100_000;
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const result = await attacker.invoke(POINT, attackInput(input, 'burn', sample));
    if (result.ok) best = Math.min(best, result.measurements.cpuMicros);
  }
  return Math.round((sample * BURN_TARGET_MICROS) / Math.max(1, best));
}

async function runFamily(family, templateBundle, attackBundle, input, opts) {
  const exits = [];
  const pool = createWorkerRuntime({ workers: WORKERS, hangMs: HANG_MS, onWorkerExit: (exit) => exits.push(exit) });
  const victimShard = shardOf(VICTIM, WORKERS);
  const attackerTenant = tenantOnShard(`attacker-${family.id}-`, victimShard, WORKERS);
  try {
    let victim;
    let attacker;
    try {
      victim = await pool.load(templateBundle, { installId: `victim-${family.id}`, tenant: VICTIM });
      attacker = await pool.load(attackBundle, { installId: `attacker-${family.id}`, tenant: attackerTenant });
    } catch (error) {
      // E.g. the worker entry (packages/runtime/dist/worker.js) missing while the runtime is being rebuilt.
      const tail = exits.map((e) => e.stderrTail.trim().split('\n').slice(-3).join(' | ')).join(' / ');
      throw new Error(`bench/attack: loading into a fresh pool failed: ${error.code ?? ''} ${error.message}${tail ? `; worker stderr: ${tail}` : ''}`);
    }
    for (let i = 0; i < opts.victimWarmup; i++) await victim.invoke(POINT, input);
    const warm = await attacker.invoke(POINT, attackInput(input, 'none'));
    if (!warm.ok) throw new Error(`bench/attack: the attacker failed to warm up: ${warm.error.code}: ${warm.error.message}`);
    const size = family.calibrate ? await calibrateBurn(attacker, input) : (family.size ?? 0);
    const attack = attackInput(input, family.member, size);

    // Quiet: the victim alone on this fresh pool.
    let deadline = performance.now() + opts.quietMs;
    let heavyMax = 0;
    const sampleHeavy = () => (heavyMax = Math.max(heavyMax, pool.poolStats().heavyTenants));
    let usage = hostUsage();
    const quiet = await victimLoop(victim, input, () => performance.now() > deadline, sampleHeavy);
    const quietHost = usage();
    const quietHeavyMax = heavyMax;
    heavyMax = 0;

    // Attack: the victim's loop goes on while the attacker's loops run.
    await sleep(BEAT_SETTLE_MS);
    const before = pool.poolStats();
    const exitsBefore = exits.length;
    let attacking = true;
    const attackerErrors = {};
    const attackers = Array.from({ length: family.callers }, () => attackerLoop(attacker, attack, family, () => !attacking, attackerErrors));
    const busy = family.external ? spawn(process.execPath, ['-e', 'for (;;);'], { stdio: 'ignore' }) : null;
    const attackMs = Math.max(opts.attackMs, family.minAttackMs ?? 0);
    deadline = performance.now() + attackMs;
    usage = hostUsage();
    const during = await victimLoop(victim, input, () => performance.now() > deadline, sampleHeavy);
    const attackHost = usage();
    attacking = false;
    if (busy) await new Promise((resolve) => (busy.once('exit', resolve), busy.kill('SIGKILL')));
    const attackerOutcomes = (await Promise.all(attackers)).flat();
    await sleep(BEAT_SETTLE_MS);
    const after = pool.poolStats();
    const familyExits = exits.slice(exitsBefore).filter((e) => e.reason !== 'closed');

    return {
      id: family.id,
      label: family.label,
      attackMs,
      attack: family.external ? { external: true } : { member: family.member, size, callers: family.callers, flood: Boolean(family.flood) },
      tenants: { victim: VICTIM, attacker: attackerTenant, shard: victimShard },
      quiet: { ...summarize(Float64Array.from(quiet.samples), quiet.busy), outcomes: countBy(quiet.outcomes, (o) => o), victimRecentCpuMaxMs: quiet.recentCpuMaxMs, heavyTenantsMax: quietHeavyMax, host: quietHost },
      during: { ...summarize(Float64Array.from(during.samples), during.busy), outcomes: countBy(during.outcomes, (o) => o), victimRecentCpuMaxMs: during.recentCpuMaxMs, heavyTenantsMax: heavyMax, host: attackHost, slowest: during.slowest },
      victimHeavy: Math.max(quiet.recentCpuMaxMs, during.recentCpuMaxMs) > DEFAULT_TENANT_POLICY.heavyCpuMs,
      victimErrors: countBy(
        during.outcomes.filter((o) => o !== 'ok'),
        (o) => o,
      ),
      victimErrorSamples: during.errors,
      attacker: { calls: attackerOutcomes.length, outcomes: countBy(attackerOutcomes, (o) => o), errorSamples: attackerErrors },
      pool: { delta: poolDelta(after, before), quarantinedTenants: after.quarantinedTenants, heavyTenants: after.heavyTenants, heavyTenantsMax: heavyMax, alive: after.alive, rssBytes: after.rssBytes },
      exits: familyExits.map((e) => ({ reason: e.reason, signal: e.signal, exitCode: e.exitCode, tenantsInFlight: e.tenantsInFlight, culprits: e.culprits, stderrTail: e.stderrTail.slice(-300) })),
      victimQuarantined: familyExits.some((e) => (e.reason === 'crashed' || e.reason === 'hung') && e.culprits.includes(VICTIM)),
      quietSamples: quiet.samples,
    };
  } finally {
    await pool.dispose();
  }
}

export async function runAttackBench(argv) {
  const opts = options(argv);
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const info = machineInfo();
  log(`attack: ${opts.families.length} families, each ${opts.quietMs} ms quiet then ${opts.attackMs} ms under attack, ${WORKERS} workers, hangMs ${HANG_MS}…`);
  const [template, attack] = await Promise.all([buildPlugin(TEMPLATE), buildPlugin(join(BENCH, 'plugins/attack'))]);
  const input = benchInput();

  const families = [];
  for (const family of FAMILIES.filter((f) => opts.families.includes(f.id))) {
    log(`attack: ${family.id} (${family.label})…`);
    families.push(await runFamily(family, template.bundle, attack.bundle, input, opts));
  }
  // The reference: every quiet phase together (each family's own quiet p99 is in the JSON).
  const quietAll = summarize(Float64Array.from(families.flatMap((f) => f.quietSamples)), 0);
  for (const f of families) delete f.quietSamples;
  const control = families.find((f) => f.attack.external);
  // This process's CPU over every quiet phase: the victim's loop and the pool's parent side alone.
  const total = (pick) => families.reduce((t, f) => t + pick(f.quiet.host), 0);
  const quietHost = { cpuMs: total((h) => h.cpuMs), wallMs: total((h) => h.wallMs) };
  quietHost.cpuShare = quietHost.cpuMs / quietHost.wallMs;
  quietHost.eventLoopUtilization = total((h) => h.eventLoopUtilization * h.wallMs) / quietHost.wallMs;
  const percent = (share) => `${Math.round(share * 100)} %`;
  const floods = families.filter((f) => f.attack.flood);

  const targets = families
    .filter((f) => !f.attack.external)
    .map((f) => ({
      target: `${f.id}: victim p99 ≤ ${ATTACK_TARGET.p99VsQuiet}× quiet p99 (${fmtUs(quietAll.p99Us)})`,
      value: `${fmtUs(f.during.p99Us)} (${fmtRatio(f.during.p99Us / quietAll.p99Us)})${f.attack.flood ? `; host loop busy ${percent(f.during.host.eventLoopUtilization)}: see the flood note` : ''}`,
      met: f.during.p99Us <= ATTACK_TARGET.p99VsQuiet * quietAll.p99Us,
    }))
    .map((t) => ({ ...t, verdict: verdict(t.met) }));

  const finished = Date.now();
  const results = {
    startedAt,
    durationMs: finished - started,
    machine: info,
    config: {
      ...opts,
      workers: WORKERS,
      hangMs: HANG_MS,
      victimPeriodMs: VICTIM_PERIOD_MS,
      limits: 'platform defaults (20 ms CPU, 100 ms wall, 16 MB heap)',
      tenantPolicy: { defaults: DEFAULT_TENANT_POLICY, recentCpuHalfLifeMs: RECENT_CPU_HALF_LIFE_MS },
    },
    quiet: { ...quietAll, host: quietHost },
    control: control ? { p50Us: control.during.p50Us, p99Us: control.during.p99Us } : null,
    families,
    targets,
  };

  const delta = (f) =>
    [
      ...Object.entries({ ...f.pool.delta, quarantined: f.pool.quarantinedTenants, heavy: f.pool.heavyTenantsMax })
        .filter(([k, v]) => v !== 0 && k !== 'started')
        .map(([k, v]) => `${k} ${v}`),
      ...(f.victimHeavy ? ['victim heavy'] : []),
    ].join(', ') || '–';
  const perSecond = (f, outcome) => Math.round(((f.attacker.outcomes[outcome] ?? 0) * 1000) / f.attackMs);
  const out = [
    '',
    `bench/attack — victim tenant (templates/member-tier, a call every ${VICTIM_PERIOD_MS} ms at most) vs an attacker tenant on the same shared worker; ${WORKERS} workers, hangMs ${HANG_MS}, default limits and tenant policy`,
    `  each family: a fresh pool, ${(opts.quietMs / 1000).toFixed(1)} s quiet, then ${(opts.attackMs / 1000).toFixed(1)} s with the attacker looping (fill: at least 3 s); victim latency counts failed calls too`,
    table(
      [
        { title: 'family', align: 'left' },
        { title: 'victim calls' },
        { title: 'p50' },
        { title: 'p99' },
        { title: 'max' },
        { title: 'p99 ÷ quiet' },
        { title: 'p99 ÷ control' },
        { title: 'host CPU' },
        { title: 'host loop busy' },
        { title: 'victim errors', align: 'left' },
        { title: 'attacker outcomes', align: 'left' },
        { title: 'pool', align: 'left' },
      ],
      [
        ['quiet (every family’s quiet phase)', String(quietAll.n), fmtUs(quietAll.p50Us), fmtUs(quietAll.p99Us), fmtUs(quietAll.maxUs), '1.00×', '–', percent(quietHost.cpuShare), percent(quietHost.eventLoopUtilization), '–', '–', '–'],
        ...families.map((f) => [
          f.label,
          String(f.during.n),
          fmtUs(f.during.p50Us),
          fmtUs(f.during.p99Us),
          fmtUs(f.during.maxUs),
          fmtRatio(f.during.p99Us / quietAll.p99Us),
          control ? fmtRatio(f.during.p99Us / control.during.p99Us) : '–',
          percent(f.during.host.cpuShare),
          percent(f.during.host.eventLoopUtilization),
          fmtCounts(f.victimErrors) + (f.victimQuarantined ? ' (quarantined)' : ''),
          fmtCounts(f.attacker.outcomes),
          delta(f),
        ]),
      ],
    ),
    "  p99 ÷ control: against the victim's p99 while one busy process outside the pool ran (what a busy core costs on this machine, whoever is busy)",
    "  host CPU: this process's CPU (user + system, all threads) ÷ wall time during the attack, of one core; host loop busy: its event-loop utilisation. This process is the host:",
    "  the pool's parent, the victim's loop and the attacker's loops. A loop busy 100 % with less CPU means the process was runnable but waited for a core",
    '  pool: what poolStats() counted during the attack (crashed, hung, recycled, rateLimited), the tenants in quarantine after it, and the most heavy tenants',
    `  (over heavyCpuMs ${DEFAULT_TENANT_POLICY.heavyCpuMs} ms of recent CPU: moved to a quarantine worker) at once; "victim heavy" if the victim itself went over (it is paced to stay under)`,
    '  (queued): the victim\'s call waited on a worker that died running the attacker\'s call; (quarantined): the victim\'s own call was running when its worker died',
    ...(floods.length
      ? [
          `  flood note: the ${floods.map((f) => f.id).join(' and ')} attacker's ${floods[0].attack.callers} loops run in this process and retry each TK_RATE_LIMITED after one event-loop turn ` +
            `(${floods.map((f) => `${f.id}: ${perSecond(f, 'TK_RATE_LIMITED')} refusals/s`).join(', ')}).`,
          "  The victim's calls then wait in this process's event loop before they reach the pool: these rows measure the host process's saturation, not isolation",
          '  between workers. A real host gets such a flood over HTTP and has to refuse it there, before the pool.',
        ]
      : []),
  ];
  await finishReport({ lines: out, targets, done: 'attack bench done', durationMs: finished - started, write: opts.write, name: 'attack', startedAt, results });
  return results;
}
