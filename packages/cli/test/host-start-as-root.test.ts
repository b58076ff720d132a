// `tongkit host start` as root from a checkout only root can enter (root's 0700 home folder, the usual case
// in a container): PostgreSQL runs as `postgres`, from a verified copy of its binaries in a root-only cache.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRootOnlyInstall, type RootOnlyInstall } from '../../host/test/root-only-install.js';

const isRoot = process.getuid?.() === 0 && process.platform === 'linux';
if (!isRoot) console.log('host-start-as-root.test.ts: skipped — it reproduces `tongkit host start` as root, and this run is not root.');

describe.skipIf(!isRoot)('tongkit host start as root, installed where only root can enter', () => {
  let install: RootOnlyInstall;
  const cleanup: string[] = [];
  beforeAll(() => {
    install = makeRootOnlyInstall();
  }, 60_000);
  afterAll(() => {
    install?.remove();
    for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
  });

  it('starts on the embedded PostgreSQL and serves', async () => {
    const cache = mkdtempSync('/var/cache/tongkit-test-');
    chmodSync(cache, 0o755);
    const dataDir = mkdtempSync(join(tmpdir(), 'tongkit-root-cli-'));
    chmodSync(dataDir, 0o755);
    const home = mkdtempSync(join(tmpdir(), 'tongkit-home-'));
    cleanup.push(cache, dataDir, home);
    const tongkit = join(install.nodeModules, '@tongkit', 'cli', 'bin', 'run.mjs');
    const env = { ...process.env, TONGKIT_HOME: home, DATABASE_URL: '', TONGKIT_POSTGRES_CACHE: cache };
    const host = spawn(process.execPath, [tongkit, 'host', 'start', '--port', '0', '--data-dir', dataDir, '--no-save', '--json'], { cwd: install.root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const started = await new Promise<{ url: string }>((resolve, reject) => {
        let out = '';
        let err = '';
        host.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          try {
            resolve(JSON.parse(out));
          } catch {
            // not complete yet
          }
        });
        host.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
        host.on('exit', (code) => reject(new Error(`host exited ${code}: ${err}${out}`)));
      });
      expect((await fetch(`${started.url}/healthz`)).status).toBe(200);
    } finally {
      host.kill('SIGTERM');
      await new Promise((resolve) => host.on('close', resolve));
    }
  }, 120_000);
});
