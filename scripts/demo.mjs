// `npm run demo`: a brand developer's first plugin, in one go. Scaffolds the member-tier template into
// a temp folder with the real `tongkit` binary, builds it, runs its fixtures, then runs it in the
// sandbox over a batch of sample members and prints each decision with its measurements.
// (Until the host lands, this is the whole platform: SDK → build → sandboxed runtime.)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRuntime, readPluginDir } from '@tongkit/runtime';

const repo = fileURLToPath(new URL('..', import.meta.url));
const tongkitBin = join(repo, 'packages', 'cli', 'bin', 'run.mjs');
const workspace = mkdtempSync(join(tmpdir(), 'tongkit-demo-'));
const project = join(workspace, 'demo-tiers');

function step(title) {
  process.stdout.write(`\n\x1b[1m▸ ${title}\x1b[0m\n`);
}
function tongkit(...args) {
  process.stdout.write(`\x1b[2m$ tongkit ${args.join(' ')}\x1b[0m\n`);
  const result = spawnSync(process.execPath, [tongkitBin, ...args], { cwd: workspace, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`demo: tongkit ${args[0]} failed (exit ${result.status})\n`);
    process.exit(1);
  }
}

try {
  step('Scaffold a member-tier plugin');
  tongkit('init', 'demo-tiers', '--template', 'member-tier', '--yes');
  // The demo links the repository's packages instead of running npm install, so it works offline.
  symlinkSync(join(repo, 'node_modules'), join(project, 'node_modules'), 'dir');

  step('Build it for the sandbox (no TypeBox, no Node APIs inside)');
  tongkit('build', '-C', 'demo-tiers');

  step('Run its fixtures, each on a warm and a fresh isolate');
  tongkit('test', '-C', 'demo-tiers');

  step('Run one fixture, with measurements');
  tongkit('run', 'member.tier.compute', '--input', 'demo-tiers/fixtures/gold.json', '-C', 'demo-tiers');

  step('Decide tiers for sample members (settings: silver from ¥1,000, gold from ¥5,000)');
  const runtime = createRuntime();
  const plugin = await runtime.load(await readPluginDir(join(project, 'dist')), { installId: 'demo-brand' });
  const tiers = [
    { id: 'regular', name: '普通会员', rank: 0 },
    { id: 'silver', name: '银卡', rank: 1 },
    { id: 'gold', name: '金卡', rank: 2 },
  ];
  const members = [
    ['m_a1', 0, 0],
    ['m_b2', 45_000, 30_000],
    ['m_c3', 99_999, 1],
    ['m_d4', 120_000, 250_000],
    ['m_e5', 0, 500_000],
    ['m_f6', 1_250_000, 880_000],
  ];
  const rows = [];
  for (const [id, online, store] of members) {
    const input = {
      member: {
        id,
        currentTier: null,
        growthValue: Math.floor((online + store) / 100),
        pointsBalance: 0,
        spend12mFen: { online, store },
        orderCount12m: 3,
      },
      tiers,
      now: '2026-11-25T08:00:00Z',
    };
    const result = await plugin.invoke('member.tier.compute', input, {});
    rows.push({
      member: id,
      'online (fen)': online,
      'store (fen)': store,
      tier: result.ok ? result.output.tierId : `✖ ${result.error.code}`,
      reason: result.ok ? result.output.reason : result.error.message,
      'cpu µs': result.measurements.cpuMicros,
      'wall µs': result.measurements.wallMicros,
    });
  }
  console.table(rows);
  const stats = runtime.stats();
  console.log(`isolates alive ${stats.isolatesAlive} · warm hits ${stats.warmHits} · cold starts ${stats.coldStarts} · code cache hits ${stats.codeCacheHits}`);
  await runtime.dispose();

  step('Done');
  console.log(`The project is in ${project} (removed now). Make your own: tongkit init my-tiers --template member-tier`);
} finally {
  rmSync(workspace, { recursive: true, force: true });
}
