// Installs stay consistent with their rules whatever order requests arrive in: an upgrade or rollback
// never leaves a store's override invalid under the new version's schema (a store would silently run
// on the fallback); concurrent enable/install never put two active installs on an exclusive point; an
// upgrade never overwrites a settings change answered 200 while it ran; and a merchant moved to a
// narrower tier cannot switch back on an install its tier no longer includes.
// Fixtures: plugins/bounded-weight-* (test-bounded-weight, whose `weight` may be at most 40, 100, 40 in
// versions 1.0.0, 1.1.0, 1.2.0) and the member-tier template (my-member-tiers), both on the exclusive
// member.tier.compute.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlugin } from '@tongkit/runtime/build';
import { createMerchant, expectError, ok, publish, smokeFixture, startTestHost, tierInput, uploadOf, type TestHost, orderPaidData } from './helpers.js';

const plugins = join(fileURLToPath(new URL('.', import.meta.url)), 'plugins');
const PLUGIN = 'test-bounded-weight';
const ROUNDS = 8;

let t: TestHost;

beforeAll(async () => {
  t = await startTestHost();
  for (const version of ['1-0-0', '1-1-0', '1-2-0']) {
    const { bundle } = await buildPlugin(join(plugins, `bounded-weight-${version}`));
    await publish(t, { ...bundle, fixtures: [smokeFixture()] });
  }
  await publish(t, await uploadOf('template'));
  await publish(t, await uploadOf('kvCounter'));
});

afterAll(async () => {
  await t?.close();
});

const install = (token: string, version: string, settings: Record<string, unknown> = {}) =>
  ok(t.api(token, 'POST', '/v1/installs', { plugin: PLUGIN, version, settings, grantPermissions: ['member:read'] }), 201);
const upgrade = (token: string, id: string, version: string) => t.api(token, 'POST', `/v1/installs/${id}/upgrade`, { version });
const override = (token: string, id: string, store: string, patch: unknown) => t.api(token, 'PUT', `/v1/installs/${id}/stores/${store}/settings`, patch);

/** How many of a merchant's installs are active on the exclusive member.tier.compute. */
async function activeOnTierPoint(merchantId: string): Promise<number> {
  const { rows } = await t.host.services.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM installs WHERE merchant_id = $1 AND status = 'active' AND 'member.tier.compute' = ANY(enabled_points)`,
    [merchantId],
  );
  return rows[0]!.n;
}

describe('upgrade and rollback against store overrides', () => {
  it('refuses an upgrade whose schema a store override breaks, naming the override, and changes nothing', async () => {
    const merchant = await createMerchant(t, 'weights-up');
    const ins = await install(merchant, '1.1.0', { weight: 10 });
    await ok(override(merchant, ins.id, 'weights-up-store1', { weight: 42 }));

    // 1.2.0 lowers the maximum to 40: the store's merged settings would be invalid.
    const refused = expectError(await upgrade(merchant, ins.id, '1.2.0'), 400, 'TK_VALIDATION', '/storeOverrides/weights-up-store1/weight');
    expect(refused.message).toMatch(/settings/);
    const after = await ok(t.api(merchant, 'GET', `/v1/installs/${ins.id}`));
    expect(after).toMatchObject({ version: '1.1.0', previousVersion: null, pendingVersion: null, settings: { weight: 10 }, storeOverrides: { 'weights-up-store1': { weight: 42 } } });
    // The store still runs the plugin, on its override.
    const decision = await ok(t.api(merchant, 'POST', '/v1/extensions/member.tier.compute/invoke', { input: tierInput(), storeId: 'weights-up-store1' }));
    expect(decision).toMatchObject({ source: 'plugin', output: { reason: 'm_api01 weighed 42' } });

    // Once the override fits, the upgrade goes through.
    await ok(override(merchant, ins.id, 'weights-up-store1', { weight: 40 }));
    expect(await ok(upgrade(merchant, ins.id, '1.2.0'))).toMatchObject({ version: '1.2.0', previousVersion: '1.1.0' });
  });

  it('refuses a rollback whose schema a store override breaks, and changes nothing', async () => {
    const merchant = await createMerchant(t, 'weights-back');
    const ins = await install(merchant, '1.0.0', { weight: 5 });
    await ok(upgrade(merchant, ins.id, '1.1.0'));
    await ok(override(merchant, ins.id, 'weights-back-store1', { weight: 90 }));

    expectError(await t.api(merchant, 'POST', `/v1/installs/${ins.id}/rollback`), 400, 'TK_VALIDATION', '/storeOverrides/weights-back-store1/weight');
    expect(await ok(t.api(merchant, 'GET', `/v1/installs/${ins.id}`))).toMatchObject({ version: '1.1.0', previousVersion: '1.0.0', settings: { weight: 5 } });
  });

  it('names the store override when settings stored earlier no longer validate', async () => {
    const merchant = await createMerchant(t, 'weights-stale');
    const ins = await install(merchant, '1.0.0');
    // An override stored before upgrades checked overrides (or written around the API).
    await t.host.services.db.query(`INSERT INTO install_store_overrides (install_id, merchant_id, store_id, patch) VALUES ($1, $2, $3, $4)`, [
      ins.id,
      'weights-stale',
      'weights-stale-store1',
      { weight: 41 },
    ]);
    expectError(await t.api(merchant, 'GET', `/v1/installs/${ins.id}/settings?storeId=weights-stale-store1`), 400, 'TK_VALIDATION', '/storeOverrides/weights-stale-store1/weight');
    const fallback = await ok(t.api(merchant, 'POST', '/v1/extensions/member.tier.compute/invoke', { input: tierInput(), storeId: 'weights-stale-store1' }));
    expect(fallback).toMatchObject({ source: 'fallback', error: { code: 'TK_VALIDATION', path: '/storeOverrides/weights-stale-store1/weight' } });
    // Base settings that no longer validate are named as such.
    await t.host.services.db.query(`UPDATE installs SET settings = '{"weight": 99}' WHERE id = $1`, [ins.id]);
    expectError(await t.api(merchant, 'GET', `/v1/installs/${ins.id}/settings`), 400, 'TK_VALIDATION', '/settings/weight');
    expectError(await t.api(merchant, 'GET', `/v1/installs/${ins.id}/settings?storeId=weights-stale-store1`), 400, 'TK_VALIDATION', '/settings/weight');
  });
});

describe('concurrent changes to installs', () => {
  it('never leaves two active installs on an exclusive point when enable races an install', async () => {
    const merchants = ['race-enable-a', 'race-enable-b', 'race-enable-c'];
    const tokens = await Promise.all(merchants.map((id) => createMerchant(t, id)));
    const weights = await Promise.all(tokens.map((token) => install(token, '1.1.0')));
    for (let round = 1; round <= ROUNDS; round++) {
      await Promise.all(
        merchants.map(async (merchantId, i) => {
          const token = tokens[i]!;
          const weight = weights[i]!;
          await ok(t.api(token, 'POST', `/v1/installs/${weight.id}/disable`));
          const [enabled, installed] = await Promise.all([
            t.api(token, 'POST', `/v1/installs/${weight.id}/enable`),
            t.api(token, 'POST', '/v1/installs', { plugin: 'my-member-tiers', grantPermissions: ['member:read'] }),
          ]);
          // Exactly one wins; the other is told why.
          const outcome = `round ${round}: enable ${enabled.status} ${enabled.text} / install ${installed.status} ${installed.text}`;
          expect([enabled.status, installed.status], outcome).toSatisfy(([e, i]: number[]) => (e === 200 && i === 409) || (e === 409 && i === 201));
          expect(await activeOnTierPoint(merchantId), `round ${round}`).toBe(1);
          if (installed.status === 201) await ok(t.api(token, 'DELETE', `/v1/installs/${installed.body.id}`), 204);
        }),
      );
    }
  });

  it('never loses a settings change answered 200 while an upgrade of the same install runs', async () => {
    const merchants = ['race-settings-a', 'race-settings-b', 'race-settings-c'];
    const tokens = await Promise.all(merchants.map((id) => createMerchant(t, id)));
    const installs = await Promise.all(tokens.map((token) => install(token, '1.1.0', { weight: 1 })));
    for (let round = 1; round <= ROUNDS; round++) {
      const version = round % 2 === 1 ? '1.2.0' : '1.1.0';
      await Promise.all(
        tokens.map(async (token, i) => {
          const id = installs[i]!.id;
          const weight = 10 + round * 3 + i;
          const [upgraded, saved] = await Promise.all([upgrade(token, id, version), t.api(token, 'PUT', `/v1/installs/${id}/settings`, { weight })]);
          expect(upgraded.status, upgraded.text).toBe(200);
          expect(saved.status, saved.text).toBe(200);
          expect(await ok(t.api(token, 'GET', `/v1/installs/${id}`)), `round ${round}`).toMatchObject({ version, settings: { weight } });
        }),
      );
    }
  });
});

describe('merchant tiers on existing installs', () => {
  it('a merchant moved to a tier without the plugin cannot enable its install again; disabling still works', async () => {
    const admin = t.host.tokens.admin;
    await ok(t.api(admin, 'POST', '/v1/admin/merchant-tiers', { id: 'basic-no-plugins', name: 'Basic', allowedPlugins: [], allowedPoints: [] }));
    await ok(t.api(admin, 'POST', '/v1/admin/merchant-tiers', { id: 'basic-no-points', name: 'Basic points', allowedPlugins: null, allowedPoints: [] }));
    const merchant = await createMerchant(t, 'downgraded');
    const ins = await install(merchant, '1.1.0');
    await ok(t.api(merchant, 'POST', `/v1/installs/${ins.id}/disable`));

    for (const tierId of ['basic-no-plugins', 'basic-no-points']) {
      await ok(t.api(admin, 'POST', '/v1/admin/merchants', { id: 'downgraded', name: 'Merchant downgraded', tierId }));
      const refused = expectError(await t.api(merchant, 'POST', `/v1/installs/${ins.id}/enable`), 403, 'TK_FORBIDDEN');
      expect(refused.message).toMatch(/tier/);
      expect(await ok(t.api(merchant, 'GET', `/v1/installs/${ins.id}`))).toMatchObject({ status: 'disabled' });
      expect(await ok(t.api(merchant, 'POST', `/v1/installs/${ins.id}/disable`))).toMatchObject({ status: 'disabled' });
    }

    // Back on a tier that includes it, the install can be enabled again.
    await ok(t.api(admin, 'POST', '/v1/admin/merchants', { id: 'downgraded', name: 'Merchant downgraded', tierId: 'standard' }));
    expect(await ok(t.api(merchant, 'POST', `/v1/installs/${ins.id}/enable`))).toMatchObject({ status: 'active' });
  });

  it('an install its merchant\'s new tier leaves out stops serving calls and events, and serves again when the tier widens', async () => {
    const admin = t.host.tokens.admin;
    await ok(t.api(admin, 'POST', '/v1/admin/merchant-tiers', { id: 'narrow-no-plugins', name: 'Narrow', allowedPlugins: [], allowedPoints: null }));
    await ok(t.api(admin, 'POST', '/v1/admin/merchant-tiers', { id: 'narrow-no-points', name: 'Narrow points', allowedPlugins: null, allowedPoints: [] }));
    const merchant = await createMerchant(t, 'narrowed');
    await install(merchant, '1.1.0');
    await ok(t.api(merchant, 'POST', '/v1/installs', { plugin: 'test-kv-counter', grantPermissions: ['storage:kv'] }), 201);
    const call = () => ok(t.api(merchant, 'POST', '/v1/extensions/member.tier.compute/invoke', { input: tierInput() }));
    const paid = (id: string) => ok(t.api(merchant, 'POST', '/v1/events', { id, type: 'order.paid', data: orderPaidData({ orderId: id }) }), 202);
    expect(await call()).toMatchObject({ source: 'plugin', plugin: PLUGIN });
    expect(await paid('narrowed-1')).toMatchObject({ deliveries: 1 });

    await ok(t.api(admin, 'POST', '/v1/admin/merchants', { id: 'narrowed', name: 'Merchant narrowed', tierId: 'narrow-no-plugins' }));
    expect(await call()).toMatchObject({ source: 'platform', installId: null });
    expect(await paid('narrowed-2')).toMatchObject({ deliveries: 0 });
    // A tier without the point: the plugin is allowed, the call is not; events have no point to check.
    await ok(t.api(admin, 'POST', '/v1/admin/merchants', { id: 'narrowed', name: 'Merchant narrowed', tierId: 'narrow-no-points' }));
    expect(await call()).toMatchObject({ source: 'platform', installId: null });
    expect(await paid('narrowed-3')).toMatchObject({ deliveries: 1 });

    await ok(t.api(admin, 'POST', '/v1/admin/merchants', { id: 'narrowed', name: 'Merchant narrowed', tierId: 'standard' }));
    expect(await call()).toMatchObject({ source: 'plugin', plugin: PLUGIN });
    expect(await paid('narrowed-4')).toMatchObject({ deliveries: 1 });
  });
});
