// The host's HTTP API end to end, as its people use it: a developer deploys and submits, a reviewer
// reads the automated report and decides, merchants install, configure, override per store, invoke,
// publish events, watch logs and dead letters. A real host on a test database of its own, over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS } from '@tongkit/sdk';
import { collectRoutes, createDeveloper, createMerchant, expectError, expectErrorBody, kvValue, ok, publish, rowsOfInstall, startTestHost, tierInput, uploadOf, type TestHost, orderPaidData, orderRefundedData } from './helpers.js';

let t: TestHost;

beforeAll(async () => {
  t = await startTestHost({
    breaker: { windowCalls: 10, errorThreshold: 3, openMs: 60_000 },
    dispatch: { maxAttempts: 2, backoffMs: () => 0 },
  });
});

afterAll(async () => {
  await t?.close();
});

const invoke = (token: string, body: unknown) => t.api(token, 'POST', '/v1/extensions/member.tier.compute/invoke', body);
const drain = () => t.host.services.dispatcher.drain();

/** Publishes each plugin at most once per file, whichever test needs it first. */
const published = new Map<string, Promise<{ plugin: string; version: string }>>();
function approved(name: Parameters<typeof uploadOf>[0]): Promise<{ plugin: string; version: string }> {
  let done = published.get(name);
  if (!done) {
    done = uploadOf(name).then((upload) => publish(t, upload));
    published.set(name, done);
  }
  return done;
}

describe('review: deploy → automated report → submit → queue → decision', () => {
  it('deploys a draft with its report; submitted, it waits in the queue; the approval shows in the developer’s versions', async () => {
    const { developer, reviewer } = t.host.tokens;
    const upload = await uploadOf('template');
    const deployed = await ok(t.api(developer, 'POST', '/v1/versions', upload), 201);
    expect(deployed).toMatchObject({ plugin: 'my-member-tiers', version: '0.1.0', status: 'draft', sha256: upload.manifest.bundle.sha256, checksPassed: true });
    const report = deployed.report;
    expect(report.sha256).toBe(upload.manifest.bundle.sha256);
    expect(report.bundle).toEqual({ bytes: upload.manifest.bundle.bytes, limitBytes: 256 * 1024 });
    expect(report.checks.map((c: { id: string; ok: boolean }) => [c.id, c.ok])).toEqual([
      ['loads', true],
      ['bundle-size', true],
      ['fixtures', true],
      ['deterministic', true],
      ['permissions-declared', true],
    ]);
    expect(report.fixtures).toMatchObject({ total: upload.fixtures!.length, passed: upload.fixtures!.length, failed: 0, stateful: 0 });
    expect(report.permissions).toEqual([{ permission: 'member:read', consent: PERMISSIONS['member:read'].consent, status: 'used' }]);
    expect(report.declared.points).toEqual(['member.tier.compute']);
    expect(report.diff.against).toBeNull();
    expect(report.passed).toBe(true);

    // Drafts are the developer's own: not in the queue, not visible to reviewers yet.
    expect((await ok(t.api(reviewer, 'GET', '/v1/review/queue'))).items).toEqual([]);
    expectError(await t.api(reviewer, 'GET', '/v1/plugins/my-member-tiers/versions/0.1.0'), 404, 'TK_NOT_FOUND');

    const submitted = await ok(t.api(developer, 'POST', '/v1/plugins/my-member-tiers/versions/0.1.0/submit', {}));
    expect(submitted).toMatchObject({ status: 'submitted', submittedAt: expect.any(String) });
    const queue = (await ok(t.api(reviewer, 'GET', '/v1/review/queue'))).items;
    expect(queue.map((v: { plugin: string; version: string; status: string }) => `${v.plugin}@${v.version}:${v.status}`)).toEqual(['my-member-tiers@0.1.0:submitted']);
    const forReview = await ok(t.api(reviewer, 'GET', '/v1/plugins/my-member-tiers/versions/0.1.0'));
    expect(forReview.report.permissions[0].status).toBe('used');

    const decided = await ok(t.api(reviewer, 'POST', '/v1/plugins/my-member-tiers/versions/0.1.0/approve', { comment: 'clear rules, good fixtures' }));
    expect(decided).toMatchObject({ status: 'approved', reviewedBy: 'reviewer:reviewer', reviewComment: 'clear rules, good fixtures', reviewedAt: expect.any(String) });
    expect((await ok(t.api(reviewer, 'GET', '/v1/review/queue'))).items).toEqual([]);

    const mine = (await ok(t.api(developer, 'GET', '/v1/versions?plugin=my-member-tiers'))).items;
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ plugin: 'my-member-tiers', version: '0.1.0', status: 'approved', reviewComment: 'clear rules, good fixtures', checksPassed: true });
    expect((await ok(t.api(developer, 'GET', '/v1/versions?status=approved'))).items.map((v: { plugin: string }) => v.plugin)).toContain('my-member-tiers');
    expect((await ok(t.api(developer, 'GET', '/v1/versions?status=draft'))).items.map((v: { plugin: string }) => v.plugin)).not.toContain('my-member-tiers');
    published.set('template', Promise.resolve({ plugin: 'my-member-tiers', version: '0.1.0' }));
  });

  it('reports each permission asked as used, unused or unverified', async () => {
    const { developer } = t.host.tokens;
    const findings = async (name: Parameters<typeof uploadOf>[0]) => {
      const deployed = await ok(t.api(developer, 'POST', '/v1/versions', await uploadOf(name)), 201);
      return deployed.report as { permissions: Array<{ permission: string; status: string; consent: string }>; scan: { unverified: boolean; notes: string[] }; undeclaredUse: string[] };
    };

    // Asks for messages:send and never sends: unused (the scan saw all of the code).
    const unused = await findings('unusedPermission');
    expect(unused.scan.unverified).toBe(false);
    expect(unused.permissions.map((p) => [p.permission, p.status])).toEqual([
      ['member:read', 'used'],
      ['messages:send', 'unused'],
    ]);
    expect(unused.permissions[1]!.consent).toBe(PERMISSIONS['messages:send'].consent);

    // Reaches ctx.kv through a computed property: not seen, but not provably unused either.
    const hidden = await findings('unverifiedKv');
    expect(hidden.scan.unverified).toBe(true);
    expect(hidden.scan.notes.join('\n')).toMatch(/computed property/);
    expect(hidden.permissions.map((p) => [p.permission, p.status])).toEqual([['storage:kv', 'unverified']]);

    // Calls ctx.kv.increment plainly: used.
    const counter = await findings('kvCounter');
    expect(counter.scan.unverified).toBe(false);
    expect(counter.permissions.map((p) => [p.permission, p.status])).toEqual([['storage:kv', 'used']]);
    expect(counter.undeclaredUse).toEqual([]);
  });

  it('a rejection needs a comment; the developer sees the rejection and its comment', async () => {
    const { developer, reviewer } = t.host.tokens;
    await ok(t.api(developer, 'POST', '/v1/versions', await uploadOf('unusedPermission')), 201);
    await ok(t.api(developer, 'POST', '/v1/plugins/test-unused-permission/versions/1.0.0/submit', {}));
    const reject = (body: unknown) => t.api(reviewer, 'POST', '/v1/plugins/test-unused-permission/versions/1.0.0/reject', body);

    expectError(await reject({}), 400, 'TK_VALIDATION', '/comment');
    expectError(await reject({ comment: '   ' }), 400, 'TK_VALIDATION', '/comment');
    expect((await ok(t.api(developer, 'GET', '/v1/versions?plugin=test-unused-permission'))).items[0].status).toBe('submitted');

    const comment = 'messages:send is asked for but never used: drop it and deploy a new version';
    expect(await ok(reject({ comment }))).toMatchObject({ status: 'rejected', reviewComment: comment, reviewedBy: 'reviewer:reviewer' });
    const seen = (await ok(t.api(developer, 'GET', '/v1/versions?plugin=test-unused-permission'))).items;
    expect(seen).toEqual([expect.objectContaining({ version: '1.0.0', status: 'rejected', reviewComment: comment })]);

    // A decision is final: no approval afterwards, no resubmission of the same version.
    expectError(await t.api(reviewer, 'POST', '/v1/plugins/test-unused-permission/versions/1.0.0/approve', { comment: 'changed my mind' }), 409, 'TK_CONFLICT');
    expectError(await t.api(developer, 'POST', '/v1/plugins/test-unused-permission/versions/1.0.0/submit', {}), 409, 'TK_CONFLICT');
  });

  it('deploying the same bytes twice is idempotent; other code under the same version is a conflict', async () => {
    const { developer } = t.host.tokens;
    const upload = await uploadOf('kvCounter');
    const first = await ok(t.api(developer, 'POST', '/v1/versions', upload), 201);
    await ok(t.api(developer, 'POST', '/v1/plugins/test-kv-counter/versions/1.0.0/submit', {}));
    const again = await ok(t.api(developer, 'POST', '/v1/versions', upload), 201);
    expect(again).toMatchObject({ plugin: 'test-kv-counter', version: '1.0.0', sha256: first.sha256, createdAt: first.createdAt, status: 'submitted' });

    // The same plugin and version, built unminified: other bytes.
    const other = await uploadOf('kvCounter', { minify: false });
    expect(other.manifest.bundle.sha256).not.toBe(upload.manifest.bundle.sha256);
    const conflict = expectError(await t.api(developer, 'POST', '/v1/versions', other), 409, 'TK_CONFLICT');
    expect(conflict.message).toMatch(/test-kv-counter@1\.0\.0/);
    expect(conflict.hint).toMatch(/bump/i);

    const versions = (await ok(t.api(developer, 'GET', '/v1/versions?plugin=test-kv-counter'))).items;
    expect(versions).toEqual([expect.objectContaining({ version: '1.0.0', sha256: first.sha256, status: 'submitted' })]);
  });

  it('another developer cannot deploy, submit or read under a plugin name it does not own', async () => {
    const { developer } = t.host.tokens;
    const other = await createDeveloper(t, 'rival-isv');
    await ok(t.api(developer, 'POST', '/v1/versions', await uploadOf('failingTiers')), 201);

    const taken = expectError(await t.api(other, 'POST', '/v1/versions', await uploadOf('failingTiers')), 403, 'TK_FORBIDDEN');
    expect(taken.message).toMatch(/test-failing-tiers/);
    expectError(await t.api(other, 'POST', '/v1/versions', await uploadOf('failingTiers', { minify: false })), 403, 'TK_FORBIDDEN');
    // Another developer's version answers like none at all (the name itself is taken, as deploy says).
    expectError(await t.api(other, 'POST', '/v1/plugins/test-failing-tiers/versions/1.0.0/submit', {}), 404, 'TK_NOT_FOUND');
    expectError(await t.api(other, 'GET', '/v1/plugins/test-failing-tiers/versions/1.0.0'), 404, 'TK_NOT_FOUND');
    expect((await ok(t.api(other, 'GET', '/v1/versions'))).items).toEqual([]);
    // Still the first developer's draft, unchanged.
    expect(await ok(t.api(developer, 'GET', '/v1/plugins/test-failing-tiers/versions/1.0.0'))).toMatchObject({ status: 'draft' });
  });

  it('the report of a new version shows what changed since the last approved one', async () => {
    await approved('upgradeV1');
    const deployed = await ok(t.api(t.host.tokens.developer, 'POST', '/v1/versions', await uploadOf('upgradeV2')), 201);
    expect(deployed.report.diff).toMatchObject({
      against: '1.0.0',
      permissionsAdded: ['storage:kv'],
      permissionsRemoved: [],
      eventsAdded: ['order.paid'],
      pointsAdded: [],
      settingsChanged: false,
    });
  });
});

describe('installs, settings and per-store overrides', () => {
  it('a live merchant installs approved versions only; a development merchant may install drafts', async () => {
    const { developer, devMerchant } = t.host.tokens;
    await ok(t.api(developer, 'POST', '/v1/versions', await uploadOf('failingTiers')), 201);
    const live = await createMerchant(t, 'live-draft');

    // A public draft is not for a live merchant to see: it answers like a version that does not exist.
    const refused = expectError(await t.api(live, 'POST', '/v1/installs', { plugin: 'test-failing-tiers', version: '1.0.0', grantPermissions: ['member:read'] }), 404, 'TK_NOT_FOUND');
    expect(refused.message).toBe('no version test-failing-tiers@1.0.0');
    // Without a version, the newest approved one is meant: there is none.
    expectError(await t.api(live, 'POST', '/v1/installs', { plugin: 'test-failing-tiers', grantPermissions: ['member:read'] }), 404, 'TK_NOT_FOUND', '/plugin');
    // Submitted is not approved either.
    await ok(t.api(developer, 'POST', '/v1/versions', await uploadOf('unverifiedKv')), 201);
    await ok(t.api(developer, 'POST', '/v1/plugins/test-unverified-kv/versions/1.0.0/submit', {}));
    expectError(await t.api(live, 'POST', '/v1/installs', { plugin: 'test-unverified-kv', version: '1.0.0', grantPermissions: ['storage:kv'] }), 404, 'TK_NOT_FOUND');
    expect((await ok(t.api(live, 'GET', '/v1/installs'))).items).toEqual([]);
    // The catalog lists what each may install without naming a version (what `tongkit install --yes` consents to).
    const plugins = async (token: string) => (await ok(t.api(token, 'GET', '/v1/catalog'))).items.map((p: { plugin: string; status: string }) => `${p.plugin}:${p.status}`);
    expect(await plugins(live)).not.toContain('test-failing-tiers:draft');
    expect(await plugins(devMerchant)).toEqual(expect.arrayContaining(['test-failing-tiers:draft', 'test-unverified-kv:submitted']));

    const installed = await ok(t.api(devMerchant, 'POST', '/v1/installs', { plugin: 'test-failing-tiers', grantPermissions: ['member:read'] }), 201);
    expect(installed).toMatchObject({ merchantId: 'dev-merchant', plugin: 'test-failing-tiers', version: '1.0.0', status: 'active', enabledPoints: ['member.tier.compute'] });
  });

  it('installing needs consent to every permission the plugin asks for', async () => {
    await approved('template');
    const merchant = await createMerchant(t, 'consent');
    const missing = expectError(await t.api(merchant, 'POST', '/v1/installs', { plugin: 'my-member-tiers', grantPermissions: [] }), 400, 'TK_VALIDATION', '/grantPermissions');
    expect(missing.message).toMatch(/member:read/);
    expect(missing.details).toEqual({ consentTexts: { 'member:read': PERMISSIONS['member:read'].consent } });
    expect((await ok(t.api(merchant, 'GET', '/v1/installs'))).items).toEqual([]);

    const installed = await ok(t.api(merchant, 'POST', '/v1/installs', { plugin: 'my-member-tiers', grantPermissions: ['member:read'] }), 201);
    expect(installed).toMatchObject({ version: '0.1.0', grantedPermissions: ['member:read'], settings: {} });
  });

  it('validates settings against the plugin’s schema, with the JSON path of the bad value', async () => {
    await approved('template');
    const merchant = await createMerchant(t, 'settings');
    const install = (settings: unknown) => t.api(merchant, 'POST', '/v1/installs', { plugin: 'my-member-tiers', grantPermissions: ['member:read'], settings });
    expectError(await install({ goldAtFen: -1 }), 400, 'TK_VALIDATION', '/settings/goldAtFen');
    expectError(await install({ goldAtFen: 'a lot' }), 400, 'TK_VALIDATION', '/settings/goldAtFen');
    expectError(await install({ goldAtFen: 1.5 }), 400, 'TK_VALIDATION', '/settings/goldAtFen');

    const installed = await ok(install({ goldAtFen: 300_000 }), 201);
    expect(installed.settings).toEqual({ goldAtFen: 300_000 });
    expectError(await t.api(merchant, 'PUT', `/v1/installs/${installed.id}/settings`, { silverAtFen: -5 }), 400, 'TK_VALIDATION', '/settings/silverAtFen');
    expect((await ok(t.api(merchant, 'GET', `/v1/installs/${installed.id}`))).settings).toEqual({ goldAtFen: 300_000 });
    const replaced = await ok(t.api(merchant, 'PUT', `/v1/installs/${installed.id}/settings`, { goldAtFen: 400_000, silverAtFen: 50_000 }));
    expect(replaced.settings).toEqual({ goldAtFen: 400_000, silverAtFen: 50_000 });
  });

  it('merges a store’s override with the install’s settings, validates the result, and serves each store its effective settings', async () => {
    await approved('template');
    const merchant = await createMerchant(t, 'stores', { stores: ['stores-sh', 'stores-bj'] });
    await createMerchant(t, 'elsewhere', { stores: ['elsewhere-gz'] });
    const ins = await ok(t.api(merchant, 'POST', '/v1/installs', { plugin: 'my-member-tiers', grantPermissions: ['member:read'], settings: { goldAtFen: 300_000 } }), 201);
    const override = (store: string, patch: unknown) => t.api(merchant, 'PUT', `/v1/installs/${ins.id}/stores/${store}/settings`, patch);

    expect((await ok(override('stores-sh', { goldAtFen: 700_000 }))).storeOverrides).toEqual({ 'stores-sh': { goldAtFen: 700_000 } });
    // The merged settings must be valid: the error names the store's override.
    expectError(await override('stores-sh', { silverAtFen: 'cheap' }), 400, 'TK_VALIDATION', '/storeOverrides/stores-sh/silverAtFen');
    expectError(await override('stores-bj', { goldAtFen: -1 }), 400, 'TK_VALIDATION', '/storeOverrides/stores-bj/goldAtFen');
    // Only the merchant's own stores.
    expectError(await override('elsewhere-gz', { goldAtFen: 1 }), 404, 'TK_NOT_FOUND');
    expect((await ok(t.api(merchant, 'GET', `/v1/installs/${ins.id}`))).storeOverrides).toEqual({ 'stores-sh': { goldAtFen: 700_000 } });

    const effective = (query: string) => ok(t.api(merchant, 'GET', `/v1/installs/${ins.id}/settings${query}`));
    expect(await effective('')).toEqual({ goldAtFen: 300_000, silverAtFen: 100_000 });
    expect(await effective('?storeId=stores-sh')).toEqual({ goldAtFen: 700_000, silverAtFen: 100_000 });
    expect(await effective('?storeId=stores-bj')).toEqual({ goldAtFen: 300_000, silverAtFen: 100_000 });

    // The store's invocations see its settings: ¥3,500 is gold at the install's ¥3,000, silver at ¥7,000.
    expect((await ok(invoke(merchant, { input: tierInput(350_000) }))).output.tierId).toBe('gold');
    expect((await ok(invoke(merchant, { input: tierInput(350_000), storeId: 'stores-bj' }))).output.tierId).toBe('gold');
    expect((await ok(invoke(merchant, { input: tierInput(350_000), storeId: 'stores-sh' }))).output.tierId).toBe('silver');

    // The override is a JSON Merge Patch over the install's settings: null removes the install's value for
    // that store (the default applies there); PUT replaces the store's patch; a null body removes it.
    expect((await ok(override('stores-sh', { goldAtFen: null }))).storeOverrides).toEqual({ 'stores-sh': { goldAtFen: null } });
    expect(await effective('?storeId=stores-sh')).toEqual({ goldAtFen: 500_000, silverAtFen: 100_000 });
    expect((await ok(t.api(merchant, 'PUT', `/v1/installs/${ins.id}/stores/stores-sh/settings`, null))).storeOverrides).toEqual({});
    expect(await effective('?storeId=stores-sh')).toEqual({ goldAtFen: 300_000, silverAtFen: 100_000 });
  });

  it('an exclusive point is served by one install per merchant', async () => {
    // A development merchant, so the example needs no review here (its report is not what this is about).
    await approved('template');
    await ok(t.api(t.host.tokens.developer, 'POST', '/v1/versions', await uploadOf('example')), 201);
    const merchant = await createMerchant(t, 'exclusive', { development: true });
    const first = await ok(t.api(merchant, 'POST', '/v1/installs', { plugin: 'my-member-tiers', grantPermissions: ['member:read'] }), 201);

    const conflict = expectError(await t.api(merchant, 'POST', '/v1/installs', { plugin: 'member-tiers', grantPermissions: ['member:read'] }), 409, 'TK_CONFLICT');
    expect(conflict.message).toMatch(/member\.tier\.compute.*my-member-tiers/);
    expect((await ok(t.api(merchant, 'GET', '/v1/installs'))).items.map((i: { plugin: string }) => i.plugin)).toEqual(['my-member-tiers']);

    // Installed without the point, it may sit next to the first; the first keeps serving.
    const second = await ok(t.api(merchant, 'POST', '/v1/installs', { plugin: 'member-tiers', grantPermissions: ['member:read'], enablePoints: [] }), 201);
    expect(second.enabledPoints).toEqual([]);
    expect(await ok(invoke(merchant, { input: tierInput() }))).toMatchObject({ source: 'plugin', installId: first.id });
    // Another merchant is not affected by this one's installs.
    const neighbour = await createMerchant(t, 'exclusive-neighbour', { development: true });
    await ok(t.api(neighbour, 'POST', '/v1/installs', { plugin: 'member-tiers', grantPermissions: ['member:read'] }), 201);
  });
});

describe('extension invocations, fallbacks and the circuit breaker', () => {
  it('returns the plugin’s decision and logs the invocation', async () => {
    await approved('template');
    const merchant = await createMerchant(t, 'invoker');
    const ins = await ok(t.api(merchant, 'POST', '/v1/installs', { plugin: 'my-member-tiers', grantPermissions: ['member:read'] }), 201);
    const decision = await ok(invoke(merchant, { input: tierInput(600_000) }));
    expect(decision).toMatchObject({
      point: 'member.tier.compute',
      source: 'plugin',
      output: { tierId: 'gold', reason: '12-month spend ¥6,000.00' },
      installId: ins.id,
      plugin: 'my-member-tiers',
      error: null,
      invocationId: expect.stringMatching(/^inv_/),
    });
    expect(decision.measurements.cpuMicros).toBeGreaterThan(0);

    const logs = (await ok(t.api(merchant, 'GET', '/v1/logs'))).items;
    expect(logs).toEqual([expect.objectContaining({ kind: 'invocation', invocationId: decision.invocationId, installId: ins.id, fallback: false, errorCode: null, level: 'info' })]);
  });

  it('a failing plugin gets the point’s fallback, with its error, and the fallback is logged for merchant and developer', async () => {
    const merchant = await createMerchant(t, 'fallback-dev', { development: true });
    await ok(t.api(t.host.tokens.developer, 'POST', '/v1/versions', await uploadOf('failingTiers')), 201);
    const ins = await ok(t.api(merchant, 'POST', '/v1/installs', { plugin: 'test-failing-tiers', grantPermissions: ['member:read'] }), 201);

    const res = await invoke(merchant, { input: tierInput(900_000, 'm_fall01') });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      source: 'fallback',
      installId: ins.id,
      plugin: 'test-failing-tiers',
      // member.tier.compute's fallback keeps the current tier.
      output: { tierId: 'silver', expiresAt: null, reason: 'platform default: tier unchanged' },
      error: { code: 'TK_PLUGIN_ERROR', fault: 'plugin' },
    });
    expect(res.body.error.message).toMatch(/cannot compute a tier for m_fall01/);
    // The plugin's whole stack shows the ISV's sources: not for the merchant's caller (the message keeps the throwing frame).
    expect(res.body.error.details?.stack).toBeUndefined();
    expect(JSON.stringify(res.body)).not.toMatch(/\\n\s+at /);

    const entry = expect.objectContaining({
      kind: 'invocation',
      invocationId: res.body.invocationId,
      installId: ins.id,
      fallback: true,
      errorCode: 'TK_PLUGIN_ERROR',
      level: 'error',
      message: expect.stringMatching(/TK_PLUGIN_ERROR.*fallback applied/),
    });
    expect((await ok(t.api(merchant, 'GET', '/v1/logs'))).items).toEqual([entry]);
    // The ISV sees its plugin's failures across merchants.
    expect((await ok(t.api(t.host.tokens.developer, 'GET', '/v1/logs?plugin=test-failing-tiers&merchantId=fallback-dev'))).items).toEqual([entry]);
  });

  it('opens the circuit breaker after the error threshold: the fallback applies without running the plugin', async () => {
    const merchant = await createMerchant(t, 'breaker-dev', { development: true });
    await ok(t.api(t.host.tokens.developer, 'POST', '/v1/versions', await uploadOf('failingTiers')), 201);
    const ins = await ok(t.api(merchant, 'POST', '/v1/installs', { plugin: 'test-failing-tiers', grantPermissions: ['member:read'] }), 201);

    // errorThreshold: 3 — three failures run the plugin and open the breaker.
    for (let call = 1; call <= 3; call++) {
      const decision = await ok(invoke(merchant, { input: tierInput() }));
      expect(decision, `call ${call}`).toMatchObject({ source: 'fallback', error: { code: 'TK_PLUGIN_ERROR' } });
      expect(decision.measurements, `call ${call}`).not.toBeNull();
    }
    expect(await t.host.services.extensions.breaker(ins.id, 'member.tier.compute')).toMatchObject({ status: 'open' });

    const stats = t.host.services.runtime.stats();
    const runsBefore = stats.warmHits + stats.coldStarts;
    for (let call = 4; call <= 5; call++) {
      const decision = await ok(invoke(merchant, { input: tierInput() }));
      expect(decision, `call ${call}`).toMatchObject({
        source: 'fallback',
        output: { tierId: 'silver', reason: 'platform default: tier unchanged' },
        error: { code: 'TK_CIRCUIT_OPEN' },
        measurements: null,
      });
      expect(decision.error.message).toMatch(/paused/);
    }
    const after = t.host.services.runtime.stats();
    expect(after.warmHits + after.coldStarts).toBe(runsBefore);

    const logs = (await ok(t.api(merchant, 'GET', '/v1/logs'))).items as Array<{ errorCode: string; fallback: boolean }>;
    expect(logs.map((l) => [l.errorCode, l.fallback])).toEqual([
      ['TK_CIRCUIT_OPEN', true],
      ['TK_CIRCUIT_OPEN', true],
      ['TK_PLUGIN_ERROR', true],
      ['TK_PLUGIN_ERROR', true],
      ['TK_PLUGIN_ERROR', true],
    ]);
  });

  it('a disabled install is not invoked: the platform decides until it is enabled again', async () => {
    await approved('template');
    const merchant = await createMerchant(t, 'disabler');
    const ins = await ok(t.api(merchant, 'POST', '/v1/installs', { plugin: 'my-member-tiers', grantPermissions: ['member:read'] }), 201);
    expect((await ok(invoke(merchant, { input: tierInput(600_000) }))).source).toBe('plugin');

    expect(await ok(t.api(merchant, 'POST', `/v1/installs/${ins.id}/disable`, {}))).toMatchObject({ status: 'disabled' });
    expect(await ok(invoke(merchant, { input: tierInput(600_000) }))).toMatchObject({
      source: 'platform',
      installId: null,
      plugin: null,
      error: null,
      output: { tierId: 'silver', reason: 'platform default: tier unchanged' },
    });

    expect(await ok(t.api(merchant, 'POST', `/v1/installs/${ins.id}/enable`, {}))).toMatchObject({ status: 'active' });
    expect(await ok(invoke(merchant, { input: tierInput(600_000) }))).toMatchObject({ source: 'plugin', output: { tierId: 'gold' } });
  });

  it('an upgrade asking for a new permission waits for consent; rollback pins the previous version', async () => {
    await approved('upgradeV1');
    await approved('upgradeV2');
    const merchant = await createMerchant(t, 'upgrader');
    const ins = await ok(t.api(merchant, 'POST', '/v1/installs', { plugin: 'test-upgrade-tiers', version: '1.0.0', grantPermissions: ['member:read'] }), 201);
    const reason = async () => (await ok(invoke(merchant, { input: tierInput() }))).output.reason as string;
    expect(await reason()).toBe('decided by v1');
    expectError(await t.api(merchant, 'POST', `/v1/installs/${ins.id}/rollback`, {}), 409, 'TK_CONFLICT');

    const waiting = await ok(t.api(merchant, 'POST', `/v1/installs/${ins.id}/upgrade`, { version: '2.0.0' }));
    expect(waiting).toMatchObject({ version: '1.0.0', pendingVersion: '2.0.0', grantedPermissions: ['member:read'] });
    expect(await reason()).toBe('decided by v1');

    const upgraded = await ok(t.api(merchant, 'POST', `/v1/installs/${ins.id}/upgrade`, { version: '2.0.0', consent: ['storage:kv'] }));
    expect(upgraded).toMatchObject({ version: '2.0.0', previousVersion: '1.0.0', pendingVersion: null, enabledEvents: ['order.paid'] });
    expect([...upgraded.grantedPermissions].sort()).toEqual(['member:read', 'storage:kv']);
    expect(await reason()).toBe('decided by v2');

    const rolledBack = await ok(t.api(merchant, 'POST', `/v1/installs/${ins.id}/rollback`, {}));
    expect(rolledBack).toMatchObject({ version: '1.0.0', previousVersion: '2.0.0', pendingVersion: null, enabledEvents: [] });
    expect(await reason()).toBe('decided by v1');
  });

  it('uninstalling purges the plugin’s KV storage', async () => {
    await approved('kvCounter');
    const merchant = await createMerchant(t, 'uninstaller');
    const ins = await ok(t.api(merchant, 'POST', '/v1/installs', { plugin: 'test-kv-counter', grantPermissions: ['storage:kv'] }), 201);
    await ok(t.api(merchant, 'POST', '/v1/events', { id: 'evt-uninstall-1', type: 'order.paid', data: orderPaidData({ orderId: 'o-1' }) }), 202);
    await drain();
    expect(await kvValue(t, ins.id, 'paid')).toBe(1);
    expect(await rowsOfInstall(t, 'idempotency_keys', ins.id)).toBe(1);

    const res = await t.api(merchant, 'DELETE', `/v1/installs/${ins.id}`);
    expect(res.status).toBe(204);
    expect(await rowsOfInstall(t, 'plugin_kv', ins.id)).toBe(0);
    expect(await rowsOfInstall(t, 'idempotency_keys', ins.id)).toBe(0);
    expectError(await t.api(merchant, 'GET', `/v1/installs/${ins.id}`), 404, 'TK_NOT_FOUND');
    expectError(await t.api(merchant, 'DELETE', `/v1/installs/${ins.id}`), 404, 'TK_NOT_FOUND');
  });
});

describe('events', () => {
  it('delivers an event to the merchant’s subscribed installs once; the same event id again changes nothing', async () => {
    await approved('kvCounter');
    const merchant = await createMerchant(t, 'events-a');
    const neighbour = await createMerchant(t, 'events-b');
    const ins = await ok(t.api(merchant, 'POST', '/v1/installs', { plugin: 'test-kv-counter', grantPermissions: ['storage:kv'] }), 201);
    const theirs = await ok(t.api(neighbour, 'POST', '/v1/installs', { plugin: 'test-kv-counter', grantPermissions: ['storage:kv'] }), 201);

    const event = { id: 'evt-paid-1', type: 'order.paid', data: orderPaidData({ orderId: 'o-1', amountFen: 12_900 }) };
    expect(await ok(t.api(merchant, 'POST', '/v1/events', event), 202)).toEqual({ id: 'evt-paid-1', type: 'order.paid', merchantId: 'events-a', deliveries: 1, duplicate: false });
    await drain();
    expect(await kvValue(t, ins.id, 'paid')).toBe(1);

    expect(await ok(t.api(merchant, 'POST', '/v1/events', event), 202)).toMatchObject({ id: 'evt-paid-1', duplicate: true, deliveries: 1 });
    await drain();
    expect(await kvValue(t, ins.id, 'paid')).toBe(1);
    // At least once: should the delivery run again, the handler's idempotency key keeps the count.
    await t.host.services.db.query(`UPDATE deliveries SET status = 'pending', next_attempt_at = now() WHERE event_id = 'evt-paid-1'`);
    await drain();
    expect(await kvValue(t, ins.id, 'paid')).toBe(1);

    // The same id for another event is refused; a new id counts again.
    expectError(await t.api(merchant, 'POST', '/v1/events', { id: 'evt-paid-1', type: 'order.refunded', data: orderRefundedData() }), 409, 'TK_CONFLICT', '/id');
    const generated = await ok(t.api(merchant, 'POST', '/v1/events', { type: 'order.paid', data: orderPaidData({ orderId: 'o-2' }) }), 202);
    expect(generated.id).toMatch(/^evt_/);
    await drain();
    expect(await kvValue(t, ins.id, 'paid')).toBe(2);
    // Events unsubscribed by the plugin reach nobody; the other merchant's install saw nothing.
    expect(await ok(t.api(merchant, 'POST', '/v1/events', { type: 'member.registered', data: { memberId: 'mem_events0000000000000000', channel: 'online', storeId: null, registeredAt: '2026-11-25T08:00:00.000Z' } }), 202)).toMatchObject({ deliveries: 0 });
    expect(await kvValue(t, theirs.id, 'paid')).toBeUndefined();
  });

  it('dead-letters a delivery whose handler keeps failing after maxAttempts, and replays it on request', async () => {
    await approved('kvCounter');
    const merchant = await createMerchant(t, 'dead-letters');
    const ins = await ok(t.api(merchant, 'POST', '/v1/installs', { plugin: 'test-kv-counter', grantPermissions: ['storage:kv'], settings: { failPaid: true } }), 201);
    await ok(t.api(merchant, 'POST', '/v1/events', { id: 'evt-dead-1', type: 'order.paid', data: orderPaidData({ orderId: 'o-9' }) }), 202);
    await drain();

    const dead = (await ok(t.api(merchant, 'GET', '/v1/deliveries/dead'))).items;
    expect(dead).toEqual([
      expect.objectContaining({ eventId: 'evt-dead-1', installId: ins.id, type: 'order.paid', attempts: 2, lastError: expect.objectContaining({ code: 'TK_PLUGIN_ERROR' }) }),
    ]);
    expect(dead[0].lastError.message).toMatch(/failPaid/);
    expect(await kvValue(t, ins.id, 'paid')).toBeUndefined();
    const failures = (await ok(t.api(merchant, 'GET', '/v1/logs'))).items.map((l: { message: string }) => l.message);
    expect(failures).toEqual([expect.stringMatching(/attempt 2 failed.*dead-lettered/), expect.stringMatching(/attempt 1 failed/)]);

    // The merchant fixes the cause and replays.
    await ok(t.api(merchant, 'PUT', `/v1/installs/${ins.id}/settings`, { failPaid: false }));
    expect(await ok(t.api(merchant, 'POST', `/v1/deliveries/evt-dead-1/${ins.id}/replay`, {}))).toEqual({ eventId: 'evt-dead-1', installId: ins.id, status: 'pending' });
    await drain();
    expect((await ok(t.api(merchant, 'GET', '/v1/deliveries/dead'))).items).toEqual([]);
    expect(await kvValue(t, ins.id, 'paid')).toBe(1);
    expectError(await t.api(merchant, 'POST', `/v1/deliveries/evt-nothing/${ins.id}/replay`, {}), 404, 'TK_NOT_FOUND');
  });

  it('an event published in a transaction that rolls back is never delivered (transactional outbox)', async () => {
    await approved('kvCounter');
    const merchant = await createMerchant(t, 'outbox');
    const ins = await ok(t.api(merchant, 'POST', '/v1/installs', { plugin: 'test-kv-counter', grantPermissions: ['storage:kv'] }), 201);
    const { db, dispatcher } = t.host.services;

    await expect(
      db.transaction(async (tx) => {
        const published = await dispatcher.publishIn(tx, 'outbox', { id: 'evt-outbox-1', type: 'order.paid', data: { orderId: 'o-1' } });
        expect(published.deliveries).toBe(1);
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    await drain();
    expect(await kvValue(t, ins.id, 'paid')).toBeUndefined();
    expect((await db.query('SELECT 1 FROM events WHERE id = $1', ['evt-outbox-1'])).rowCount).toBe(0);
    expect(await rowsOfInstall(t, 'deliveries', ins.id)).toBe(0);

    // The same write committed is delivered: the id was never taken.
    await db.transaction((tx) => dispatcher.publishIn(tx, 'outbox', { id: 'evt-outbox-1', type: 'order.paid', data: { orderId: 'o-1' } }));
    await drain();
    expect(await kvValue(t, ins.id, 'paid')).toBe(1);
  });

  it('an events-only plugin passes review and runs for a live merchant', async () => {
    // No extension points, so no fixtures to run: nothing blocks approval.
    const deployed = await ok(t.api(t.host.tokens.developer, 'POST', '/v1/versions', await uploadOf('kvCounter')), 201);
    expect(deployed.manifest.extensions).toEqual([]);
    expect(deployed.report.checks.find((c: { id: string }) => c.id === 'fixtures')).toMatchObject({ ok: true });
    expect(deployed.checksPassed).toBe(true);
    await approved('kvCounter');
    expect((await ok(t.api(await createMerchant(t, 'events-live'), 'GET', '/v1/catalog'))).items.map((p: { plugin: string }) => p.plugin)).toContain('test-kv-counter');
  });
});

describe('request validation and error bodies', () => {
  let merchant: string;
  beforeAll(async () => {
    merchant = await createMerchant(t, 'validation');
  });

  it('a missing field is TK_VALIDATION with its path', async () => {
    expectError(await t.api(merchant, 'POST', '/v1/installs', { plugin: 'my-member-tiers' }), 400, 'TK_VALIDATION', '/grantPermissions');
  });

  it('a value of the wrong type is TK_VALIDATION with its path', async () => {
    expectError(await t.api(t.host.tokens.admin, 'POST', '/v1/admin/merchants', { id: 'typed', name: 'Typed', tierId: 5 }), 400, 'TK_VALIDATION', '/tierId');
    expectError(await t.api(merchant, 'POST', '/v1/installs', { plugin: 'my-member-tiers', grantPermissions: ['member:everything'] }), 400, 'TK_VALIDATION', '/grantPermissions/0');
  });

  it('an unexpected property is TK_VALIDATION with its path', async () => {
    expectError(await t.api(merchant, 'POST', '/v1/installs', { plugin: 'my-member-tiers', grantPermissions: [], surprise: true }), 400, 'TK_VALIDATION', '/surprise');
  });

  it('bad query strings and path parameters are TK_VALIDATION with their paths', async () => {
    expectError(await t.api(merchant, 'GET', '/v1/logs?limit=0'), 400, 'TK_VALIDATION', '/querystring/limit');
    expectError(await t.api(merchant, 'POST', '/v1/extensions/member.tier.guess/invoke', { input: tierInput() }), 400, 'TK_VALIDATION', '/params/point');
  });

  it('an invalid extension input is TK_VALIDATION with the path inside the request body', async () => {
    const input = tierInput();
    const res = await invoke(merchant, { input: { ...input, member: { ...input.member, orderCount12m: -1 } } });
    expectError(res, 400, 'TK_VALIDATION', '/input/member/orderCount12m');
  });

  it('a body that is not JSON is TK_VALIDATION', async () => {
    const res = await t.api(merchant, 'POST', '/v1/installs', undefined, { raw: '{"plugin": "my-member-tiers",' });
    expectError(res, 400, 'TK_VALIDATION', '/');
    const wrongType = await t.api(merchant, 'POST', '/v1/installs', undefined, { raw: 'plugin=my-member-tiers', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expectError(wrongType, 400, 'TK_VALIDATION', '/headers/content-type');
  });

  it('an oversized body is TK_VALIDATION', async () => {
    const res = await t.api(merchant, 'POST', '/v1/installs', { plugin: 'my-member-tiers', grantPermissions: [], settings: { padding: 'x'.repeat(300 * 1024) } });
    expect([400, 413]).toContain(res.status);
    expectError(res, res.status, 'TK_VALIDATION', '/');
  });

  it('text PostgreSQL cannot store (a NUL character) is TK_VALIDATION, not a crash', async () => {
    expectError(await t.api(merchant, 'POST', '/v1/events', { id: 'evt-\u0000', type: 'order.paid', data: {} }), 400, 'TK_VALIDATION');
    expectError(await t.api(merchant, 'POST', '/v1/events', { type: 'order.paid', data: { note: 'nul \u0000 inside' } }), 400, 'TK_VALIDATION');
    expectError(await t.api(merchant, 'GET', '/v1/installs/ins_%00'), 400, 'TK_VALIDATION');
  });

  it('an admin acting for a merchant that does not exist gets TK_NOT_FOUND, not a crash', async () => {
    const { admin } = t.host.tokens;
    expectError(await t.api(admin, 'POST', '/v1/events?merchantId=ghost', { type: 'order.paid', data: orderPaidData() }), 404, 'TK_NOT_FOUND');
    expectError(await t.api(admin, 'POST', '/v1/extensions/member.tier.compute/invoke?merchantId=ghost', { input: tierInput() }), 404, 'TK_NOT_FOUND');
    expectError(await t.api(admin, 'POST', '/v1/installs?merchantId=ghost', { plugin: 'my-member-tiers', grantPermissions: ['member:read'] }), 404, 'TK_NOT_FOUND');
    expectError(await t.api(admin, 'GET', '/v1/installs'), 400, 'TK_VALIDATION');
  });

  it('an unknown route is TK_NOT_FOUND', async () => {
    expectError(await t.api(merchant, 'GET', '/v1/nothing-here'), 404, 'TK_NOT_FOUND');
    expectError(await t.api(undefined, 'PATCH', '/v1/installs'), 404, 'TK_NOT_FOUND');
    // `/` is the workbench; a path that is neither a page nor the API is nothing.
    expectError(await t.api(undefined, 'GET', '/nothing-here'), 404, 'TK_NOT_FOUND');
  });

  it('authentication and role errors share the one error body', async () => {
    expectError(await t.api(undefined, 'GET', '/v1/installs'), 401, 'TK_UNAUTHORIZED');
    expectError(await t.api('tk_merchant_not-a-real-token', 'GET', '/v1/installs'), 401, 'TK_UNAUTHORIZED');
    expectError(await t.api(undefined, 'GET', '/v1/installs', undefined, { headers: { authorization: 'Basic bWU6cGFzcw==' } }), 401, 'TK_UNAUTHORIZED');
    const forbidden = expectError(await t.api(t.host.tokens.developer, 'GET', '/v1/installs'), 403, 'TK_FORBIDDEN');
    expect(forbidden.hint).toMatch(/merchant/);
  });

  it('the error body is the same for every failure met in this file: { error: { code, message, fault, hint, path? } }, no stack', async () => {
    // A sample of one request per error family, checked for shape only (statuses are checked above).
    const samples = await Promise.all([
      t.api(merchant, 'POST', '/v1/installs', undefined, { raw: '[' }),
      t.api(merchant, 'GET', '/v1/installs/ins_none'),
      t.api(merchant, 'POST', '/v1/installs', { plugin: 'no-such-plugin', grantPermissions: [] }),
      t.api(t.host.tokens.developer, 'POST', '/v1/versions', { manifest: {}, code: 'x' }),
      t.api(t.host.tokens.admin, 'GET', '/v1/installs'),
    ]);
    for (const res of samples) {
      expect(res.status, res.text).toBeGreaterThanOrEqual(400);
      expectErrorBody(res);
    }
    // A deploy of a bundle that is not what its manifest says is a plugin fault, without a host stack.
    const upload = await uploadOf('template');
    const tampered = await t.api(t.host.tokens.developer, 'POST', '/v1/versions', { ...upload, code: `${upload.code}\n// tampered` });
    expect(tampered.status).toBeGreaterThanOrEqual(400);
    expect(tampered.status).toBeLessThan(500);
    expectErrorBody(tampered);
  });
});

describe('OpenAPI', () => {
  it('GET /openapi.json is public and documents every route', async () => {
    const res = await t.api(undefined, 'GET', '/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body as { openapi: string; paths: Record<string, Record<string, { summary?: string; security?: unknown[]; requestBody?: unknown }>>; components: { securitySchemes: Record<string, unknown> } };
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes).toHaveProperty('bearer');

    const { routes, app } = await collectRoutes(t.host.services);
    await app.close();
    const documented = routes.filter((r) => r.method !== 'HEAD' && !r.hidden);
    expect(documented.length).toBeGreaterThan(20);
    const expected = documented.map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`).sort();
    const listed = Object.entries(doc.paths)
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(listed).toEqual(expected);
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) expect(operation.summary, `${method} ${path}`).toBeTruthy();
    }
    expect(doc.paths['/v1/installs']!['post']!.requestBody).toBeDefined();
    // The hidden routes (health, this document, the workbench's pages and assets) are still there, public,
    // and none of them is part of the API.
    const hidden = routes.filter((r) => r.hidden);
    expect(hidden.map((r) => `${r.method} ${r.url}`)).toEqual(expect.arrayContaining(['GET /healthz', 'GET /openapi.json', 'GET /', 'GET /review/*', 'GET /assets/*']));
    expect(hidden.filter((r) => r.auth !== 'public' || r.url.startsWith('/v1'))).toEqual([]);
  });
});

describe('pagination', () => {
  it('pages versions newest first with an opaque cursor, and refuses a forged one', async () => {
    const { developer } = t.host.tokens;
    await approved('template');
    await approved('kvCounter');
    const all = await ok(t.api(developer, 'GET', '/v1/versions?limit=200'));
    expect(all.items.length).toBeGreaterThanOrEqual(2);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<{ plugin: string; version: string }>; nextCursor: string | null } = await ok(
        t.api(developer, 'GET', `/v1/versions?limit=1${cursor ? `&cursor=${cursor}` : ''}`),
      );
      expect(page.items.length).toBeLessThanOrEqual(1);
      seen.push(...page.items.map((v) => `${v.plugin}@${v.version}`));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.items.map((v: { plugin: string; version: string }) => `${v.plugin}@${v.version}`));
    expectError(await t.api(developer, 'GET', '/v1/versions?cursor=forged'), 400, 'TK_VALIDATION', '/querystring/cursor');
  });
});
