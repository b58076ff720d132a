// What a manifest is refused for before any handler runs, at a cost that does not grow with what a
// hostile manifest sends: catalogue names far longer than any real one, and settings-schema defaults
// that break their own schema (which would fail every call, blaming the merchant's settings).
import { afterAll, describe, expect, it } from 'vitest';
import type { Manifest } from '@tongkit/sdk';
import { createRuntime, type PluginBundle } from '@tongkit/runtime';
import { buildFixture, rejectionOf, TempPlugins } from './helpers.js';

const temp = new TempPlugins();
const runtime = createRuntime();

afterAll(async () => {
  await temp.cleanup();
  await runtime.dispose();
});

/** The tiers bundle with its manifest changed by `edit` (the code, and so its sha256, unchanged). */
async function tiersWith(edit: (manifest: Record<string, unknown>) => void): Promise<PluginBundle> {
  const { bundle } = await buildFixture('tiers');
  const manifest = structuredClone(bundle.manifest) as unknown as Record<string, unknown>;
  edit(manifest);
  return { ...bundle, manifest: manifest as unknown as Manifest };
}

const plugin = (settings: string) => `import { definePlugin, Type } from '@tongkit/sdk';
export default definePlugin({
  name: 'temp-plugin',
  version: '1.0.0',
  apiVersion: '2026-11',
  permissions: [],
  settings: ${settings},
  extensions: { 'member.tier.compute': () => ({ tierId: 'gold', reason: 'ok' }) },
});
`;

describe('catalogue names far longer than any real one', () => {
  it.each(['permissions', 'events', 'extensions'])('refuses a 1,000,000-character name in %s at its path, quoting only its start', async (field) => {
    const error = await rejectionOf(runtime.load(await tiersWith((m) => (m[field] = ['m'.repeat(1_000_000)]))));
    expect(error.code).toBe('TK_MANIFEST_INVALID');
    expect(error.path).toBe(`/${field}/0`);
    expect(error.message).toContain('at most 64 characters');
    expect(error.message).toContain('(1000000 characters)');
    expect(error.message.length).toBeLessThan(300);
  });

  it('quotes a long unsupported API version shortened', async () => {
    const error = await rejectionOf(runtime.load(await tiersWith((m) => (m.apiVersion = `2026-${'9'.repeat(100_000)}`))));
    expect(error.path).toBe('/apiVersion');
    expect(error.message.length).toBeLessThan(300);
  });

  it('still suggests the closest name for a short misspelling', async () => {
    const error = await rejectionOf(runtime.load(await tiersWith((m) => (m.permissions = ['points:wirte']))));
    expect(error.message).toBe('unknown permission "points:wirte" — did you mean "points:write"?');
  });
});

describe('settings-schema defaults', () => {
  it('refuses at build a default that breaks its own schema, at the default’s path', async () => {
    const error = await rejectionOf(temp.build(plugin(`Type.Object({ goldAtFen: Type.Integer({ default: 'lots' }) })`)));
    expect(error.code).toBe('TK_MANIFEST_INVALID');
    expect(error.path).toBe('/settings/properties/goldAtFen/default');
    expect(error.message).toContain('the default does not match its own schema');
  });

  it('refuses at load a manifest whose default breaks its schema (a bundle not built by tongkit)', async () => {
    const bundle = await tiersWith((m) => (m.settings = { type: 'object', properties: { level: { type: 'integer', minimum: 1, default: 0 } } }));
    const error = await rejectionOf(runtime.load(bundle));
    expect(error.code).toBe('TK_MANIFEST_INVALID');
    expect(error.path).toBe('/settings/properties/level/default');
  });

  it('refuses an object default whose own property breaks its schema, at that property', async () => {
    const error = await rejectionOf(
      temp.build(plugin(`Type.Object({ tiers: Type.Object({ gold: Type.Integer() }, { default: { gold: 'many' } }) })`)),
    );
    expect(error.path).toBe('/settings/properties/tiers/default/gold');
  });

  it('accepts an object default completed by its properties’ own defaults, as settings are at run time', async () => {
    const { bundle } = await temp.build(
      plugin(`Type.Object({ tiers: Type.Object({ gold: Type.Integer({ default: 500_000 }), name: Type.String() }, { default: { name: 'VIP' } }) })`),
    );
    const loaded = await runtime.load(bundle);
    expect(loaded.manifest.name).toBe('temp-plugin');
  });

  it('refuses a default nested thousands of levels deep, before anything recursive touches it', async () => {
    let deep: unknown = 0;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const bundle = await tiersWith((m) => (m.settings = { type: 'object', properties: { x: { type: 'array', items: { type: 'integer' }, default: deep } } }));
    const error = await rejectionOf(runtime.load(bundle));
    expect(error.code).toBe('TK_MANIFEST_INVALID');
    expect(error.path).toMatch(/^\/settings\/properties\/x\/default(\/0)+$/);
  });
});

describe('rule fields (x-tongkit-rule) in a hostile manifest', () => {
  const withRule = (rule: Record<string, unknown>) => tiersWith((m) => (m.settings = { type: 'object', properties: { when: rule } }));

  it.each([
    ['an unknown point', { 'x-tongkit-rule': { point: 'member.nope', result: 'boolean' } }, '/settings/properties/when/x-tongkit-rule/point'],
    ['a result kind the dialect has not', { 'x-tongkit-rule': { point: 'member.points.earn', result: 'string' } }, '/settings/properties/when/x-tongkit-rule/result'],
    ['a spec that is not an object', { 'x-tongkit-rule': 'member.points.earn' }, '/settings/properties/when/x-tongkit-rule'],
    ['a keyword beside the rule', { 'x-tongkit-rule': { point: 'member.points.earn', result: 'boolean' }, type: 'string' }, '/settings/properties/when/type'],
    ['a rule inside a union, where it would go unchecked', { anyOf: [{ 'x-tongkit-rule': { point: 'member.points.earn', result: 'boolean' } }, { type: 'null' }] }, '/settings/properties/when/anyOf/0'],
    ['a default rule the dialect refuses', { 'x-tongkit-rule': { point: 'member.points.earn', result: 'boolean' }, default: { method: [{ var: 'order' }, 'constructor'] } }, '/settings/properties/when/default/method'],
  ])('refuses %s at load, at its path', async (_, rule, path) => {
    const error = await rejectionOf(runtime.load(await withRule(rule)));
    expect(error.code).toBe('TK_MANIFEST_INVALID');
    expect(error.path).toBe(path);
  });

  it('checks a merchant’s rule when settings resolve: too deep is refused by the dialect, a 10,000-level bomb before anything recursive runs', async () => {
    const loaded = await runtime.load(await withRule({ 'x-tongkit-rule': { point: 'member.tier.compute', result: 'boolean' } }));
    let deep: unknown = true;
    for (let i = 0; i < 30; i++) deep = { '!': [deep] };
    const shallow = await rejectionOf(Promise.resolve().then(() => loaded.resolveSettings({ when: deep })));
    expect(shallow).toMatchObject({ code: 'TK_VALIDATION', message: expect.stringContaining('deeper than 24') });
    for (let i = 0; i < 10_000; i++) deep = { '!': [deep] };
    const bomb = await rejectionOf(Promise.resolve().then(() => loaded.resolveSettings({ when: deep })));
    expect(bomb.code).toBe('TK_VALIDATION');
  });
});
