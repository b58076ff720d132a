// Shared by the worker-pool sections (bench/boundary, bench/density, bench/attack): the input, the
// machine, tenant placement, counting outcomes and the pool's counters. Printing the end of a report and
// writing the results file are in bench/lib/report.mjs.
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT, gitInfo } from './report.mjs';

export const TEMPLATE = join(ROOT, 'templates/member-tier');
export const POINT = 'member.tier.compute';

/** Workers beat every 200 ms: wait this long before reading stats() or poolStats(). */
export const BEAT_SETTLE_MS = 300;

export { sleep };

/** The template's gold fixture with a five-level ladder, as bench/lib/suite.mjs uses (~0.5 KB of JSON). */
export function benchInput() {
  const fixture = JSON.parse(readFileSync(join(TEMPLATE, 'fixtures/gold.json'), 'utf8'));
  const input = structuredClone(fixture.input);
  input.tiers.push({ id: 'platinum', name: '铂金卡', rank: 3 }, { id: 'diamond', name: '钻石卡', rank: 4 });
  return input;
}

export function machineInfo() {
  const cpus = os.cpus();
  return {
    node: process.version,
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    totalMemBytes: os.totalmem(),
    loadAvgAtStart: os.loadavg().map((v) => Math.round(v * 100) / 100),
    git: gitInfo(),
  };
}

/**
 * The pool's shard of a tenant: FNV-1a of the tenant id modulo the shared workers. A copy of `shardOf`
 * in packages/runtime/src/workers/pool.ts (not exported), so a bench can place tenants on purpose.
 */
export function shardOf(tenant, shards) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < tenant.length; i++) hash = Math.imul(hash ^ tenant.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % shards;
}

/** The first tenant id `${prefix}${n}` (n = 0, 1, …) that lands on `shard`. */
export function tenantOnShard(prefix, shard, shards) {
  for (let n = 0; ; n++) if (shardOf(`${prefix}${n}`, shards) === shard) return `${prefix}${n}`;
}

export function fmtMiB(bytes) {
  if (bytes == null) return '–';
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(2)} GiB` : `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
}

/** Counts of `key(x)` over `xs`, as a plain object sorted by count. */
export function countBy(xs, key) {
  const counts = {};
  for (const x of xs) {
    const k = key(x);
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1]));
}

export const fmtCounts = (counts) =>
  Object.keys(counts).length === 0
    ? '–'
    : Object.entries(counts)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');

/** The result's outcome for counting: `ok`, or its error code. */
export const outcomeOf = (result) => (result.ok ? 'ok' : result.error.code);

/** What the pool counted between two poolStats() readings (its counters; the rest are levels). */
export function poolDelta(after, before) {
  return Object.fromEntries(['started', 'crashed', 'hung', 'recycled', 'rateLimited'].map((k) => [k, after[k] - before[k]]));
}
