#!/usr/bin/env -S node --no-node-snapshot
// Tongkit benchmarks: `npm run bench` (builds the packages first), or `node --no-node-snapshot bench/run.mjs`.
//
//   --quick        a tenth of the iterations (a smoke run; figures are noisier)
//   --no-write     print only, do not write bench/results/*.json
//   --only runtime the runtime suite only (bench/lib/suite.mjs)
//   --only events  the events section only (bench/events: dispatch on PostgreSQL, ~40 s)
//   --only boundary|density|attack
//                  one worker-pool section only (bench/boundary: in-process vs the worker boundary;
//                  bench/density: 1,000 installs through the pool; bench/attack: a victim tenant under
//                  each attack family; --families=cpu,oom runs some families only)
//   --no-events    skip the events section
//   --only orders|routing|ledger|service|guides|rules
//                  one domain bench only (a real host on a fresh database driven over HTTP, figures beside a
//                  peer in the same run; bench/lib/host.mjs). Domain benches run only when named with --only
//                  or with --domains (they add about a minute in --quick mode).
//   --only http    the HTTP bench of the extension invoke hot path (bench/http: POST
//                  /v1/extensions/member.tier.compute/invoke beside GET /healthz and the plugin alone,
//                  load from autocannon in a child process; ~40 s with --quick, ~2 min without). Like a
//                  domain bench, it runs only when named with --only or with --domains.
//
// Benchmarks report; they never fail on a missed target (tests assert, benchmarks measure).
// This file only makes sure we run on a Node that can load isolated-vm, with --no-node-snapshot, then
// hands over to bench/lib/suite.mjs, bench/events/bench.mjs and the worker-pool sections
// (bench/boundary, bench/density, bench/attack). Nothing that loads isolated-vm is imported statically here.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SUPPORTED_MAJORS = [24, 26];
const major = Number(process.versions.node.split('.')[0]);
const hasNoSnapshot =
  process.execArgv.includes('--no-node-snapshot') || (process.env.NODE_OPTIONS ?? '').split(/\s+/).includes('--no-node-snapshot');

if (!hasNoSnapshot || !SUPPORTED_MAJORS.includes(major)) {
  let node = process.execPath;
  if (!SUPPORTED_MAJORS.includes(major)) {
    // The same toolchain pin `tongkit-node` uses: a cached Node 24 when the system Node is older.
    const { ensureSupportedNode } = await import('../packages/cli/bin/toolchain.mjs');
    node = ensureSupportedNode();
  }
  const result = spawnSync(node, ['--no-node-snapshot', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  if (result.error) {
    process.stderr.write(`bench: could not re-run under ${node} --no-node-snapshot: ${result.error.message}\n`);
    process.exit(1);
  }
  process.exit(result.status ?? 1);
}

const argv = process.argv.slice(2);
const onlyAt = argv.indexOf('--only');
const only = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length) ?? (onlyAt >= 0 ? argv[onlyAt + 1] : undefined);
const DOMAINS = ['orders', 'routing', 'ledger', 'service', 'guides', 'rules', 'http'];
const SECTIONS = ['runtime', 'events', 'boundary', 'density', 'attack', ...DOMAINS];
if (only !== undefined && !SECTIONS.includes(only)) {
  process.stderr.write(`bench: --only takes ${SECTIONS.join(', ')}, not ${only}\n`);
  process.exit(1);
}
const runs = (section) => (DOMAINS.includes(section) ? only === section || (only === undefined && argv.includes('--domains')) : only === undefined || only === section);
if (runs('runtime')) {
  const { runSuite } = await import('./lib/suite.mjs');
  await runSuite(argv);
}
// The events section (bench/events: dispatch on PostgreSQL with host worker processes, ~40 s) runs by default.
if (runs('events') && !argv.includes('--no-events')) {
  const { runEventsBench } = await import('./events/bench.mjs');
  await runEventsBench(argv);
}
// The worker-pool sections (createWorkerRuntime), each under a minute on 2 cores.
if (runs('boundary')) {
  const { runBoundaryBench } = await import('./boundary/bench.mjs');
  await runBoundaryBench(argv);
}
if (runs('density')) {
  const { runDensityBench } = await import('./density/bench.mjs');
  await runDensityBench(argv);
}
if (runs('attack')) {
  const { runAttackBench } = await import('./attack/bench.mjs');
  await runAttackBench(argv);
}
// The domain benches (bench/orders, routing, ledger, service, guides, rules, http): only with --only <name> or --domains.
const DOMAIN_RUNNERS = {
  orders: async () => (await import('./orders/bench.mjs')).runOrdersBench(argv),
  routing: async () => (await import('./routing/bench.mjs')).runRoutingBench(argv),
  ledger: async () => (await import('./ledger/bench.mjs')).runLedgerBench(argv),
  service: async () => (await import('./service/bench.mjs')).runServiceBench(argv),
  guides: async () => (await import('./guides/bench.mjs')).runGuidesBench(argv),
  rules: async () => (await import('./rules/bench.mjs')).runRulesBench(argv),
  http: async () => (await import('./http/bench.mjs')).runHttpBench(argv),
};
for (const domain of DOMAINS) if (runs(domain)) await DOMAIN_RUNNERS[domain]();
