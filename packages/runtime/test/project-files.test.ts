// Project files as untrusted input: a plugin project is often a cloned repository, and git stores
// symbolic links. Building, testing or reading a project must not write through a link in dist/, read
// devices or FIFOs (hang, memory), walk out of the project, or put host files into a bundle or an error.
// Throwaway projects live under test/.tmp (TempPlugins, so `@tongkit/sdk` resolves) or os.tmpdir().
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readFixtures, readPluginDir } from '@tongkit/runtime';
import { buildPlugin, writePluginDir } from '@tongkit/runtime/build';
import { TempPlugins, rejectionOf } from './helpers.js';

const temp = new TempPlugins();
const scratch: string[] = [];
afterAll(async () => {
  await temp.cleanup();
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

const plugin = `
import { definePlugin } from '@tongkit/sdk';
export default definePlugin({
  name: 'files-probe',
  apiVersion: '2026-11',
  version: '1.0.0',
  permissions: ['member:read'],
  extensions: { 'member.tier.compute': () => ({ tierId: 'regular', reason: 'always' }) },
});
`;

async function scratchDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tongkit-files-'));
  scratch.push(dir);
  return dir;
}

const gold = {
  point: 'member.tier.compute',
  input: JSON.parse(await readFile(fileURLToPath(new URL('../../../templates/member-tier/fixtures/gold.json', import.meta.url)), 'utf8')).input,
  expect: { tierId: 'gold', reason: '12-month spend ¥6,000.00' },
};

/** A project folder with `fixtures/<name>` files (objects are written as JSON). */
async function fixtureProject(files: Record<string, unknown> = {}): Promise<string> {
  const root = await scratchDir();
  await mkdir(join(root, 'fixtures'));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(root, 'fixtures', name, '..'), { recursive: true });
    await writeFile(join(root, 'fixtures', name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return root;
}

describe('tongkit build outputs', () => {
  it('refuses to write through dist/plugin.js linked to another file, which keeps its content', async () => {
    const root = await temp.write({ 'src/index.ts': plugin });
    const victim = join(await scratchDir(), 'authorized_keys');
    await writeFile(victim, 'ssh-ed25519 AAAA legit@laptop\n');
    await mkdir(join(root, 'dist'));
    await symlink(victim, join(root, 'dist', 'plugin.js'));
    const { bundle } = await buildPlugin(root);
    const error = await rejectionOf(writePluginDir(join(root, 'dist'), bundle));
    expect(error.code).toBe('TK_VALIDATION');
    expect(error.message).toMatch(/plugin\.js is a symbolic link/);
    expect(await readFile(victim, 'utf8')).toBe('ssh-ed25519 AAAA legit@laptop\n');
  });

  it('refuses a dist folder that is a link, and writes nothing into its target', async () => {
    const root = await temp.write({ 'src/index.ts': plugin });
    const elsewhere = await scratchDir();
    await symlink(elsewhere, join(root, 'dist'));
    const { bundle } = await buildPlugin(root);
    const error = await rejectionOf(writePluginDir(join(root, 'dist'), bundle));
    expect(error.code).toBe('TK_VALIDATION');
    expect(error.message).toMatch(/output folder .*dist is a symbolic link/);
    expect(spawnSync('ls', ['-A', elsewhere], { encoding: 'utf8' }).stdout).toBe('');
  });

  it('refuses a manifest.json that is a folder with TK_VALIDATION, writing none of the files', async () => {
    const root = await temp.write({ 'src/index.ts': plugin });
    await mkdir(join(root, 'dist', 'manifest.json'), { recursive: true });
    const { bundle } = await buildPlugin(root);
    const error = await rejectionOf(writePluginDir(join(root, 'dist'), bundle));
    expect(error.code).toBe('TK_VALIDATION');
    expect(error.message).toMatch(/manifest\.json is not a file/);
    expect(spawnSync('ls', ['-A', join(root, 'dist')], { encoding: 'utf8' }).stdout.trim()).toBe('manifest.json');
  });

  it('replaces the files of an earlier build, which read back as the same bundle', async () => {
    const root = await temp.write({ 'src/index.ts': plugin });
    const { bundle } = await buildPlugin(root);
    await writePluginDir(join(root, 'dist'), { ...bundle, code: 'old' });
    await writePluginDir(join(root, 'dist'), bundle);
    expect(await readPluginDir(join(root, 'dist'))).toEqual(bundle);
  });
});

describe('tongkit build sources', () => {
  it('refuses an entry linked to /dev/zero instead of reading it forever', async () => {
    const root = await temp.write({ 'package.json': '{ "name": "p" }' });
    await mkdir(join(root, 'src'));
    await symlink('/dev/zero', join(root, 'src', 'index.ts'));
    const error = await rejectionOf(buildPlugin(root));
    expect(error.code).toBe('TK_VALIDATION');
    expect(error.message).toMatch(/entry src\/index\.ts is a link to \/dev\/zero, outside the project/);
  });

  it('refuses an imported FIFO with TK_BUILD_FAILED naming the import', async () => {
    const root = await temp.write({ 'src/index.ts': `import './pipe';\n${plugin}` });
    execFileSync('mkfifo', [join(root, 'src', 'pipe.ts')]);
    const error = await rejectionOf(buildPlugin(root));
    expect(error.code).toBe('TK_BUILD_FAILED');
    expect(error.message).toMatch(/^src\/index\.ts:1:\d+: src\/pipe\.ts is not a regular source file/);
  });

  it('does not bundle a file from outside the project, such as the CLI login token', async () => {
    const home = await scratchDir();
    await writeFile(join(home, 'config.json'), JSON.stringify({ token: 'tk_SECRET_TOKEN_123' }));
    const root = await temp.write({ 'src/index.ts': `import config from ${JSON.stringify(join(home, 'config.json'))};\nconsole.log(config);\n${plugin}` });
    const error = await rejectionOf(buildPlugin(root));
    expect(error.code).toBe('TK_BUILD_FAILED');
    expect(error.message).toMatch(/outside the plugin project/);
    expect(error.hint).toMatch(/copy what it needs into the project/);
  });

  it('refuses a source linked out of the project, even when it is imported relatively', async () => {
    const root = await temp.write({ 'src/index.ts': `import secret from './secret.json';\nconsole.log(secret);\n${plugin}` });
    await symlink('/etc/passwd', join(root, 'src', 'secret.json'));
    const error = await rejectionOf(buildPlugin(root));
    expect(error.code).toBe('TK_BUILD_FAILED');
    expect(error.message).toMatch(/outside the plugin project/);
    expect(error.message).not.toMatch(/root:x:0/);
  });

  it('refuses "tongkit.entry": "/etc/passwd" at /tongkit/entry without echoing the file', async () => {
    const root = await temp.write({ 'package.json': JSON.stringify({ name: 'p', tongkit: { entry: '/etc/passwd' } }) });
    const error = await rejectionOf(buildPlugin(root));
    expect(error.code).toBe('TK_VALIDATION');
    expect(error.path).toBe('/tongkit/entry');
    expect(JSON.stringify(error.toJSON())).not.toMatch(/root:x:0/);
  });

  it('checks the bundle size before reading the plugin definition', async () => {
    // The definition is invalid too: the size is what the developer has to fix first.
    const big = `const filler = ${JSON.stringify('x'.repeat(300 * 1024))};\nconsole.log(filler);\nexport default { nope: true };\n`;
    const error = await rejectionOf(buildPlugin(await temp.write({ 'src/index.ts': big })));
    expect(error.code).toBe('TK_BUILD_FAILED');
    expect(error.message).toMatch(/over the 256 KB limit/);
  });
});

describe('package.json of the project', () => {
  const cases: Array<[string, string, string]> = [
    ['not JSON', '{ "name": "x",', '/'],
    ['null', 'null', '/'],
    ['a "tongkit" that is not an object', '{ "tongkit": 7 }', '/tongkit'],
    ['an entry that is not a string', '{ "tongkit": { "entry": 123 } }', '/tongkit/entry'],
  ];
  for (const [what, text, path] of cases) {
    it(`refuses a package.json with ${what}: TK_VALIDATION naming it`, async () => {
      const root = await temp.write({ 'src/index.ts': plugin, 'package.json': text });
      const error = await rejectionOf(buildPlugin(root));
      expect(error.code).toBe('TK_VALIDATION');
      expect(error.message).toMatch(/^package\.json /);
      expect(error.path ?? '/').toBe(path);
    });
  }

  it('refuses a package.json that is a folder', async () => {
    const root = await temp.write({ 'src/index.ts': plugin });
    await mkdir(join(root, 'package.json'));
    const error = await rejectionOf(buildPlugin(root));
    expect(error.code).toBe('TK_VALIDATION');
    expect(error.message).toBe('package.json is a folder, not a file');
  });
});

describe('readFixtures', () => {
  it('refuses a fixture linked to /dev/zero without reading it', async () => {
    const root = await fixtureProject({ 'gold.json': gold });
    await symlink('/dev/zero', join(root, 'fixtures', 'zero.json'));
    const error = await rejectionOf(readFixtures(join(root, 'fixtures'), root));
    expect(error.code).toBe('TK_VALIDATION');
    expect(error.message).toBe('fixtures/zero.json is a link to /dev/zero, outside the project');
  });

  it('refuses a FIFO fixture instead of waiting for a writer', async () => {
    const root = await fixtureProject({ 'gold.json': gold });
    execFileSync('mkfifo', [join(root, 'fixtures', 'pipe.json')]);
    const error = await rejectionOf(readFixtures(join(root, 'fixtures'), root));
    expect(error.code).toBe('TK_VALIDATION');
    expect(error.message).toMatch(/^fixtures\/pipe\.json is a device, FIFO or socket, not a file/);
  });

  it('never echoes a host file linked as a fixture (no parse snippet of /proc/self/environ)', async () => {
    const root = await fixtureProject();
    await symlink('/proc/self/environ', join(root, 'fixtures', 'env.json'));
    const error = await rejectionOf(readFixtures(join(root, 'fixtures'), root));
    expect(error.code).toBe('TK_VALIDATION');
    expect(error.message).toMatch(/outside the project/);
    expect(error.message).not.toMatch(/PATH|HOME|=/);
  });

  it('does not enter a folder linked from fixtures/ (a link to / would walk the disk)', async () => {
    const root = await fixtureProject({ 'gold.json': gold });
    const outside = await scratchDir();
    await writeFile(join(outside, 'elsewhere.json'), JSON.stringify(gold));
    await symlink(outside, join(root, 'fixtures', 'linked'));
    const fixtures = await readFixtures(join(root, 'fixtures'), root);
    expect(fixtures.map((f) => f.file)).toEqual(['fixtures/gold.json']);
  });

  it('refuses a fixtures folder that is itself a link out of the project', async () => {
    const root = await scratchDir();
    await symlink('/', join(root, 'fixtures'));
    const error = await rejectionOf(readFixtures(join(root, 'fixtures'), root));
    expect(error.code).toBe('TK_VALIDATION');
    expect(error.message).toBe('fixtures is a link to /, outside the project');
  });

  it('refuses a fixtures path that is a file with TK_VALIDATION', async () => {
    const root = await scratchDir();
    await writeFile(join(root, 'fixtures'), '{}');
    const error = await rejectionOf(readFixtures(join(root, 'fixtures'), root));
    expect(error.code).toBe('TK_VALIDATION');
    expect(error.message).toBe('fixtures is a file, not a folder');
  });

  it('refuses a fixture over 1 MB', async () => {
    const root = await fixtureProject({ 'big.json': { ...gold, description: 'x'.repeat(1024 * 1024) } });
    const error = await rejectionOf(readFixtures(join(root, 'fixtures'), root));
    expect(error.code).toBe('TK_VALIDATION');
    expect(error.message).toBe('fixtures/big.json is over the 1024.0 KB limit');
  });

  it('refuses a fixture nested thousands of levels deep', async () => {
    const root = await fixtureProject({ 'deep.json': `{"point":"member.tier.compute","expect":null,"input":${'['.repeat(5000)}${']'.repeat(5000)}}` });
    const error = await rejectionOf(readFixtures(join(root, 'fixtures'), root));
    expect(error.code).toBe('TK_VALIDATION');
    expect(error.message).toMatch(/fixture fixtures\/deep\.json nests objects and arrays deeper than/);
  });

  it('refuses a fixture with both "expect" and "expectError", and one with neither', async () => {
    const both = await fixtureProject({ 'both.json': { ...gold, expectError: 'TK_VALIDATION' } });
    const bothError = await rejectionOf(readFixtures(join(both, 'fixtures'), both));
    expect(bothError.code).toBe('TK_VALIDATION');
    expect(bothError.message).toBe('fixture fixtures/both.json must have exactly one of "expect" and "expectError", not both');

    const { expect: _dropped, ...withoutExpectation } = gold;
    const neither = await fixtureProject({ 'neither.json': withoutExpectation });
    const neitherError = await rejectionOf(readFixtures(join(neither, 'fixtures'), neither));
    expect(neitherError.message).toBe('fixture fixtures/neither.json must have exactly one of "expect" and "expectError", not neither');
  });

  it('reads 300 fixtures where a process may open only 64 files', async () => {
    const files = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`g${String(i).padStart(3, '0')}.json`, gold]));
    const root = await fixtureProject(files);
    const runtime = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const script = `const { readFixtures } = await import(${JSON.stringify(runtime)}); console.log((await readFixtures(${JSON.stringify(join(root, 'fixtures'))}, ${JSON.stringify(root)})).length);`;
    const child = spawnSync('sh', ['-c', `ulimit -n 64 && exec "${process.execPath}" --no-node-snapshot --input-type=module -e '${script}'`], { encoding: 'utf8' });
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('300');
  });
});

describe('readPluginDir', () => {
  it('refuses a manifest.json that is a folder with TK_VALIDATION naming it', async () => {
    const dist = await scratchDir();
    await mkdir(join(dist, 'manifest.json'));
    await writeFile(join(dist, 'plugin.js'), '1');
    const error = await rejectionOf(readPluginDir(dist));
    expect(error.code).toBe('TK_VALIDATION');
    expect(error.message).toBe(`${join(dist, 'manifest.json')} is a folder, not a file`);
  });

  it('refuses a plugin.js linked to /dev/zero', async () => {
    const dist = await scratchDir();
    await writeFile(join(dist, 'manifest.json'), '{}');
    await symlink('/dev/zero', join(dist, 'plugin.js'));
    const error = await rejectionOf(readPluginDir(dist));
    expect(error.code).toBe('TK_VALIDATION');
    expect(error.message).toMatch(/plugin\.js is a link to \/dev\/zero, outside the project/);
  });
});
