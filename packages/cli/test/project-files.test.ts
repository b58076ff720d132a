// The built `tongkit` binary on a cloned project that carries hostile symbolic links: it refuses them
// with a TK_VALIDATION and exit 1, writing nothing through them and reading nothing behind them.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, tongkit } from './helpers.js';

const template = join(REPO, 'templates', 'member-tier');
// Scratch projects live inside the repository so `@tongkit/sdk` resolves from its node_modules.
const scratch = mkdtempSync(join(REPO, 'packages', 'cli', 'test', '.scratch-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function project(name: string): string {
  const dir = join(scratch, name);
  cpSync(template, dir, { recursive: true });
  return dir;
}

describe('a project with hostile links', () => {
  it('tongkit build refuses a dist/plugin.js linked to another file and leaves that file alone', () => {
    const dir = project('linked-output');
    const victim = join(scratch, 'authorized_keys');
    writeFileSync(victim, 'ssh-ed25519 AAAA legit@laptop\n');
    mkdirSync(join(dir, 'dist'));
    symlinkSync(victim, join(dir, 'dist', 'plugin.js'));
    const run = tongkit(['build', '-C', dir, '--json']);
    expect(run.status).toBe(1);
    expect(run.json.error.code).toBe('TK_VALIDATION');
    expect(run.json.error.message).toMatch(/plugin\.js is a symbolic link/);
    expect(readFileSync(victim, 'utf8')).toBe('ssh-ed25519 AAAA legit@laptop\n');
  });

  it('tongkit test refuses a fixture linked to /dev/zero instead of reading it', () => {
    const dir = project('linked-fixture');
    symlinkSync('/dev/zero', join(dir, 'fixtures', 'zero.json'));
    const run = tongkit(['test', '-C', dir, '--json']);
    expect(run.status).toBe(1);
    expect(run.json.error.code).toBe('TK_VALIDATION');
    expect(run.json.error.message).toBe('fixtures/zero.json is a link to /dev/zero, outside the project');
  });
});
