// Shared by every section (the runtime suite, bench/events and the worker-pool sections): progress
// lines, PASS/MISS, the git commit, the end of a printed report and the results file.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { table } from './stats.mjs';

export const BENCH = fileURLToPath(new URL('..', import.meta.url));
export const ROOT = join(BENCH, '..');
export const RESULTS = join(BENCH, 'results');

/** Progress goes to stderr; the report to stdout. */
export const log = (message) => process.stderr.write(`bench: ${message}\n`);

export const verdict = (met) => (met ? 'PASS' : 'MISS');

/** `{ commit, dirty }` of the checkout, or null outside git. */
export function gitInfo() {
  try {
    const git = (...args) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { commit: git('rev-parse', '--short', 'HEAD'), dirty: git('status', '--porcelain') !== '' };
  } catch {
    return null;
  }
}

/**
 * Prints a section's report: `lines`, then its targets (`{ target, value, verdict }`) and
 * `${done} in … s`; then, when `write`, the results as JSON (see {@link writeResults}).
 */
export async function finishReport({ lines, targets, done, durationMs, write, name, startedAt, results }) {
  const out = [
    ...lines,
    '',
    'targets (reported, never enforced)',
    table(
      [{ title: 'target', align: 'left' }, { title: 'measured', align: 'left' }, { title: '', align: 'left' }],
      targets.map((t) => [t.target, t.value, t.verdict]),
    ),
    '',
    `${done} in ${(durationMs / 1000).toFixed(1)} s`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  if (write) await writeResults(name, startedAt, results);
}

/**
 * Writes `results` to bench/results/<name>-<timestamp>.json and <name>-latest.json (without a name:
 * <timestamp>.json and latest.json, the runtime suite's); prints where.
 */
export async function writeResults(name, startedAt, results) {
  await mkdir(RESULTS, { recursive: true });
  const json = `${JSON.stringify(results, null, 2)}\n`;
  const stem = (suffix) => join(RESULTS, name ? `${name}-${suffix}.json` : `${suffix}.json`);
  const file = stem(startedAt.replace(/[:.]/g, '-'));
  const latest = stem('latest');
  await Promise.all([writeFile(file, json), writeFile(latest, json)]);
  process.stdout.write(`wrote ${relative(process.cwd(), file)} and ${relative(process.cwd(), latest)}\n`);
}
