// The settings impact preview and per-point switches, through the HTTP API on a real host: the preview
// replays the install's logged invocations with the current and the proposed settings (each store's
// override merged over them) and counts what changes — computed here independently from the plugin's
// rule — and writes nothing; a point switched off is not served, another tenant's install is not found.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant, expectError, ok, startTestHost, tierInput, uploadOf, type TestHost } from './helpers.js';

const PLUGIN = 'test-upgrade-tiers';
/** test-upgrade-tiers 1.0.0: gold at or above goldAtFen of 12-month spend, else the first tier (regular). */
const tierOf = (spendFen: number, goldAtFen: number) => (spendFen >= goldAtFen ? 'gold' : 'regular');

let t: TestHost;
let merchant: string;
let other: string;
let installId: string;
const brandSpends = [50_000, 120_000, 380_000, 410_000, 450_000, 499_999, 500_000, 520_000, 800_000];
const storeSpends = [420_000, 650_000, 720_000];

beforeAll(async () => {
  t = await startTestHost({ runtime: { isolation: 'in-process' } });
  merchant = await createMerchant(t, 'preview-a', { stores: ['preview-a-store1'] });
  other = await createMerchant(t, 'preview-b');
  const deployed = await ok(t.api(t.host.tokens.developer, 'POST', '/v1/versions', await uploadOf('upgradeV1')), 201);
  await ok(t.api(t.host.tokens.developer, 'POST', `/v1/plugins/${PLUGIN}/versions/${deployed.version}/submit`, {}));
  await ok(t.api(t.host.tokens.reviewer, 'POST', `/v1/plugins/${PLUGIN}/versions/${deployed.version}/approve`, { comment: 'ok' }));
  const install = await ok(t.api(merchant, 'POST', '/v1/installs', { plugin: PLUGIN, grantPermissions: ['member:read'], settings: { goldAtFen: 500_000 } }), 201);
  installId = install.id;
  await ok(t.api(merchant, 'PUT', `/v1/installs/${installId}/stores/preview-a-store1/settings`, { goldAtFen: 700_000 }));
  for (const spend of brandSpends) await ok(t.api(merchant, 'POST', '/v1/extensions/member.tier.compute/invoke', { input: tierInput(spend) }));
  for (const spend of storeSpends) await ok(t.api(merchant, 'POST', '/v1/extensions/member.tier.compute/invoke', { input: tierInput(spend), storeId: 'preview-a-store1' }));
}, 120_000);
afterAll(() => t?.close());

// The invoke route's log is written behind: what this process buffered first.
const invocations = async () => {
  await t.host.services.extensions.flushLog();
  return Number((await t.database.db.query<{ n: string }>('SELECT count(*) AS n FROM invocations WHERE install_id = $1', [installId])).rows[0]!.n);
};

describe('the settings impact preview', () => {
  it('counts the decisions the proposed settings change, per store override, as the plugin’s own rule says', async () => {
    for (const goldAtFen of [400_000, 450_000, 510_000, 900_000, 500_000]) {
      const before = await invocations();
      const impact = await ok(t.api(merchant, 'POST', `/v1/installs/${installId}/settings/preview`, { settings: { goldAtFen } }));
      // The store's override (700,000) still applies over the new brand settings: its decisions never change.
      const expected = brandSpends.filter((s) => tierOf(s, 500_000) !== tierOf(s, goldAtFen));
      expect(impact).toMatchObject({ installId, version: '1.0.0', replayed: brandSpends.length + storeSpends.length, changed: expected.length, failed: 0, skipped: 0 });
      expect(impact.unchanged).toBe(impact.replayed - expected.length);
      const upgrades = expected.filter((s) => tierOf(s, goldAtFen) === 'gold').length;
      const downgrades = expected.length - upgrades;
      const transitions = Object.fromEntries(impact.transitions.map((c: { field: string; from: string; to: string; count: number }) => [`${c.field}:${c.from}>${c.to}`, c.count]));
      expect(transitions).toEqual({ ...(upgrades ? { 'tierId:regular>gold': upgrades } : {}), ...(downgrades ? { 'tierId:gold>regular': downgrades } : {}) });
      expect(impact.samples).toHaveLength(Math.min(expected.length, 10));
      for (const sample of impact.samples) {
        expect(sample.storeId).toBeNull();
        expect(sample.before.tierId).not.toBe(sample.after.tierId);
      }
      // Nothing was written: no invocation logged, the settings as they were.
      expect(await invocations()).toBe(before);
    }
    expect((await ok(t.api(merchant, 'GET', `/v1/installs/${installId}`))).settings).toEqual({ goldAtFen: 500_000 });
  });

  it('replays only the last `limit` invocations', async () => {
    const impact = await ok(t.api(merchant, 'POST', `/v1/installs/${installId}/settings/preview`, { settings: { goldAtFen: 0 }, limit: 3 }));
    expect(impact.replayed).toBe(3);
    // The last three were the store's (override 700,000 over goldAtFen 0 → still 700,000): unchanged.
    expect(impact.changed).toBe(0);
  });

  it('validates the proposed settings as a save does, with the JSON path', async () => {
    expectError(await t.api(merchant, 'POST', `/v1/installs/${installId}/settings/preview`, { settings: { goldAtFen: 1.5 } }), 400, 'TK_VALIDATION', '/settings/goldAtFen');
    expectError(await t.api(merchant, 'POST', `/v1/installs/${installId}/settings/preview`, { settings: { goldAtFen: 1 }, limit: 201 }), 400, 'TK_VALIDATION');
  });

  it('answers another merchant’s install as none', async () => {
    expectError(await t.api(other, 'POST', `/v1/installs/${installId}/settings/preview`, { settings: { goldAtFen: 1 } }), 404, 'TK_NOT_FOUND');
    expectError(await t.api(other, 'PUT', `/v1/installs/${installId}/points/member.tier.compute`, { enabled: false }), 404, 'TK_NOT_FOUND');
  });
});

describe('per-point switches', () => {
  it('switches a point off (the platform default applies) and on again; a retry changes nothing', async () => {
    const off = await ok(t.api(merchant, 'PUT', `/v1/installs/${installId}/points/member.tier.compute`, { enabled: false }));
    expect(off).toEqual({ installId, point: 'member.tier.compute', enabled: false, enabledPoints: [] });
    expect(await ok(t.api(merchant, 'PUT', `/v1/installs/${installId}/points/member.tier.compute`, { enabled: false }))).toEqual(off);
    const decided = await ok(t.api(merchant, 'POST', '/v1/extensions/member.tier.compute/invoke', { input: tierInput(900_000) }));
    expect(decided.source).toBe('platform');
    // A point off is not replayed by the preview either: its logged calls are skipped.
    const impact = await ok(t.api(merchant, 'POST', `/v1/installs/${installId}/settings/preview`, { settings: { goldAtFen: 1 } }));
    expect(impact).toMatchObject({ replayed: 0, skipped: brandSpends.length + storeSpends.length });

    const on = await ok(t.api(merchant, 'PUT', `/v1/installs/${installId}/points/member.tier.compute`, { enabled: true }));
    expect(on.enabledPoints).toEqual(['member.tier.compute']);
    expect((await ok(t.api(merchant, 'POST', '/v1/extensions/member.tier.compute/invoke', { input: tierInput(900_000) }))).source).toBe('plugin');
  });

  it('refuses a point the version does not declare, naming the parameter', async () => {
    expectError(await t.api(merchant, 'PUT', `/v1/installs/${installId}/points/order.route`, { enabled: true }), 404, 'TK_NOT_FOUND', '/params/point');
  });
});
