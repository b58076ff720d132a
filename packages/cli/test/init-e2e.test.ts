// A newcomer's first plugin, end to end, with the built `tongkit` binary in a temp folder outside the
// repository: init → npm install → build → run → npm test. The @tongkit/* packages come from the
// tarballs the CLI carries; everything else from the npm registry, as for a user.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tongkit } from './helpers.js';

const workspace = mkdtempSync(join(tmpdir(), 'tongkit-e2e-'));
const project = join(workspace, 'acme-tiers');
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

// The PATH a user's shell has: the Node 24 that `npm test` put first is removed again, so the
// project's own toolchain check is what makes isolated-vm work (on a machine whose Node is 20).
const userPath = (process.env.PATH ?? '')
  .split(':')
  .filter((dir) => !dir.includes('node-linux-') && !dir.includes('node_modules/.bin'))
  .join(':');
const { FORCE_COLOR: _color, ...inherited } = process.env;
const userEnv = { ...inherited, PATH: userPath, NODE_OPTIONS: '', NO_COLOR: '1' };

function npm(args: string[]) {
  return spawnSync('npm', args, { cwd: project, encoding: 'utf8', env: userEnv, timeout: 300_000 });
}

describe('tongkit init → install → build → run → test, outside the repository', () => {
  beforeAll(() => {
    const init = tongkit(['init', 'acme-tiers', '--template', 'member-tier', '--yes', '--json'], { cwd: workspace });
    expect(init.status, init.stderr).toBe(0);
    const install = npm(['install', '--no-fund', '--no-audit']);
    expect(install.status, install.stderr).toBe(0);
  }, 300_000);

  it('writes a project named after its folder, depending on the vendored tarballs', () => {
    const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
    expect(pkg.name).toBe('acme-tiers');
    for (const dep of ['@tongkit/sdk', '@tongkit/runtime', '@tongkit/cli']) {
      expect(pkg.devDependencies[dep]).toMatch(/^file:\.tongkit\/vendor\/tongkit-[a-z]+-\d+\.\d+\.\d+\.tgz$/);
      expect(existsSync(join(project, pkg.devDependencies[dep].slice('file:'.length)))).toBe(true);
    }
    expect(readFileSync(join(project, '.npmrc'), 'utf8')).toContain('ignore-scripts=true');
    expect(readFileSync(join(project, 'src', 'index.ts'), 'utf8')).toContain("name: 'acme-tiers'");
  });

  it('builds with the project-local tongkit', () => {
    const build = npm(['exec', '--', 'tongkit', 'build', '--json']);
    expect(build.status, build.stderr).toBe(0);
    expect(JSON.parse(build.stdout).manifest.name).toBe('acme-tiers');
    expect(existsSync(join(project, 'dist', 'plugin.js'))).toBe(true);
  });

  it('runs a fixture in the sandbox', () => {
    const run = npm(['exec', '--', 'tongkit', 'run', 'member.tier.compute', '--input', 'fixtures/gold.json', '--json']);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).output.tierId).toBe('gold');
  });

  it('passes its own npm test (fixtures, typecheck, vitest through the real runtime)', () => {
    const test = npm(['test']);
    expect(test.status, `${test.stdout}\n${test.stderr}`).toBe(0);
    expect(test.stdout).toMatch(/3 passed, 0 failed/);
    expect(test.stdout).toMatch(/Tests\s+5 passed/);
  });
});
