// What `buildPlugin` and `runtime.load` refuse before any handler runs: bundles changed after the build,
// manifests that lie about the code, invalid permissions and settings schemas, Node APIs, syntax
// errors. And what the guest bundle must not carry: TypeBox.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '@tongkit/sdk';
import { createRuntime, type PluginBundle, type Runtime } from '@tongkit/runtime';
import { buildFixture, rejectionOf, TempPlugins } from './helpers.js';

const temp = new TempPlugins();
let runtime: Runtime;
let tiers: PluginBundle;

beforeAll(async () => {
  runtime = createRuntime();
  tiers = (await buildFixture('tiers')).bundle;
});

afterAll(async () => {
  await temp.cleanup();
  await runtime.dispose();
});

/** The tiers bundle with its manifest changed by `edit` (the code, and so its sha256, unchanged). */
function withManifest(edit: (manifest: Manifest) => void, bundle: PluginBundle = tiers): PluginBundle {
  const manifest = structuredClone(bundle.manifest);
  edit(manifest);
  return { ...bundle, manifest };
}

const plugin = (body: string) => `import { definePlugin, Type } from '@tongkit/sdk';
void Type;
export default definePlugin({
  name: 'temp-plugin',
  version: '1.0.0',
  apiVersion: '2026-11',
${body}
});
`;

describe('the built manifest', () => {
  it('describes the plugin from its definition and hashes the bundle', async () => {
    const { bundle, bytes, limitBytes } = await buildFixture('tiers');
    expect(bundle.manifest).toMatchObject({
      manifestVersion: 1,
      name: 'test-tiers',
      version: '1.0.0',
      apiVersion: '2026-11',
      permissions: ['member:read'],
      extensions: ['member.tier.compute'],
      events: [],
      bundle: { file: 'plugin.js', bytes },
    });
    expect(bundle.manifest.bundle.sha256).toMatch(/^[a-f0-9]{64}$/);
    expect(bundle.manifest.settings).toMatchObject({
      type: 'object',
      properties: { goldAtFen: { type: 'integer', minimum: 0, default: 500_000 } },
    });
    expect(bytes).toBeLessThan(limitBytes);
    await expect(runtime.load(bundle)).resolves.toMatchObject({ sha256: bundle.manifest.bundle.sha256 });
  });
});

describe('bundle integrity', () => {
  it('refuses a bundle whose code changed after the build (sha256 mismatch) with TK_MANIFEST_INVALID at /bundle/sha256', async () => {
    const altered = { ...tiers, code: `${tiers.code}\nglobalThis.extra = 1;` };
    const error = await rejectionOf(runtime.load(altered));
    expect(error.code).toBe('TK_MANIFEST_INVALID');
    expect(error.path).toBe('/bundle/sha256');
    expect(error.details).toMatchObject({ expected: tiers.manifest.bundle.sha256 });
  });

  it('refuses an empty bundle', async () => {
    const error = await rejectionOf(runtime.load({ ...tiers, code: '' }));
    expect(error.code).toBe('TK_MANIFEST_INVALID');
    expect(error.path).toBe('/bundle');
  });
});

describe('manifest against code', () => {
  it('refuses a manifest that lists a point the code does not implement', async () => {
    const { bundle } = await buildFixture('events-only');
    expect(bundle.manifest.extensions).toEqual([]);
    expect(bundle.manifest.events).toEqual(['order.paid']);
    const lying = withManifest((manifest) => {
      manifest.extensions = ['member.tier.compute'];
    }, bundle);
    const error = await rejectionOf(runtime.load(lying));
    expect(error.code).toBe('TK_MANIFEST_INVALID');
    expect(error.path).toBe('/extensions');
    expect(error.message).toContain('declared but not implemented: member.tier.compute');
  });

  it('refuses a manifest that hides a point the code implements', async () => {
    const hiding = withManifest((manifest) => {
      manifest.extensions = [];
    });
    const error = await rejectionOf(runtime.load(hiding));
    expect(error.code).toBe('TK_MANIFEST_INVALID');
    expect(error.path).toBe('/extensions');
    expect(error.message).toContain('handlers not in the manifest: member.tier.compute');
  });

  it('refuses a manifest with a permission that is not in the catalogue, at /permissions/N', async () => {
    const error = await rejectionOf(
      runtime.load(
        withManifest((manifest) => {
          (manifest.permissions as string[]).push('member:write');
        }),
      ),
    );
    expect(error.code).toBe('TK_MANIFEST_INVALID');
    expect(error.path).toBe('/permissions/1');
  });

  it('refuses a manifest whose settings schema uses pattern (a plugin regex would run on the host)', async () => {
    const error = await rejectionOf(
      runtime.load(
        withManifest((manifest) => {
          manifest.settings = { type: 'object', properties: { code: { type: 'string', pattern: '^(a+)+$' } } };
        }),
      ),
    );
    expect(error.code).toBe('TK_MANIFEST_INVALID');
    expect(error.path).toBe('/settings/properties/code/pattern');
  });
});

describe('buildPlugin refusals', () => {
  it('refuses an unknown permission with TK_MANIFEST_INVALID at /permissions/N', async () => {
    const error = await rejectionOf(temp.build(plugin(`  permissions: ['member:read', 'points:write', 'root'],`)));
    expect(error.code).toBe('TK_MANIFEST_INVALID');
    expect(error.path).toBe('/permissions/2');
  });

  it('refuses a settings schema with pattern with TK_MANIFEST_INVALID at its path under /settings', async () => {
    const error = await rejectionOf(temp.build(plugin(`  settings: Type.Object({ sku: Type.String({ pattern: '^[A-Z]+$' }) }),`)));
    expect(error.code).toBe('TK_MANIFEST_INVALID');
    expect(error.path).toBe('/settings/properties/sku/pattern');
    expect(error.hint).toMatch(/no pattern/);
  });

  it.each(['node:fs', 'fs'])('refuses a plugin importing %s with TK_BUILD_FAILED and a hint about Node APIs', async (moduleName) => {
    const error = await rejectionOf(
      temp.build(`import { readFileSync } from '${moduleName}';
import { definePlugin } from '@tongkit/sdk';
export default definePlugin({
  name: 'temp-plugin', version: '1.0.0', apiVersion: '2026-11',
  extensions: { 'member.tier.compute': () => ({ tierId: readFileSync('/etc/hostname', 'utf8'), reason: 'read a file' }) },
});
`),
    );
    expect(error.code).toBe('TK_BUILD_FAILED');
    expect(error.message).toMatch(/^src\/index\.ts:1:\d+: Could not resolve/);
    expect(error.hint).toMatch(/without Node APIs/);
  });

  it('refuses a syntax error with TK_BUILD_FAILED at file:line:column', async () => {
    const error = await rejectionOf(
      temp.build(`import { definePlugin } from '@tongkit/sdk';
export default definePlugin({
  name: 'temp-plugin',
  version: '1.0.0',,
  apiVersion: '2026-11',
});
`),
    );
    expect(error.code).toBe('TK_BUILD_FAILED');
    expect(error.message).toMatch(/^src\/index\.ts:4:\d+: /);
    expect(error.details?.errors).toEqual([expect.objectContaining({ location: expect.objectContaining({ file: 'src/index.ts', line: 4 }) })]);
  });

  it('refuses an entry without a default export with TK_MANIFEST_INVALID', async () => {
    const error = await rejectionOf(temp.build(`export const answer = 42;\n`));
    expect(error.code).toBe('TK_MANIFEST_INVALID');
    expect(error.message).toMatch(/export default definePlugin/);
  });

  it.each([
    ['grows a Map until V8 gives up (a fatal out-of-memory aborts the process running it)', 'const m = new Map(); for (let i = 0; ; i++) m.set(i, { i });'],
    ['throws', "throw new Error('no definition for you');"],
  ])('refuses a plugin whose top-level code %s with TK_BUILD_FAILED; the build process lives on', async (_name, statement) => {
    const error = await rejectionOf(
      temp.build(`import { definePlugin } from '@tongkit/sdk';
${statement}
export default definePlugin({ name: 'temp-plugin', version: '1.0.0', apiVersion: '2026-11' });
`),
    );
    expect(error.code).toBe('TK_BUILD_FAILED');
    expect(error.message).toMatch(/^the plugin's top-level code (aborted the process reading it|failed while reading its definition)/);
    expect(error.hint).toMatch(/Keep top-level code/);
  });

  it('refuses a project without an entry with TK_NOT_FOUND', async () => {
    const { buildPlugin } = await import('@tongkit/runtime/build');
    const dir = await temp.write({ 'README.md': 'no source here\n' });
    const error = await rejectionOf(buildPlugin(dir));
    expect(error.code).toBe('TK_NOT_FOUND');
  });
});

describe('the guest bundle', () => {
  it('carries no TypeBox and is much smaller than a build with it', async () => {
    const guest = await buildFixture('tiers');
    const withTypeBox = await buildFixture('tiers', { guestWithTypeBox: true });
    for (const marker of ['TypeBox', 'sinclair', 'TypeCompiler']) expect(guest.bundle.code, marker).not.toContain(marker);
    const sources = (map: string) => (JSON.parse(map) as { sources: string[] }).sources;
    expect(sources(guest.bundle.sourceMap).filter((source) => source.includes('typebox'))).toEqual([]);
    expect(sources(withTypeBox.bundle.sourceMap).filter((source) => source.includes('typebox')).length).toBeGreaterThan(0);
    expect(withTypeBox.bundle.code).toContain('TypeBox');
    expect(guest.bytes * 5).toBeLessThan(withTypeBox.bytes);
  });

  it('still runs a plugin whose top-level code calls Type.* builders', async () => {
    const { bundle } = await buildFixture('escape');
    await expect(runtime.load(bundle)).resolves.toMatchObject({ manifest: { name: 'test-escape' } });
  });
});

describe('misspelt catalogue names', () => {
  async function loadWith(change: (manifest: Record<string, unknown>) => void) {
    const { bundle } = await buildFixture('tiers');
    const manifest = structuredClone(bundle.manifest) as unknown as Record<string, unknown>;
    change(manifest);
    return rejectionOf(createRuntime().load({ ...bundle, manifest: manifest as unknown as Manifest }));
  }

  it('names an unknown extension point with a suggestion and its path', async () => {
    const error = await loadWith((m) => (m.extensions = ['member.tier.computee']));
    expect(error.code).toBe('TK_MANIFEST_INVALID');
    expect(error.path).toBe('/extensions/0');
    expect(error.message).toContain('did you mean "member.tier.compute"');
  });

  it('names an unknown permission and an unsupported API version', async () => {
    expect((await loadWith((m) => (m.permissions = ['member:read', 'points:wirte']))).message).toContain('did you mean "points:write"');
    expect((await loadWith((m) => (m.apiVersion = '2020-01'))).path).toBe('/apiVersion');
  });
});
