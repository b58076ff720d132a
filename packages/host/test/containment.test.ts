// Containment, end to end: a hostile plugin deployed, reviewed and installed like any other aborts
// or blocks the sandbox worker it runs in. The host's API stays up, the merchant's call gets the
// point's fallback with TK_WORKER_CRASHED (the plugin's fault, counted by its circuit breaker), another
// merchant is served throughout, the event delivery is retried then dead-lettered rather than looping,
// and the operator sees the restarts in GET /v1/admin/sandbox. Also: a merchant's flood of calls past
// its concurrency quota gets TK_RATE_LIMITED fallbacks while another merchant is served.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlugin } from '@tongkit/runtime/build';
import { createMerchant, ok, publish, startTestHost, tierInput, uploadOf, type TestHost, orderPaidData } from './helpers.js';

const BOMB_DIR = join(fileURLToPath(new URL('.', import.meta.url)), 'plugins/worker-bomb');

let t: TestHost;
let attacker: string;
let victim: string;
let attackerInstall: string;
let flooder: string;
let filler: string;
let bomber: string;
let bomberInstall: string;

const invoke = (token: string, memberId = 'm_ok') => t.api(token, 'POST', '/v1/extensions/member.tier.compute/invoke', { input: tierInput(600_000, memberId) });

beforeAll(async () => {
  t = await startTestHost({
    dispatch: { maxAttempts: 2, backoffMs: () => 0 },
    // One shared worker, so the victim always shares it with the attacker; a short hang limit.
    // Roomy time limits, so the bombs meet the heap limit before the 100 ms wall stop.
    // A quarantined merchant's CPU trickle (tested in the runtime) would make the event's retry wait ~20 s.
    runtime: { workers: 1, hangMs: 1_000, tenants: { concurrency: 2, quarantineCpuMsPerSecond: 5_000 }, limits: { cpuMs: 10_000, wallMs: 10_000 } },
  });
  const { bundle } = await buildPlugin(BOMB_DIR);
  await publish(t, { ...bundle, fixtures: [{ file: 'fixtures/ok.json', point: 'member.tier.compute', input: tierInput(600_000, 'm_ok') }] });
  await publish(t, await uploadOf('template'));
  attacker = await createMerchant(t, 'attacker-brand');
  victim = await createMerchant(t, 'victim-brand');
  attackerInstall = (await ok(t.api(attacker, 'POST', '/v1/installs', { plugin: 'worker-bomb', grantPermissions: ['member:read'] }), 201)).id;
  flooder = await createMerchant(t, 'flood-brand');
  filler = await createMerchant(t, 'fill-brand');
  await ok(t.api(filler, 'POST', '/v1/installs', { plugin: 'worker-bomb', grantPermissions: ['member:read'] }), 201);
  // Each scenario has its own attacking merchant: a crash or hang quarantines and charges the merchant that caused it.
  bomber = await createMerchant(t, 'event-bomber');
  bomberInstall = (await ok(t.api(bomber, 'POST', '/v1/installs', { plugin: 'worker-bomb', grantPermissions: ['member:read'] }), 201)).id;
  await ok(t.api(victim, 'POST', '/v1/installs', { plugin: 'my-member-tiers', grantPermissions: ['member:read'] }), 201);
  await ok(t.api(flooder, 'POST', '/v1/installs', { plugin: 'worker-bomb', grantPermissions: ['member:read'] }), 201);
  expect((await ok(invoke(victim))).source).toBe('plugin');
  expect((await ok(invoke(attacker))).source).toBe('plugin');
});

afterAll(async () => {
  await t?.close();
});

describe('a plugin that aborts its sandbox worker', () => {
  it('retries an event whose handler aborts the worker, then dead-letters it: no endless loop', async () => {
    await ok(t.api(bomber, 'POST', '/v1/events', { type: 'order.paid', data: orderPaidData({ case: 'map-growth' }) }), 202);
    // Each crash is charged to the merchant's CPU quota, so a retry may wait for it (TK_RATE_LIMITED is
    // not an attempt): drain until the delivery is dead.
    let items: Array<{ installId: string; attempts: number; lastError: { code: string } }> = [];
    for (let round = 0; round < 100 && !items.some((d) => d.installId === bomberInstall); round++) {
      await t.host.services.dispatcher.drain();
      items = (await ok(t.api(bomber, 'GET', '/v1/deliveries/dead'))).items;
      if (!items.some((d) => d.installId === bomberInstall)) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(items.find((d) => d.installId === bomberInstall)).toMatchObject({ attempts: 2, lastError: { code: 'TK_WORKER_CRASHED' } });
    expect((await ok(invoke(victim))).source).toBe('plugin');
  });

  it('answers the call with the fallback and TK_WORKER_CRASHED; the API and the other merchant carry on', async () => {
    const decision = await ok(invoke(attacker, 'map-growth'));
    expect(decision.source).toBe('fallback');
    expect(decision.error.code).toBe('TK_WORKER_CRASHED');
    expect(decision.error.message).not.toMatch(/\/|node_modules|isolated-vm/);
    // The plugin's own code blew the worker's memory: its fault, not the platform's.
    expect(decision.error).toMatchObject({ fault: 'plugin', details: { culprit: true } });
    const served = await ok(invoke(victim));
    expect(served).toMatchObject({ source: 'plugin', output: { tierId: 'gold' } });
    // Like a contained TK_MEMORY_LIMIT, it counts against the plugin's breaker.
    expect(await t.host.services.extensions.breaker(attackerInstall, 'member.tier.compute')).toMatchObject({ status: 'closed', errors: 1 });
  });

  it('kills a worker blocked in one huge native call at the hang limit', async () => {
    // Another merchant: the first attacker is in quarantine now, on a trickle of CPU.
    const decision = await ok(invoke(filler, 'fill'));
    expect(decision).toMatchObject({ source: 'fallback', error: { code: 'TK_WORKER_CRASHED', details: { reason: 'hung' } } });
    expect((await ok(invoke(victim))).source).toBe('plugin');
  });

  it('shows the operator what happened in GET /v1/admin/sandbox', async () => {
    const sandbox = await ok(t.api(t.host.tokens.admin, 'GET', '/v1/admin/sandbox'));
    expect(sandbox.isolation).toBe('workers');
    expect(sandbox.workers.crashed).toBeGreaterThanOrEqual(2);
    expect(sandbox.workers.hung).toBe(1);
    expect(sandbox.workers.quarantinedTenants).toBeGreaterThanOrEqual(1);
    expect(sandbox.runtime.isolatesAlive).toBeGreaterThanOrEqual(0);
    expect((await t.api(victim, 'GET', '/v1/admin/sandbox')).status).toBe(403);
  });
});

describe('per-merchant quotas', () => {
  it('gives a merchant flooding past its concurrency quota TK_RATE_LIMITED fallbacks, and serves the other merchant', async () => {
    const flood = await Promise.all(Array.from({ length: 12 }, () => ok(invoke(flooder, 'slow'))));
    const codes = flood.map((d) => d.error?.code ?? 'ok');
    expect(codes).toContain('TK_RATE_LIMITED');
    expect(codes).toContain('ok');
    expect((await ok(invoke(victim))).source).toBe('plugin');
    // Rate limiting is the merchant's traffic, not the plugin failing: the breaker stays closed.
    const install = (await ok(t.api(flooder, 'GET', '/v1/installs'))).items[0].id as string;
    expect(await t.host.services.extensions.breaker(install, 'member.tier.compute')).toMatchObject({ status: 'closed', errors: 0 });
  });
});

describe('per-credential request limit', () => {
  let limited: TestHost;
  beforeAll(async () => {
    limited = await startTestHost({}, { rateLimit: { max: 20, timeWindowMs: 60_000 } });
  });
  afterAll(async () => {
    await limited?.close();
  });

  it('refuses a credential past its request limit with 429 TK_RATE_LIMITED before looking the token up; other credentials are served', async () => {
    const flooder = await createMerchant(limited, 'http-flooder');
    const other = await createMerchant(limited, 'http-other');
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await limited.api(flooder, 'GET', '/v1/installs')).status);
    expect(statuses.slice(0, 20).every((status) => status === 200)).toBe(true);
    const refused = await limited.api(flooder, 'GET', '/v1/installs');
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'TK_RATE_LIMITED', details: { limit: 'requests', max: 20 } });
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    // A made-up token is limited like any other credential, without a database lookup per request.
    const forged = 'tk_forged_token';
    const forgedStatuses = new Set<number>();
    for (let i = 0; i < 22; i++) forgedStatuses.add((await limited.api(forged, 'GET', '/v1/installs')).status);
    expect([...forgedStatuses].sort()).toEqual([401, 429]);
    expect((await limited.api(other, 'GET', '/v1/installs')).status).toBe(200);
  });
});
