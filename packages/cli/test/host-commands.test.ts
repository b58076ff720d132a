// The host side of the CLI against a real host (in this process, on its own database): deploy →
// review → install → settings → release → rollback → logs, as a developer, a reviewer and a merchant.
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type Host } from '@tongkit/host';
import { createTestDatabase, type TestDatabase } from '@tongkit/host/testing';
import { REPO, tongkitAsync } from './helpers.js';

const scratch = mkdtempSync(join(REPO, 'packages', 'cli', 'test', '.scratch-'));
const home = mkdtempSync(join(tmpdir(), 'tongkit-home-'));
let database: TestDatabase;
let host: Host;
let url: string;

const as = (token: string) => ({ env: { TONGKIT_HOST: url, TONGKIT_TOKEN: token, TONGKIT_HOME: home } });

beforeAll(async () => {
  database = await createTestDatabase();
  host = await startHost({ databaseUrl: database.url, dataDir: join(home, 'host') });
  url = await host.listen(0);
  // Version 0.2.0 of the template, asking for one more permission.
  cpSync(join(REPO, 'templates', 'member-tier'), join(scratch, 'v2'), { recursive: true });
  const source = join(scratch, 'v2', 'src', 'index.ts');
  writeFileSync(source, readFileSync(source, 'utf8').replace("version: '0.1.0'", "version: '0.2.0'").replace("permissions: ['member:read']", "permissions: ['member:read', 'storage:kv']"));
}, 120_000);

afterAll(async () => {
  await host?.close();
  await database?.drop();
  rmSync(scratch, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

describe('developer → reviewer → merchant through the CLI', () => {
  let installId = '';

  it('deploys and submits, printing a review link', async () => {
    const run = await tongkitAsync(['deploy', '--submit', '-C', join(REPO, 'templates', 'member-tier'), '--json'], as(host.tokens.developer));
    expect(run.status, run.stderr).toBe(0);
    expect(run.json.status).toBe('submitted');
    expect(run.json.reviewLink).toBe(`${url}/review/my-member-tiers/0.1.0`);
    expect(run.json.report.passed).toBe(true);
  });

  it('lets the reviewer list, read and approve it; the developer sees the decision', async () => {
    const queue = await tongkitAsync(['review', 'list', '--json'], as(host.tokens.reviewer));
    expect(queue.json.items.map((v: { plugin: string }) => v.plugin)).toContain('my-member-tiers');
    const show = await tongkitAsync(['review', 'show', 'my-member-tiers@0.1.0'], as(host.tokens.reviewer));
    expect(show.status, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/member:read\s+used/);
    const approve = await tongkitAsync(['review', 'approve', 'my-member-tiers@0.1.0', '--comment', 'fine'], as(host.tokens.reviewer));
    expect(approve.status, approve.stderr).toBe(0);
    const versions = await tongkitAsync(['versions', 'list', '--json'], as(host.tokens.developer));
    expect(versions.json.items[0]).toMatchObject({ plugin: 'my-member-tiers', version: '0.1.0', status: 'approved', reviewComment: 'fine' });
  });

  it('refuses a reviewer decision from a developer token with TK_FORBIDDEN', async () => {
    const run = await tongkitAsync(['review', 'reject', 'my-member-tiers@0.1.0', '--comment', 'no', '--json'], as(host.tokens.developer));
    expect(run.status).toBe(1);
    expect(run.json.error.code).toBe('TK_FORBIDDEN');
  });

  it('makes the merchant consent before installing', async () => {
    const refused = await tongkitAsync(['install', 'my-member-tiers', '--json'], as(host.tokens.devMerchant));
    expect(refused.status).toBe(1);
    expect(refused.json.error.message).toContain('member:read');
    const installed = await tongkitAsync(['install', 'my-member-tiers', '--yes', '--json'], as(host.tokens.devMerchant));
    expect(installed.status, installed.stderr).toBe(0);
    installId = installed.json.id;
    expect(installed.json.grantedPermissions).toEqual(['member:read']);
  });

  it('sets a value, and refuses an invalid one with the JSON path', async () => {
    const ok = await tongkitAsync(['settings', 'set', installId, '--set', 'goldAtFen=300000', '--json'], as(host.tokens.devMerchant));
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.json.settings.goldAtFen).toBe(300000);
    const bad = await tongkitAsync(['settings', 'set', installId, '--set', 'goldAtFen=cheap', '--json'], as(host.tokens.devMerchant));
    expect(bad.status).toBe(1);
    expect(bad.json.error.code).toBe('TK_VALIDATION');
    expect(bad.json.error.path).toBe('/settings/goldAtFen');
  });

  it('releases a version asking for a new permission only with consent, and rolls back', async () => {
    const deploy = await tongkitAsync(['deploy', '-C', join(scratch, 'v2'), '--json'], as(host.tokens.developer));
    expect(deploy.status, deploy.stderr).toBe(0);
    // dev-merchant is a development merchant: it may run the unreviewed 0.2.0.
    const pending = await tongkitAsync(['release', 'my-member-tiers@0.2.0', '--json'], as(host.tokens.devMerchant));
    expect(pending.json.pendingVersion).toBe('0.2.0');
    expect(pending.json.version).toBe('0.1.0');
    const released = await tongkitAsync(['release', 'my-member-tiers@0.2.0', '--consent', 'storage:kv', '--json'], as(host.tokens.devMerchant));
    expect(released.json.version).toBe('0.2.0');
    const rolledBack = await tongkitAsync(['rollback', 'my-member-tiers', '--json'], as(host.tokens.devMerchant));
    expect(rolledBack.json.version).toBe('0.1.0');
  });

  it('shows invocations in the logs', async () => {
    const input = JSON.parse(readFileSync(join(REPO, 'templates', 'member-tier', 'fixtures', 'gold.json'), 'utf8')).input;
    const response = await fetch(`${url}/v1/extensions/member.tier.compute/invoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${host.tokens.devMerchant}`, 'content-type': 'application/json' },
      body: JSON.stringify({ input }),
    });
    expect(((await response.json()) as { source: string }).source).toBe('plugin');
    const logs = await tongkitAsync(['logs', '--json'], as(host.tokens.devMerchant));
    expect(logs.status, logs.stderr).toBe(0);
    expect(logs.json.items.some((e: { message: string }) => e.message.includes('member.tier.compute ok'))).toBe(true);
  });
});

describe('errors a person can act on', () => {
  it('says how to log in when no host is configured', async () => {
    const run = await tongkitAsync(['versions', 'list', '--json'], { env: { TONGKIT_HOME: home, TONGKIT_HOST: '', TONGKIT_TOKEN: '' } });
    expect(run.status).toBe(1);
    expect(run.json.error.code).toBe('TK_UNAUTHORIZED');
    expect(run.json.error.hint).toContain('tongkit host start');
  });

  it('names an unreachable host', async () => {
    const run = await tongkitAsync(['versions', 'list', '--json'], { env: { TONGKIT_HOME: home, TONGKIT_HOST: 'http://127.0.0.1:9', TONGKIT_TOKEN: 'x' } });
    expect(run.status).toBe(1);
    expect(run.json.error.message).toContain('http://127.0.0.1:9');
  });

  it('rejects a bad token with TK_UNAUTHORIZED', async () => {
    const run = await tongkitAsync(['versions', 'list', '--json'], as('tk_developer_nope'));
    expect(run.status).toBe(1);
    expect(run.json.error.code).toBe('TK_UNAUTHORIZED');
  });

  it('saves a checked login', async () => {
    const run = await tongkitAsync(['login', '--host', url, '--token', host.tokens.reviewer, '--profile', 'rev', '--json'], { env: { TONGKIT_HOME: home } });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    const config = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8'));
    expect(config.profiles.rev.host).toBe(url);
    const queue = await tongkitAsync(['review', 'list', '--profile', 'rev', '--json'], { env: { TONGKIT_HOME: home, TONGKIT_HOST: '', TONGKIT_TOKEN: '' } });
    expect(queue.status, queue.stderr).toBe(0);
  });
});

describe('tongkit host start', () => {
  it('starts on an embedded PostgreSQL, serves, and refuses a second host on the same folder', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tongkit-host-'));
    chmodSync(dataDir, 0o755);
    const { spawn } = await import('node:child_process');
    const { TONGKIT } = await import('./helpers.js');
    const env = { ...process.env, TONGKIT_HOME: home, DATABASE_URL: '' };
    const first = spawn(process.execPath, [TONGKIT, 'host', 'start', '--port', '0', '--data-dir', dataDir, '--no-save', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const started = await new Promise<{ url: string; tokens: { admin: string } }>((resolve, reject) => {
        let out = '';
        first.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          try {
            resolve(JSON.parse(out));
          } catch {
            // not complete yet
          }
        });
        let err = '';
        first.stderr.on('data', (chunk: Buffer) => {
          err += chunk.toString();
        });
        first.on('exit', (code) => reject(new Error(`host exited ${code}: ${err}`)));
      });
      expect((await fetch(`${started.url}/healthz`)).status).toBe(200);
      const second = await tongkitAsync(['host', 'start', '--port', '0', '--data-dir', dataDir, '--no-save', '--json'], { env });
      expect(second.status).toBe(1);
      expect(second.json.error.code).toBe('TK_CONFLICT');
      expect(second.json.error.message).toContain(dataDir);
    } finally {
      first.kill('SIGTERM');
      await new Promise((resolve) => first.on('close', resolve));
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
