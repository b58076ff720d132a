// Red team, containment: the attacks an in-process runtime cannot survive (see memory.test.ts and
// cpu.test.ts: V8's fatal out-of-memory aborts the process; one huge native fill blocks its thread for
// seconds) run here through the supervised worker pool (createWorkerRuntime), as the host runs every
// plugin. Each asserts: the attacker's call is answered with a TK_* code (TK_WORKER_CRASHED when its
// worker died, or the in-isolate code when V8 contained it after all), this process is up, a tenant
// that shared the dead worker is served again (its plugin reloaded in the new worker), the attacker is
// quarantined on a worker of its own, and nothing of the host leaked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkerRuntime, type EventResult, type InvocationResult, type LoadedPlugin, type WorkerExit, type WorkerRuntime } from '@tongkit/runtime';
import { buildFixture, tierInput } from '../helpers.js';
import { FakeHost, TENANT_GOLD, attackEvent, attackInput, expectEventOk, expectNoLeak, expectProcessUp, reported } from './support-resources.js';

let pool: WorkerRuntime;
const exits: WorkerExit[] = [];
let memory: LoadedPlugin;
let cpu: LoadedPlugin;
let tenant: LoadedPlugin;
const tenantHost = new FakeHost({ merchantId: 'merchant-tenant' });

beforeAll(async () => {
  // One shared worker, so the tenant always shares it with the attacker; a short hang limit.
  pool = createWorkerRuntime({
    workers: 1,
    quarantineWorkers: 1,
    hangMs: 1_000,
    // The same roomy time limits as the in-process arena: the bombs must meet the heap limit.
    limits: { cpuMs: 10_000, wallMs: 10_000 },
    // Neither quarantine nor the CPU quota (crashes are charged to it) are under test here.
    tenants: { quarantineMs: 0, cpuMsPerSecond: 1_000_000 },
    onWorkerExit: (exit) => exits.push(exit),
  });
  const [memoryBuild, cpuBuild, tenantBuild] = await Promise.all([buildFixture('redteam-memory'), buildFixture('redteam-cpu'), buildFixture('redteam-tenant')]);
  memory = await pool.load(memoryBuild.bundle, { installId: 'install-memory', tenant: 'merchant-attacker' });
  cpu = await pool.load(cpuBuild.bundle, { installId: 'install-cpu', tenant: 'merchant-attacker' });
  tenant = await pool.load(tenantBuild.bundle, { installId: 'install-tenant', tenant: 'merchant-tenant' });
});
afterAll(async () => {
  await pool.dispose();
});

/** The tenant on the (possibly restarted) shared worker: an extension call and an event with a host call. */
async function expectTenantServed(): Promise<void> {
  const result = await tenant.invoke('member.tier.compute', await tierInput());
  if (!result.ok) throw new Error(`the other tenant failed: ${result.error.code}: ${result.error.message}`);
  expect(result.output).toEqual(TENANT_GOLD);
  const before = Number(tenantHost.kv.get('orders') ?? 0);
  const handled = await tenant.handleEvent(attackEvent('tenant'), {}, tenantHost);
  expectEventOk(handled);
  expect(reported(handled)).toEqual({ orders: before + 1, merchantId: 'merchant-tenant' });
}

/** The attack's outcome: contained in its isolate (`contained`), or its worker went and was replaced. */
async function expectContainedOrCrashed(result: InvocationResult | EventResult, contained: string[], exitsBefore: number): Promise<void> {
  expect(result.ok).toBe(false);
  const error = (result as { error: { code: string; fault: string; details?: Record<string, unknown> } }).error;
  if (error.code === 'TK_WORKER_CRASHED') {
    const exit = exits[exitsBefore];
    expect(exit, 'the pool reported the worker\'s exit').toBeDefined();
    expect(exit!.tenantsInFlight).toContain('merchant-attacker');
    expect(error.details).toMatchObject({ reason: exit!.reason, culprit: true });
    // The attacker's own code blew the worker: the plugin's fault, not the platform's.
    expect(error.fault).toBe('plugin');
  } else {
    expect(contained).toContain(error.code);
  }
  expectNoLeak({ error: (result as { error: unknown }).error, logs: result.logs });
  await expectProcessUp();
  await expectTenantServed();
}

describe('fatal out-of-memory bombs cost a worker, not the host', () => {
  it.each(['map-growth', 'set-growth'])('answers %s in an extension point (16 MB) and keeps serving the tenant', async (kase) => {
    const before = exits.length;
    const result = await memory.invoke('member.tier.compute', await attackInput(kase));
    await expectContainedOrCrashed(result, ['TK_MEMORY_LIMIT'], before);
  });

  it.each(['object-map', 'string-doubling'])('answers %s in an event handler (64 MB) and keeps serving the tenant', async (kase) => {
    const before = exits.length;
    const result = await memory.handleEvent(attackEvent(kase), {}, new FakeHost());
    await expectContainedOrCrashed(result, ['TK_MEMORY_LIMIT', 'TK_PLUGIN_ERROR'], before);
  });

  it('reports why a worker died, with the end of its stderr, for the operator', async () => {
    const crashed = exits.filter((exit) => exit.reason === 'crashed');
    // At least the Map bomb aborts its worker on this isolated-vm (measured: all four usually do).
    expect(crashed.length).toBeGreaterThan(0);
    expect(crashed[0]!.signal ?? String(crashed[0]!.exitCode)).toMatch(/SIGABRT|SIGSEGV|SIGTRAP|\d+/);
    expect(crashed[0]!.stderrTail).toMatch(/heap|memory|OOM|CALL_AND_RETRY/i);
  });
});

describe('a guest that blocks its worker beyond the wall stop is killed by the supervisor', () => {
  it('answers a 2^27-element fill (one native call, ~19 s in-process) with TK_WORKER_CRASHED after the hang limit', async () => {
    const before = exits.length;
    const result = await cpu.invoke('member.tier.compute', await attackInput('array-fill', 2 ** 27));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.code).toBe('TK_WORKER_CRASHED');
    expect(exits[before]?.reason).toBe('hung');
    expect(!result.ok && result.error.details).toMatchObject({ reason: 'hung', culprit: true });
    expect(!result.ok && result.error.fault).toBe('plugin');
    await expectProcessUp();
    await expectTenantServed();
    expect(pool.poolStats().hung).toBe(1);
  });

  it('serves the attacker again afterwards: a restart is not a ban', async () => {
    const result = await cpu.invoke('member.tier.compute', await attackInput('none'));
    expect(result.ok && result.output.tierId).toBe('regular');
  });
});
