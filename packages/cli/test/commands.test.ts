// The built `tongkit` binary against the repository's template project: output, --json, exit codes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, tongkit } from './helpers.js';

const template = join(REPO, 'templates', 'member-tier');
const gold = join(template, 'fixtures', 'gold.json');
// Scratch projects live inside the repository so `@tongkit/sdk` resolves from its node_modules.
const scratch = mkdtempSync(join(REPO, 'packages', 'cli', 'test', '.scratch-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('tongkit run', () => {
  it('prints the validated output and measurements as JSON', () => {
    const run = tongkit(['run', 'member.tier.compute', '--input', gold, '-C', template, '--json']);
    expect(run.status).toBe(0);
    expect(run.json.ok).toBe(true);
    expect(run.json.output).toEqual({ tierId: 'gold', reason: '12-month spend ¥6,000.00' });
    expect(run.json.measurements.cpuMicros).toBeGreaterThan(0);
    expect(run.json.measurements.cpuBudgetMicros).toBe(20_000);
  });

  it('reads the input from stdin and applies --settings', () => {
    const fixture = JSON.parse(readFileSync(gold, 'utf8'));
    const settings = join(scratch, 'settings.json');
    writeFileSync(settings, JSON.stringify({ goldAtFen: 700_000 }));
    const run = tongkit(['run', 'member.tier.compute', '--input', '-', '--settings', settings, '-C', template, '--json'], {
      input: JSON.stringify(fixture.input),
    });
    expect(run.status).toBe(0);
    expect(run.json.output.tierId).toBe('silver');
  });

  it('runs the README’s step 5 with the template’s my-settings.json: gold from ¥8,000 makes ¥6,000 silver', () => {
    const run = tongkit(['run', 'member.tier.compute', '--input', 'fixtures/gold.json', '--settings', 'my-settings.json', '--json'], { cwd: template });
    expect(run.status, run.stderr).toBe(0);
    expect(run.json.output).toEqual({ tierId: 'silver', reason: '12-month spend ¥6,000.00' });
  });

  it('exits 1 with TK_VALIDATION and the JSON path for a bad input', () => {
    const input = join(scratch, 'bad.json');
    const fixture = JSON.parse(readFileSync(gold, 'utf8'));
    fixture.input.member.spend12mFen.online = -5;
    writeFileSync(input, JSON.stringify(fixture.input));
    const run = tongkit(['run', 'member.tier.compute', '--input', input, '-C', template, '--json']);
    expect(run.status).toBe(1);
    expect(run.json.error.code).toBe('TK_VALIDATION');
    expect(run.json.error.path).toBe('/member/spend12mFen/online');
  });

  it('names the code and what to do next for humans, without a stack trace', () => {
    const run = tongkit(['run', 'member.tier.nope', '--input', gold, '-C', template]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('TK_NOT_FOUND');
    expect(run.stderr).toContain('→');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('says so when the input file does not exist', () => {
    const run = tongkit(['run', 'member.tier.compute', '--input', 'nope.json', '-C', template, '--json']);
    expect(run.status).toBe(1);
    expect(run.json.error.code).toBe('TK_NOT_FOUND');
    expect(run.json.error.message).toContain('nope.json');
  });

  it('says the host is unreachable, and at which URL, when nothing listens there', () => {
    const run = tongkit(['versions', 'list', '--host', 'http://127.0.0.1:9', '--token', 'tk_nothing', '--json']);
    expect(run.status).toBe(1);
    expect(run.json.error.code).toBe('TK_HOST_UNREACHABLE');
    expect(run.json.error.message).toContain('http://127.0.0.1:9');
    expect(run.json.error.hint).toMatch(/tongkit host start/);
  });

  it('exits 2 on a usage error', () => {
    const run = tongkit(['run', '--json']);
    expect(run.status).toBe(2);
    expect(run.json.error.code).toBe('TK_VALIDATION');
  });
});

describe('tongkit build', () => {
  it('writes the bundle, source map and manifest and reports the size', () => {
    const project = join(scratch, 'build-project');
    cpSync(template, project, { recursive: true });
    const run = tongkit(['build', '-C', project, '--json']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.json.manifest.name).toBe('my-member-tiers');
    expect(run.json.manifest.extensions).toEqual(['member.tier.compute']);
    expect(run.json.bytes).toBeLessThan(run.json.limitBytes);
    const manifest = JSON.parse(readFileSync(join(project, 'dist', 'manifest.json'), 'utf8'));
    expect(manifest.bundle.sha256).toMatch(/^[a-f0-9]{64}$/);
    expect(readFileSync(join(project, 'dist', 'plugin.js'), 'utf8')).not.toContain('TypeBox');
  });

  it('fails with TK_BUILD_FAILED and the file position for a source error', () => {
    const project = join(scratch, 'broken-project');
    cpSync(template, project, { recursive: true });
    writeFileSync(join(project, 'src', 'index.ts'), "import { definePlugin } from '@tongkit/sdk';\nexport default definePlugin({ name: 'x',, });\n");
    const run = tongkit(['build', '-C', project, '--json']);
    expect(run.status).toBe(1);
    expect(run.json.error.code).toBe('TK_BUILD_FAILED');
    expect(run.json.error.message).toMatch(/src\/index\.ts:2:\d+/);
  });
});

describe('tongkit test', () => {
  it('runs every fixture warm and fresh and reports "N passed, N failed"', () => {
    const run = tongkit(['test', '-C', template]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^3 passed, 0 failed$/m);
  });

  it('exits 1 and shows expected vs actual when a fixture disagrees', () => {
    const project = join(scratch, 'failing-fixture');
    cpSync(template, project, { recursive: true });
    const fixture = JSON.parse(readFileSync(gold, 'utf8'));
    fixture.expect.tierId = 'silver';
    writeFileSync(join(project, 'fixtures', 'gold.json'), JSON.stringify(fixture));
    const run = tongkit(['test', '-C', project]);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/2 passed, 1 failed/);
    expect(run.stdout).toContain('expected: {"tierId":"silver"');
  });
});

describe('tongkit schema', () => {
  it('prints the input and output JSON Schema of a point', () => {
    const run = tongkit(['schema', 'member.tier.compute', '--json']);
    expect(run.status).toBe(0);
    expect(run.json.input.properties.member.properties.spend12mFen.required).toEqual(['online', 'store']);
    expect(run.json.combine).toBe('exclusive');
  });

  it('prints the data schema of a typed event', () => {
    const run = tongkit(['schema', 'order.paid', '--json']);
    expect(run.status).toBe(0);
    expect(run.json.event).toBe('order.paid');
    expect(run.json.data.required).toEqual(expect.arrayContaining(['orderId', 'memberId', 'totalFen', 'spendFen', 'tenders', 'paidAt']));
  });

  it('publishes the manifest schema for editors', () => {
    const run = tongkit(['schema', 'manifest', '--json']);
    expect(run.json.properties.permissions.items.anyOf.length).toBeGreaterThan(5);
  });
});
