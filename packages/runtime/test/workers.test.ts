// The supervised worker pool (createWorkerRuntime): the same results as the in-process runtime across
// the process boundary — extension calls, events with host calls, load refusals — and its supervision:
// per-tenant concurrency and CPU quotas (TK_RATE_LIMITED), quarantine of a tenant whose guest had to be
// stopped, recycling of a worker over its memory budget, and a clean dispose.
import { TkError } from '@tongkit/sdk';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, createWorkerRuntime, type LoadedPlugin, type PluginBundle, type WorkerExit, type WorkerRuntime, type WorkerRuntimeOptions } from '@tongkit/runtime';
import { buildFixture, expectFailure, expectOutput, rejectionOf, tierInput } from './helpers.js';
import { FakeHost, TENANT_GOLD, attackEvent, attackInput, expectEventOk, reported } from './redteam/support-resources.js';

let tenantBundle: PluginBundle;
let cpuBundle: PluginBundle;
const pools: WorkerRuntime[] = [];

function openPool(options: WorkerRuntimeOptions = {}): { pool: WorkerRuntime; exits: WorkerExit[] } {
  const exits: WorkerExit[] = [];
  const pool = createWorkerRuntime({ workers: 1, quarantineWorkers: 1, onWorkerExit: (exit) => exits.push(exit), ...options });
  pools.push(pool);
  return { pool, exits };
}

/** Waits for the workers' next beats (every 200 ms), which carry their memory and cache figures. */
const nextBeats = () => new Promise((resolve) => setTimeout(resolve, 450));

beforeAll(async () => {
  [tenantBundle, cpuBundle] = await Promise.all([buildFixture('redteam-tenant').then((b) => b.bundle), buildFixture('redteam-cpu').then((b) => b.bundle)]);
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.dispose()));
});

describe('across the process boundary', () => {
  it('answers an extension call exactly as the in-process runtime does, with its measurements', async () => {
    const { pool } = openPool();
    const inProcess = createRuntime();
    const [remote, local] = await Promise.all([pool.load(tenantBundle, { installId: 'i1', tenant: 'brand-a' }), inProcess.load(tenantBundle, { installId: 'i1' })]);
    const input = await tierInput();
    const [a, b] = [await remote.invoke('member.tier.compute', input, { goldAtFen: 500_000 }), await local.invoke('member.tier.compute', input, { goldAtFen: 500_000 })];
    expect(expectOutput(a)).toEqual(expectOutput(b));
    expect(expectOutput(a)).toEqual(TENANT_GOLD);
    expect(a.measurements.cpuMicros).toBeGreaterThan(0);
    expect(a.measurements.isolate).toBe('warm'); // load kept the isolate it checked the bundle on
    expect(remote.manifest).toEqual(local.manifest);
    expect(remote.resolveSettings({})).toEqual({ silverAtFen: 100_000, goldAtFen: 500_000 });
    await inProcess.dispose();
  });

  it('returns the guest\'s failures as TkErrors with their codes, paths and details', async () => {
    const { pool } = openPool();
    const plugin = await pool.load(tenantBundle, { installId: 'i1', tenant: 'brand-a' });
    const invalid = expectFailure(await plugin.invoke('member.tier.compute', { member: {} }), 'TK_VALIDATION');
    expect(invalid.path).toMatch(/^\/\w+/);
    const settings = expectFailure(await plugin.invoke('member.tier.compute', await tierInput(), { goldAtFen: -1 }), 'TK_VALIDATION');
    expect(settings.path).toBe('/goldAtFen');
    expect(() => plugin.resolveSettings({ goldAtFen: 'lots' })).toThrow(/goldAtFen/);
  });

  it('runs event handlers in the worker and their host calls in this process', async () => {
    const { pool } = openPool();
    const plugin = await pool.load(tenantBundle, { installId: 'i1', tenant: 'brand-a' });
    const host = new FakeHost({ merchantId: 'brand-a' });
    for (const expected of [1, 2]) {
      const result = await plugin.handleEvent(attackEvent('tenant'), {}, host);
      expectEventOk(result);
      expect(reported(result)).toEqual({ orders: expected, merchantId: 'brand-a' });
      expect(result.measurements.hostCalls).toBe(1);
    }
    expect(host.calls.map((call) => `${call.namespace}.${call.method}`)).toEqual(['kv.increment', 'kv.increment']);
  });

  it('gives the plugin a host call\'s TkError, but nothing of another error thrown by the host', async () => {
    const { pool } = openPool();
    const plugin = await pool.load(tenantBundle, { installId: 'i1', tenant: 'brand-a' });
    const host = new FakeHost({ merchantId: 'brand-a', answer: () => Promise.reject(new Error('database unavailable')) });
    const result = await plugin.handleEvent(attackEvent('tenant'), {}, host);
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain('database unavailable');
    expect(!result.ok && result.error.details).toMatchObject({ hostErrorCode: 'TK_INTERNAL' });
    const refused = new FakeHost({ merchantId: 'brand-a', answer: () => Promise.reject(new TkError('TK_CONFLICT', 'key reused')) });
    const conflict = await plugin.handleEvent(attackEvent('tenant'), {}, refused);
    expect(!conflict.ok && conflict.error.message).toMatch(/key reused/);
    expect(!conflict.ok && conflict.error.details).toMatchObject({ hostErrorCode: 'TK_CONFLICT' });
  });

  it('checks host calls again in this process, so a worker taken over by an escaped guest gets nothing more', async () => {
    const { pool } = openPool({ workerEntry: fileURLToPath(new URL('./support/escaped-worker.mjs', import.meta.url)) });
    const plugin = await pool.load(tenantBundle, { installId: 'i1', tenant: 'brand-a' });
    // Granted storage:kv only (the manifest also declares member:read, which the merchant did not grant).
    const host = new FakeHost({ merchantId: 'brand-a', permissions: ['storage:kv'] });
    const result = await plugin.handleEvent(attackEvent('tenant'), {}, host);
    const seen = JSON.parse(result.logs[0]!.message) as string[];
    // ctx.members needs member:read, which the merchant did not grant: refused here again, in the parent.
    expect(seen.slice(0, 2)).toEqual(['TK_PERMISSION_DENIED', 'TK_VALIDATION']);
    expect(seen.filter((answer) => answer === 'ok')).toHaveLength(48);
    expect(seen.slice(2 + 48)).toEqual(new Array(60 - 48).fill('TK_HOST_CALL_LIMIT'));
    // The host itself only ever saw the calls it allows.
    expect(host.calls.map((call) => call.namespace)).toEqual(new Array(48).fill('kv'));
    // Its forged extension output is refused, and its log flood cut to the cap.
    const forged = await plugin.invoke('member.tier.compute', await tierInput());
    expect(expectFailure(forged, 'TK_INVALID_OUTPUT').message).toMatch(/member\.tier\.compute output/);
    expect(forged.logsTruncated).toBe(true);
    expect(forged.logs.reduce((sum, line) => sum + line.message.length, 0)).toBeLessThanOrEqual(2 * 1024);
  });

  it('refuses a bundle whose manifest lies, in the worker, before anything is served', async () => {
    const { pool } = openPool();
    const lying = { ...tenantBundle, manifest: { ...tenantBundle.manifest, events: [] } };
    const error = await rejectionOf(pool.load(lying, { installId: 'i1', tenant: 'brand-a' }));
    expect(error.code).toBe('TK_MANIFEST_INVALID');
    expect(error.message).toMatch(/handlers not in the manifest: event order\.paid/);
    const altered = { ...tenantBundle, code: `${tenantBundle.code}\n;globalThis.x = 1;` };
    expect((await rejectionOf(pool.load(altered, { tenant: 'brand-a' }))).path).toBe('/bundle/sha256');
  });
});

describe('fairness between tenants', () => {
  it('refuses calls past a tenant\'s concurrency limit with TK_RATE_LIMITED, and serves other tenants', async () => {
    const { pool } = openPool({ tenants: { concurrency: 2 } });
    const [flooder, other] = await Promise.all([
      pool.load(tenantBundle, { installId: 'i1', tenant: 'flooder' }),
      pool.load(tenantBundle, { installId: 'i2', tenant: 'other' }),
    ]);
    const input = await tierInput();
    const results = await Promise.all([...Array.from({ length: 6 }, () => flooder.invoke('member.tier.compute', input)), other.invoke('member.tier.compute', input)]);
    const codes = results.slice(0, 6).map((r) => (r.ok ? 'ok' : r.error.code));
    expect(codes.filter((c) => c === 'ok')).toHaveLength(2);
    expect(codes.filter((c) => c === 'TK_RATE_LIMITED')).toHaveLength(4);
    const limited = results.find((r) => !r.ok)!;
    expect(!limited.ok && limited.error.details).toMatchObject({ limit: 'concurrency', max: 2 });
    expect(expectOutput(results[6]!)).toEqual(TENANT_GOLD);
    expect(pool.poolStats().rateLimited).toBe(4);
    // The slots are given back: the flooder is served again.
    expect(expectOutput(await flooder.invoke('member.tier.compute', input))).toEqual(TENANT_GOLD);
  });

  it('refuses a tenant that used its CPU quota with TK_RATE_LIMITED and a retry time; other tenants are served', async () => {
    const { pool } = openPool({ tenants: { cpuMsPerSecond: 1, cpuBurstMs: 5 } });
    const [burner, other] = await Promise.all([
      pool.load(cpuBundle, { installId: 'i1', tenant: 'burner' }),
      pool.load(tenantBundle, { installId: 'i2', tenant: 'other' }),
    ]);
    let limited: LoadedPlugin extends never ? never : Awaited<ReturnType<LoadedPlugin['invoke']>> | undefined;
    for (let i = 0; i < 20 && !limited; i++) {
      const result = await burner.invoke('member.tier.compute', await attackInput('burn', 200_000));
      if (!result.ok && result.error.code === 'TK_RATE_LIMITED') limited = result;
    }
    expect(limited, 'the burner was never rate limited').toBeDefined();
    expect(!limited!.ok && limited!.error.details).toMatchObject({ limit: 'cpu', cpuMsPerSecond: 1 });
    expect(!limited!.ok && (limited!.error.details!['retryAfterMs'] as number)).toBeGreaterThan(0);
    expect(expectOutput(await other.invoke('member.tier.compute', await tierInput()))).toEqual(TENANT_GOLD);
  });

  it('leaves a quarantined tenant a trickle of CPU: its bucket is emptied and refills at the quarantine rate', async () => {
    const { pool } = openPool({ tenants: { quarantineCpuMsPerSecond: 10 } });
    const attacker = await pool.load(cpuBundle, { installId: 'i1', tenant: 'attacker' });
    expectFailure(await attacker.invoke('member.tier.compute', await attackInput('for-ever')), 'TK_TIMEOUT');
    const throttled = expectFailure(await attacker.invoke('member.tier.compute', await attackInput('none')), 'TK_RATE_LIMITED');
    // The 100 ms the stop held the worker, paid back at 10 ms per second: about 10 s.
    expect(throttled.details).toMatchObject({ limit: 'cpu', cpuMsPerSecond: 10 });
    expect(throttled.details!['retryAfterMs'] as number).toBeGreaterThan(9_000);
    expect(throttled.message).toMatch(/in quarantine/);
  });

  it('moves a tenant using much CPU to a worker apart, so its long calls stop delaying the shared worker', async () => {
    const { pool } = openPool({ tenants: { heavyCpuMs: 5 } });
    const [heavy, other] = await Promise.all([
      pool.load(cpuBundle, { installId: 'i1', tenant: 'heavy' }),
      pool.load(tenantBundle, { installId: 'i2', tenant: 'other' }),
    ]);
    expect(pool.poolStats()).toMatchObject({ heavyTenants: 0, started: 1 });
    const burn = await attackInput('burn', 8_000_000);
    for (let i = 0; i < 5 && pool.poolStats().heavyTenants === 0; i++) await heavy.invoke('member.tier.compute', burn);
    expect(pool.poolStats()).toMatchObject({ heavyTenants: 1, quarantinedTenants: 0 });
    await nextBeats();
    const coldStarts = pool.stats().coldStarts;
    // Its calls now go to the worker apart (its plugin loads there: a cold start).
    expect((await heavy.invoke('member.tier.compute', await attackInput('none'))).ok).toBe(true);
    await nextBeats();
    expect(pool.stats().coldStarts).toBe(coldStarts + 1);
    expect(expectOutput(await other.invoke('member.tier.compute', await tierInput()))).toEqual(TENANT_GOLD);
    expect(pool.poolStats()).toMatchObject({ started: 2, apartWorkers: 1 });
  });

  it('starts the worker apart while a tenant is half way to heavy, so the move does not wait for it', async () => {
    // Each call adds its CPU to the tenant's recent CPU. While every call costs under half the threshold,
    // the call that would make the tenant heavy starts with it already over half: the workers apart are
    // started before (never with) the move. Calls back to back reach half of 100 ms at any CPU share over
    // ~14% of a core, so a loaded machine gets there too; the CPU quota is lifted so it cannot cap the rate.
    const { pool } = openPool({ tenants: { heavyCpuMs: 100, cpuMsPerSecond: 1_000_000 } });
    const busy = await pool.load(cpuBundle, { installId: 'i1', tenant: 'busy' });
    const burn = await attackInput('burn', 1_000_000);
    const costs: number[] = [];
    for (let i = 0; i < 1_000 && pool.poolStats().started < 2; i++) {
      const result = await busy.invoke('member.tier.compute', burn);
      expect(result.ok).toBe(true);
      costs.push(result.measurements.cpuMicros);
    }
    expect(Math.max(...costs)).toBeLessThan(50_000);
    expect(pool.poolStats()).toMatchObject({ started: 2, heavyTenants: 0 });
  });

  it('quarantines a tenant whose guest hit the wall stop on a worker of its own; the shared worker keeps serving', async () => {
    // The quarantine's CPU trickle is tested below; here the quarantined tenant may call again at once.
    const { pool } = openPool({ tenants: { quarantineCpuMsPerSecond: 1_000_000 } });
    const [attacker, other] = await Promise.all([
      pool.load(cpuBundle, { installId: 'i1', tenant: 'attacker' }),
      pool.load(tenantBundle, { installId: 'i2', tenant: 'other' }),
    ]);
    const stopped = expectFailure(await attacker.invoke('member.tier.compute', await attackInput('for-ever')), 'TK_TIMEOUT');
    expect(stopped.details).toMatchObject({ wallLimitMs: 100 });
    expect(pool.poolStats()).toMatchObject({ quarantinedTenants: 1, started: 1 });
    // Its next call is served, by a quarantine worker started for it (the plugin is loaded there on first use).
    expect(expectOutput(await attacker.invoke('member.tier.compute', await attackInput('none'))).tierId).toBe('regular');
    expect(pool.poolStats()).toMatchObject({ started: 2, alive: 2 });
    expect(expectOutput(await other.invoke('member.tier.compute', await tierInput()))).toEqual(TENANT_GOLD);
    expect(pool.poolStats().started).toBe(2);
  });
});

describe('supervision', () => {
  it('blames the call that held the worker: a tenant only queued behind it is neither quarantined nor charged', async () => {
    // A CPU quota so small that being charged for the attack's second would show as TK_RATE_LIMITED.
    const { pool, exits } = openPool({ hangMs: 1_000, tenants: { cpuMsPerSecond: 1, cpuBurstMs: 50 } });
    const [attacker, victim] = await Promise.all([
      pool.load(cpuBundle, { installId: 'i1', tenant: 'attacker' }),
      pool.load(tenantBundle, { installId: 'i2', tenant: 'victim' }),
    ]);
    const attack = attacker.invoke('member.tier.compute', await attackInput('array-fill', 2 ** 27));
    await new Promise((resolve) => setTimeout(resolve, 100)); // the fill holds the worker by now
    const queued = await victim.invoke('member.tier.compute', await tierInput());
    const blocked = expectFailure(await attack, 'TK_WORKER_CRASHED');
    expect(blocked.details).toMatchObject({ reason: 'hung', culprit: true });
    // Its plugin held the worker: the plugin's fault. The call only queued behind it: the platform's.
    expect(blocked.fault).toBe('plugin');
    const spared = expectFailure(queued, 'TK_WORKER_CRASHED');
    expect(spared.details).toMatchObject({ reason: 'hung', culprit: false });
    expect(spared.fault).toBe('platform');
    expect(spared.message).toMatch(/while running another call; this one had not started/);
    expect(exits[0]).toMatchObject({ reason: 'hung', culprits: ['attacker'] });
    expect([...exits[0]!.tenantsInFlight].sort()).toEqual(['attacker', 'victim']);
    expect(pool.poolStats().quarantinedTenants).toBe(1);
    expect(expectOutput(await victim.invoke('member.tier.compute', await tierInput()))).toEqual(TENANT_GOLD);
    expectFailure(await attacker.invoke('member.tier.compute', await attackInput('none')), 'TK_RATE_LIMITED');
  });

  it('does not blame an event handler that was waiting on a host call when another tenant crashed the worker', async () => {
    const memoryBundle = (await buildFixture('redteam-memory')).bundle;
    // Roomy time limits, so the Map meets the heap limit (a fatal out-of-memory) before the wall stop.
    const { pool, exits } = openPool({ limits: { cpuMs: 10_000, wallMs: 10_000 } });
    const [attacker, shop] = await Promise.all([
      pool.load(memoryBundle, { installId: 'i1', tenant: 'attacker' }),
      pool.load(tenantBundle, { installId: 'i2', tenant: 'shop' }),
    ]);
    let release!: () => void;
    const slowKv = new FakeHost({ merchantId: 'shop', answer: (_call, kv) => new Promise((resolve) => (release = () => resolve(kv()))) });
    const waiting = shop.handleEvent(attackEvent('tenant'), {}, slowKv);
    while (slowKv.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const attack = expectFailure(await attacker.invoke('member.tier.compute', await attackInput('map-growth')), 'TK_WORKER_CRASHED');
    release();
    expect(attack.details).toMatchObject({ reason: 'crashed', culprit: true });
    // Memory blown by the plugin: the plugin's fault, as a contained TK_MEMORY_LIMIT would be.
    expect(attack.fault).toBe('plugin');
    expect(exits[0]).toMatchObject({ reason: 'crashed', culprits: ['attacker'] });
    const event = await waiting;
    expect(!event.ok && event.error.details).toMatchObject({ culprit: false });
    expect(!event.ok && event.error.fault).toBe('platform');
    expect(pool.poolStats().quarantinedTenants).toBe(1);
  });

  it('takes queued calls in turn per tenant, so a tenant with many queued makes another wait for one of them', async () => {
    const { pool } = openPool();
    const [flooder, other] = await Promise.all([
      pool.load(cpuBundle, { installId: 'i1', tenant: 'flooder' }),
      pool.load(tenantBundle, { installId: 'i2', tenant: 'other' }),
    ]);
    // Each call is several milliseconds, longer than the worker's 5 ms slice, so a slice takes one at a time.
    const slow = await attackInput('burn', 8_000_000);
    const finished: string[] = [];
    const floods = Array.from({ length: 8 }, (_, i) => flooder.invoke('member.tier.compute', slow).then(() => finished.push(`flood-${i}`)));
    const mine = other.invoke('member.tier.compute', await tierInput()).then(() => finished.push('other'));
    await Promise.all([...floods, mine]);
    // First come first served would finish it last; in turns it is second.
    expect(finished.indexOf('other')).toBeLessThanOrEqual(2);
  });

  it('recycles a worker over its memory budget once its calls are done, and serves the next call from a new one', async () => {
    const { pool, exits } = openPool({ workerMemoryBytes: 1 });
    const plugin = await pool.load(tenantBundle, { installId: 'i1', tenant: 'brand-a' });
    await nextBeats();
    expect(exits.map((e) => e.reason)).toEqual(['memory']);
    expect(pool.poolStats().recycled).toBe(1);
    const result = await plugin.invoke('member.tier.compute', await tierInput());
    expect(expectOutput(result)).toEqual(TENANT_GOLD);
    expect(pool.poolStats().started).toBe(2);
  });

  it('reloads a plugin the worker dropped from its bounded cache of loaded bundles, transparently', async () => {
    const room = tenantBundle.code.length + (tenantBundle.sourceMap?.length ?? 0) + 16;
    const { pool } = openPool({ maxLoadedBundleBytes: room });
    const [a, b] = await Promise.all([pool.load(tenantBundle, { installId: 'i-a', tenant: 'a' }), pool.load(tenantBundle, { installId: 'i-b', tenant: 'b' })]);
    // Room for one: each call below finds the other plugin loaded and has this one reloaded first.
    for (const plugin of [a, b, a, b]) expect(expectOutput(await plugin.invoke('member.tier.compute', await tierInput()))).toEqual(TENANT_GOLD);
    await nextBeats();
    expect(pool.stats().coldStarts, 'two loads, then a reload before each call').toBe(6);
  });

  it('reports cache figures summed over the workers', async () => {
    const { pool } = openPool({ workers: 2 });
    const plugins = await Promise.all(['a', 'b', 'c', 'd'].map((tenant) => pool.load(tenantBundle, { installId: `i-${tenant}`, tenant })));
    for (const plugin of plugins) expectOutput(await plugin.invoke('member.tier.compute', await tierInput()));
    await nextBeats();
    const stats = pool.stats();
    expect(stats.isolatesAlive).toBe(4);
    expect(stats.warmHits).toBe(4);
    expect(pool.poolStats()).toMatchObject({ alive: 2, crashed: 0 });
    expect(pool.poolStats().rssBytes).toBeGreaterThan(10 * 1024 * 1024);
  });

  it('stops every worker process on dispose and refuses work afterwards', async () => {
    const { pool, exits } = openPool({ workers: 2 });
    const plugins = await Promise.all(['a', 'b', 'c', 'd'].map((tenant) => pool.load(tenantBundle, { installId: `i-${tenant}`, tenant })));
    await pool.dispose();
    expect(exits.map((e) => e.reason)).toEqual(['closed', 'closed']);
    expect(pool.poolStats().alive).toBe(0);
    expectFailure(await plugins[0]!.invoke('member.tier.compute', await tierInput()), 'TK_INTERNAL');
  });
});

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.dispose()));
});
