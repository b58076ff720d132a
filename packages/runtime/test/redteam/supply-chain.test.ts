// Red team, family 3: supply chain. What a host is handed — a bundle, its manifest, its source map — is
// untrusted: changed after the build or review, lying about what the code does, carrying settings
// schemas built to hurt the host, top-level code that never returns or eats memory, or no plugin at
// all. Each attack asserts (1) its error code (with the JSON path where there is one), (2) the host
// process is up, (3) another tenant in the same runtime is served right after, (4) nothing leaked — and,
// for refused loads, that no isolate was left behind. Fixtures: plugins/tiers, plugins/redteam-supply,
// plugins/redteam-bystander; hand-written bundles via craftBundle (support-escape.ts).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '@tongkit/sdk';
import type { LoadedPlugin, PluginBundle, TkError } from '@tongkit/runtime';
import { buildFixture, expectOutput, rejectionOf, tierInput } from '../helpers.js';
import {
  RecordingHost,
  attackEvent,
  craftBundle,
  createArena,
  expectContained,
  expectEventFailure,
  report,
  type Arena,
} from './support-escape.js';

let arena: Arena;
let tiers: PluginBundle;
let supply: PluginBundle;
let tenantBundle: PluginBundle;
let installs = 0;

beforeAll(async () => {
  // Load limits are fixed (1 s for top-level code); invocation time limits are relaxed so the other
  // tenant's checks cannot time out on a busy machine.
  arena = await createArena({ limits: { cpuMs: 1_000, wallMs: 1_000 } });
  tiers = (await buildFixture('tiers')).bundle;
  supply = (await buildFixture('redteam-supply')).bundle;
  tenantBundle = (await buildFixture('redteam-bystander')).bundle;
});

afterAll(async () => {
  await arena.dispose();
});

/** Loads `bundle` as a new install in the arena and returns what the load was refused with. */
async function refusedLoad(bundle: PluginBundle): Promise<TkError> {
  const before = arena.runtime.stats().isolatesAlive;
  const error = await rejectionOf(arena.runtime.load(bundle, { installId: `attacker-${++installs}` }));
  // A refused bundle leaves no isolate behind.
  expect(arena.runtime.stats().isolatesAlive).toBe(before);
  return error;
}

async function load(bundle: PluginBundle): Promise<LoadedPlugin> {
  return arena.runtime.load(bundle, { installId: `attacker-${++installs}` });
}

/** `code` as the plugin.js of a bundle whose manifest (tiers') matches its hash and size. */
const withCode = (code: string, manifest?: (m: Manifest) => void): PluginBundle => craftBundle(tiers, { code, ...(manifest ? { manifest } : {}) });

/** The tiers bundle with its manifest edited (the code, hence its hash, unchanged). */
const withManifest = (edit: (m: Manifest) => void, base: PluginBundle = tiers): PluginBundle => craftBundle(base, { manifest: edit });

describe('bundles changed after the build', () => {
  it('refuses a bundle with one byte changed after the build: TK_MANIFEST_INVALID at /bundle/sha256', async () => {
    const middle = Math.floor(tiers.code.length / 2);
    const flipped = tiers.code[middle] === 'a' ? 'b' : 'a';
    const altered = craftBundle(tiers, { code: tiers.code.slice(0, middle) + flipped + tiers.code.slice(middle + 1), rehash: false });
    expect(altered.code).toHaveLength(tiers.code.length);
    const error = await refusedLoad(altered);
    expect(error.code).toBe('TK_MANIFEST_INVALID');
    expect(error.path).toBe('/bundle/sha256');
    expect(error.details).toMatchObject({ expected: tiers.manifest.bundle.sha256 });
    await expectContained(arena, error);
  });

  it('refuses a manifest that lies about the bundle’s size (the host stores it and shows it to reviewers): /bundle/bytes', async () => {
    const error = await refusedLoad(withManifest((m) => (m.bundle.bytes = 100)));
    expect(error.code).toBe('TK_MANIFEST_INVALID');
    expect(error.path).toBe('/bundle/bytes');
    expect(error.details).toEqual({ declared: 100, actual: tiers.manifest.bundle.bytes });
    await expectContained(arena, error);
  });

  it('refuses a bundle over 256 KB whose manifest matches it: TK_MANIFEST_INVALID at /bundle/bytes', async () => {
    const padding = 256 * 1024 + 1 - Buffer.byteLength(tiers.code) - 3;
    const big = withCode(`${tiers.code}\n//${'x'.repeat(padding)}`);
    expect(Buffer.byteLength(big.code)).toBe(256 * 1024 + 1);
    const error = await refusedLoad(big);
    expect(error.code).toBe('TK_MANIFEST_INVALID');
    expect(error.path).toBe('/bundle/bytes');
    expect(error.details).toMatchObject({ bytes: 256 * 1024 + 1, limit: 256 * 1024 });
    await expectContained(arena, error);
  });

  it('refuses a 20 MB source map at load: the host maps guest stacks with it, on every error the plugin throws', async () => {
    const sourceMap = JSON.stringify({ version: 3, sources: ['src/index.ts'], names: [], mappings: 'AAAA,'.repeat(4_000_000) });
    const error = await refusedLoad({ ...tiers, sourceMap });
    expect(error.code).toBe('TK_MANIFEST_INVALID');
    expect(error.path).toBe('/sourceMap');
    await expectContained(arena, error);
  });

  it('ignores a malformed source map: errors are still reported, with the unmapped stack', async () => {
    const { bundle } = await buildFixture('misbehave');
    const plugin = await load({ ...bundle, sourceMap: '{"version":3,"mappings":' });
    const result = await plugin.invoke('member.tier.compute', await tierInput('throw-error'));
    if (result.ok) throw new Error('expected a plugin error');
    expect(result.error.code).toBe('TK_PLUGIN_ERROR');
    expect(String(result.error.details?.stack)).toContain('plugin.js:');
    await expectContained(arena, result);
  });
});

describe('manifests that lie about the code', () => {
  it('refuses every host call of a handler whose manifest declares fewer permissions than it uses, even when granted', async () => {
    expect(supply.manifest.permissions).toEqual([]);
    const plugin = await load(supply);
    // The merchant's grant is wider than the manifest (kept from an earlier version, or a host bug).
    const host = new RecordingHost({ permissions: ['storage:kv'] });
    const result = await plugin.handleEvent(attackEvent('lie'), {}, host);
    const error = expectEventFailure(result, 'TK_PERMISSION_DENIED');
    expect(error.message).toContain("the plugin's manifest does not declare");
    expect(error.details).toMatchObject({ permission: 'storage:kv', namespace: 'kv', method: 'get' });
    expect(report(result)).toEqual({ get: 'TK_PERMISSION_DENIED', set: 'TK_PERMISSION_DENIED', increment: 'TK_PERMISSION_DENIED', delete: 'TK_PERMISSION_DENIED' });
    expect(host.calls).toEqual([]);
    await expectContained(arena, result);
  });

  it('refuses host calls of a plugin whose manifest was edited to drop a permission its code uses', async () => {
    const edited = withManifest((m) => (m.permissions = ['member:read']), tenantBundle);
    const plugin = await load(edited);
    const host = new RecordingHost({ permissions: ['member:read', 'storage:kv'] });
    const result = await plugin.handleEvent(attackEvent('edited'), {}, host);
    expectEventFailure(result, 'TK_PERMISSION_DENIED');
    expect(host.calls).toEqual([]);
    await expectContained(arena, result);
  });

  it('refuses a manifest listing an event the code does not handle: TK_MANIFEST_INVALID at /extensions', async () => {
    const error = await refusedLoad(withManifest((m) => (m.events = ['order.paid', 'points.changed']), supply));
    expect(error.code).toBe('TK_MANIFEST_INVALID');
    expect(error.path).toBe('/extensions');
    expect(error.message).toContain('declared but not implemented: event points.changed');
    await expectContained(arena, error);
  });

  it('refuses a manifest hiding handlers the code has (an extension point and an event)', async () => {
    const hidden = await refusedLoad(withManifest((m) => ((m.extensions = []), (m.events = [])), supply));
    expect(hidden.code).toBe('TK_MANIFEST_INVALID');
    expect(hidden.message).toContain('handlers not in the manifest: member.tier.compute, event order.paid');
    await expectContained(arena, hidden);
  });

  it.each([
    ['a top-level field', (m: Manifest) => Object.assign(m, { cachedData: 'AAAA' }), '/cachedData'],
    ['a field in bundle', (m: Manifest) => Object.assign(m.bundle, { snapshot: 'AAAA' }), '/bundle/snapshot'],
  ])('refuses a manifest with an unknown %s, at its path', async (_where, edit, path) => {
    const error = await refusedLoad(withManifest(edit));
    expect(error.code).toBe('TK_MANIFEST_INVALID');
    expect(error.path).toBe(path);
    await expectContained(arena, error);
  });
});

describe('settings schemas built to hurt the host', () => {
  /** Refused before any plugin code runs: no isolate is created for it. */
  async function refusedSchema(settings: unknown): Promise<TkError> {
    const coldStarts = arena.runtime.stats().coldStarts;
    const error = await refusedLoad(withManifest((m) => (m.settings = settings as Manifest['settings'])));
    expect(arena.runtime.stats().coldStarts).toBe(coldStarts);
    expect(error.code).toBe('TK_MANIFEST_INVALID');
    return error;
  }

  it('refuses `pattern` (a plugin-supplied regex the host would run), even nested in array items', async () => {
    const error = await refusedSchema({ type: 'object', properties: { codes: { type: 'array', items: { type: 'string', pattern: '^(a+)+$' } } } });
    expect(error.path).toBe('/settings/properties/codes/items/pattern');
    await expectContained(arena, error);
  });

  it('refuses `$ref` and `$defs` instead of silently dropping them', async () => {
    const ref = await refusedSchema({ type: 'object', properties: { tier: { type: 'string', $ref: '#/$defs/tier' } } });
    expect(ref.path).toBe('/settings/properties/tier/$ref');
    const defs = await refusedSchema({ type: 'object', $defs: { tier: { type: 'string' } }, properties: {} });
    expect(defs.path).toBe('/settings/$defs');
    // Other keywords the host would not enforce are refused the same way.
    const record = await refusedSchema({ type: 'object', patternProperties: { '^.*$': { type: 'integer' } } });
    expect(record.path).toBe('/settings/patternProperties');
    await expectContained(arena, ref, defs, record);
  });

  it('refuses a schema with 10,000 properties at the 500th node, without reading the rest', async () => {
    const properties = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`p${i}`, { type: 'integer' }]));
    const error = await refusedSchema({ type: 'object', properties });
    expect(error.message).toContain('more than 500 schema nodes');
    expect(error.path).toMatch(/^\/settings\/properties\/p\d+$/);
    await expectContained(arena, error);
  });

  it('refuses a schema nested 50 levels deep at the 9th level', async () => {
    let schema: Record<string, unknown> = { type: 'integer' };
    for (let i = 0; i < 50; i++) schema = { type: 'object', properties: { a: schema } };
    const error = await refusedSchema(schema);
    expect(error.message).toContain('nests deeper than 8 levels');
    expect(error.path).toBe(`/settings${'/properties/a'.repeat(9)}`);
    await expectContained(arena, error);
  });
});

describe('top-level code', () => {
  it('stops a bundle whose top-level code loops forever: load fails with TK_TIMEOUT', async () => {
    const error = await refusedLoad(withCode('var __tongkit_plugin = (() => { for (;;) {} })();'));
    expect(error.code).toBe('TK_TIMEOUT');
    expect(error.message).toMatch(/top-level code ran too long/);
    await expectContained(arena, error);
  });

  it('stops a bundle whose top-level code allocates 1 GB on its heap: load fails with TK_MEMORY_LIMIT', async () => {
    const error = await refusedLoad(withCode('var keep = []; for (let i = 0; i < 1024; i++) keep.push(new Array(131072).fill(i)); var __tongkit_plugin = {};'));
    expect(error.code).toBe('TK_MEMORY_LIMIT');
    await expectContained(arena, error);
  });

  it('refuses a 1 GB ArrayBuffer at top level inside the sandbox: the plugin’s own RangeError, nothing allocated host-side', async () => {
    // isolated-vm's allocator counts buffers against the isolate's limit and refuses them (no V8 abort).
    const rssBefore = process.memoryUsage().rss;
    const error = await refusedLoad(withCode('var big = new Uint8Array(2 ** 30).fill(1); var __tongkit_plugin = {};'));
    expect(error.code).toBe('TK_PLUGIN_ERROR');
    expect(error.message).toMatch(/Array buffer allocation failed/);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 1024 * 1024);
    await expectContained(arena, error);
  });

  it('never hangs the process on a top-level string bomb V8 cannot contain: TK_MEMORY_LIMIT, or an abort for the supervisor', () => {
    // Like limits.test.ts's runtime bomb, but at load: a flattened string doubling past the heap may make
    // V8 report a fatal out-of-memory, so it runs in a child process.
    const bundle = withCode("var s = 'tongkit!'; for (;;) { s = s + s; if (s.charCodeAt(s.length - 1) === 0) break; } var __tongkit_plugin = {};");
    const script = `
      import { createRuntime } from '@tongkit/runtime';
      const bundle = JSON.parse(process.env.TK_REDTEAM_BUNDLE);
      process.stdout.write('loading\\n');
      try { await createRuntime().load(bundle); process.stdout.write('loaded\\n'); }
      catch (error) { process.stdout.write('refused ' + error.code + '\\n'); }
    `;
    const child = spawnSync(process.execPath, ['--no-node-snapshot', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      env: { ...process.env, TK_REDTEAM_BUNDLE: JSON.stringify(bundle) },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.stdout, child.stderr).toContain('loading');
    const outcome = child.signal === 'SIGABRT' ? 'aborted' : child.stdout.includes('refused TK_MEMORY_LIMIT') ? 'contained' : `hung or failed otherwise (signal ${child.signal}, status ${child.status}, ${child.stdout})`;
    expect(['aborted', 'contained']).toContain(outcome);
  }, 90_000);

  it('stops a plugin definition that is a Proxy looping when the bridge reads it: TK_TIMEOUT', async () => {
    const trap = '() => { for (;;) {} }';
    const error = await refusedLoad(withCode(`var __tongkit_plugin = new Proxy({}, { get: ${trap}, has: ${trap}, ownKeys: ${trap}, getOwnPropertyDescriptor: ${trap} });`));
    expect(error.code).toBe('TK_TIMEOUT');
    await expectContained(arena, error);
  });

  it('cannot replace the bridge or the built-ins it uses from top-level code: the real handlers are registered and run', async () => {
    const hijack = `
      globalThis.__tk_register = () => '{"extensions":[],"events":[],"name":"x","version":"0.0.0"}';
      globalThis.__tk_invoke = () => '{"l":[],"t":false,"o":{"tierId":"gold","reason":"forged"}}';
      globalThis.__tk_event = async () => '{"l":[],"t":false,"o":null}';
      Object.keys = () => [];
      Object.hasOwn = () => false;
      JSON.stringify = () => '"forged"';
      JSON.parse = () => ({});
    `;
    const plugin = await load(withCode(`${tiers.code}\n${hijack}`));
    const output = expectOutput(await plugin.invoke('member.tier.compute', await tierInput()));
    expect(output).toEqual({ tierId: 'gold', reason: '12-month spend ¥6,000.00' });
    await expectContained(arena, output);
  });
});

describe('bundles that are no plugin', () => {
  it('refuses random JavaScript that defines no plugin: TK_MANIFEST_INVALID', async () => {
    const error = await refusedLoad(withCode("var total = [1, 2, 3].map((n) => n * 2).join(','); console.log(total);"));
    expect(error.code).toBe('TK_MANIFEST_INVALID');
    expect(error.message).toMatch(/no default export/);
    await expectContained(arena, error);
  });

  it('refuses a bundle that is not JavaScript at all: TK_MANIFEST_INVALID at /bundle, not a raw SyntaxError', async () => {
    const error = await refusedLoad(withCode('\u0000\u0001 this is {{{ not JavaScript'));
    expect(error.code).toBe('TK_MANIFEST_INVALID');
    expect(error.path).toBe('/bundle');
    expect(error.message).toMatch(/not valid JavaScript/);
    await expectContained(arena, error);
  });

  it.each([
    ['an empty default export', 'var __tongkit_plugin = { default: {} };', /declared but not implemented: member\.tier\.compute/],
    ['a default export that is not an object', 'var __tongkit_plugin = { default: 42 };', /no default export/],
    ['no default export', 'var __tongkit_plugin = { plugin: {} };', /no default export/],
  ])('refuses %s: TK_MANIFEST_INVALID', async (_what, code, message) => {
    const error = await refusedLoad(withCode(code));
    expect(error.code).toBe('TK_MANIFEST_INVALID');
    expect(error.message).toMatch(message);
    await expectContained(arena, error);
  });
});

describe('V8 cached data', () => {
  it('never takes cached data or snapshots from a plugin: such bundle fields are ignored, the code is compiled from source', async () => {
    // PluginBundle has no such field; a host passing one through (say, from an upload) changes nothing.
    const garbage = Buffer.from('not V8 cached data at all').toString('base64');
    const bundle = { ...tiers, cachedData: garbage, produceCachedData: true, snapshot: garbage } as PluginBundle;
    const plugin = await load(bundle);
    const output = expectOutput(await plugin.invoke('member.tier.compute', await tierInput()));
    expect(output).toEqual({ tierId: 'gold', reason: '12-month spend ¥6,000.00' });
    expect(plugin.sha256).toBe(tiers.manifest.bundle.sha256);
    await expectContained(arena, output);
  });
});
