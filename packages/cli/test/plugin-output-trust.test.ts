// What `tongkit run` and `tongkit test` print can be trusted, whatever the plugin: its text cannot
// drive the reviewer's terminal (escape sequences, bidi overrides), and a handler over its CPU budget on
// warm calls fails even though the first call on a new isolate may use 5× the budget.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, tongkit } from './helpers.js';

const template = join(REPO, 'templates', 'member-tier');
const gold = JSON.parse(readFileSync(join(template, 'fixtures', 'gold.json'), 'utf8'));
// Scratch projects live inside the repository so `@tongkit/sdk` resolves from its node_modules.
const scratch = mkdtempSync(join(REPO, 'packages', 'cli', 'test', '.scratch-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of the template whose src/index.ts is `source`. */
function project(name: string, source: string): string {
  const dir = join(scratch, name);
  cpSync(template, dir, { recursive: true });
  writeFileSync(join(dir, 'src', 'index.ts'), source);
  return dir;
}

// Every character a terminal acts on: C0 but tab and newline, DEL, C1, bidi marks, embeddings, overrides, isolates.
const TERMINAL_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe('text from a hostile plugin', () => {
  // The escapes are written as escapes into the plugin's source: the plugin, not this file, carries them.
  const hostile = project(
    'hostile-text',
    `import { definePlugin, Type } from '@tongkit/sdk';
export default definePlugin({
  name: 'hostile-text', version: '0.1.0', apiVersion: '2026-11', permissions: [], settings: Type.Object({}),
  extensions: {
    'member.tier.compute': () => {
      console.log('\\x1b]52;c;ZWNobyBwd25lZA==\\x07\\x1b]0;pwned-title\\x07hello \\u009b2K \\u202eexe.txt');
      throw new Error('\\x1b[2K\\r\\x1b[32m✔\\x1b[0m all good\\x1b[8m');
    },
  },
});
`,
  );
  // A fixture whose very name tries to rewrite its ✖ line into a ✔.
  writeFileSync(join(hostile, 'fixtures', 'gold\x1b[2K\r\x1b[32m✔ all fine\x1b[0m.json'), JSON.stringify(gold));

  it('reaches the terminal escaped in `run`: logs, the stack and the ✖ line', () => {
    const run = tongkit(['run', 'member.tier.compute', '--input', join(template, 'fixtures', 'gold.json'), '-C', hostile]);
    expect(run.status).toBe(1);
    expect(run.stdout + run.stderr).not.toMatch(TERMINAL_CONTROL);
    expect(run.stderr).toContain('\\x1b]52;c;ZWNobyBwd25lZA==\\x07');
    expect(run.stderr).toContain('\\u202eexe.txt');
    expect(run.stderr).toMatch(/✖ TK_PLUGIN_ERROR member\.tier\.compute threw Error: \\x1b\[2K\\x0d\\x1b\[32m✔/);
  });

  it('keeps its exact text in `run --json`, with C1 and bidi characters escaped as JSON', () => {
    const run = tongkit(['run', 'member.tier.compute', '--input', join(template, 'fixtures', 'gold.json'), '-C', hostile, '--json']);
    expect(run.status).toBe(1);
    expect(run.stdout).not.toMatch(TERMINAL_CONTROL);
    expect(run.json.logs[0].message).toBe('\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b]0;pwned-title\x07hello \u009b2K \u202eexe.txt');
    expect(run.json.error.message).toContain('\x1b[2K\r\x1b[32m✔');
  });

  it('reaches the terminal escaped in `test`: fixture names and failures', () => {
    const run = tongkit(['test', '-C', hostile]);
    expect(run.status).toBe(1);
    expect(run.stdout + run.stderr).not.toMatch(TERMINAL_CONTROL);
    expect(run.stdout).toContain('✖ fixtures/gold\\x1b[2K\\x0d\\x1b[32m✔ all fine\\x1b[0m.json');
    expect(run.stdout).toMatch(/^0 passed, 4 failed$/m);
  });
});

describe('a handler over its CPU budget on warm calls', () => {
  // The work is a setting, so that it can be sized to this machine.
  const burner = project(
    'cpu-burner',
    `import { definePlugin, Type } from '@tongkit/sdk';
export default definePlugin({
  name: 'cpu-burner', version: '0.1.0', apiVersion: '2026-11', permissions: [],
  settings: Type.Object({ loops: Type.Integer({ minimum: 0, default: 1000 }) }),
  extensions: {
    'member.tier.compute': (_input, { settings }) => {
      let x = 0;
      for (let i = 0; i < settings.loops; i++) x += i % 7;
      return { tierId: x >= 0 ? 'gold' : 'silver', reason: 'burnt' };
    },
  },
});
`,
  );
  const input = join(template, 'fixtures', 'gold.json');
  const settingsFile = join(scratch, 'burner-settings.json');
  let loops = 0;

  function sizeTheWork(): void {
    if (loops) return;
    // Long enough that the loop runs optimised for most of it, as it does at the size chosen.
    const probe = 10_000_000;
    writeFileSync(settingsFile, JSON.stringify({ loops: probe }));
    const run = tongkit(['run', 'member.tier.compute', '--input', input, '--settings', settingsFile, '-C', burner, '--json']);
    expect(run.json?.measurements?.cpuMicros, run.stderr).toBeGreaterThan(0);
    // About 300 ms of CPU: over the 20 ms budget even if a loaded machine inflated the probe 10×
    // (isolated-vm's cpuTime counts descheduled time). Whether the first call or the warm call it is
    // judged on fails, the answer must be TK_TIMEOUT; the judgement itself is tested exactly in
    // packages/runtime/test/warm-budget.test.ts.
    loops = Math.round((probe * 300_000) / run.json.measurements.cpuMicros);
    writeFileSync(settingsFile, JSON.stringify({ loops }));
  }

  it('fails `run` with TK_TIMEOUT and exit 1', () => {
    sizeTheWork();
    const run = tongkit(['run', 'member.tier.compute', '--input', input, '--settings', settingsFile, '-C', burner, '--json']);
    expect(run.status, run.stdout).toBe(1);
    expect(run.json.error.code, run.stdout).toBe('TK_TIMEOUT');
  });

  it('fails the fixture in `test`, as `run` does', () => {
    sizeTheWork();
    writeFileSync(join(burner, 'fixtures', 'gold.json'), JSON.stringify({ point: 'member.tier.compute', input: gold.input, settings: { loops }, expect: { tierId: 'gold', reason: 'burnt' } }));
    for (const other of ['silver.json', 'custom-threshold.json', 'new-member.json']) rmSync(join(burner, 'fixtures', other), { force: true });
    const run = tongkit(['test', '-C', burner, '--json']);
    expect(run.status, run.stdout).toBe(1);
    expect(run.json.results).toHaveLength(1);
    expect(run.json.results[0].passed).toBe(false);
    expect(run.json.results[0].failure).toMatch(/^TK_TIMEOUT: /);
  });
});
