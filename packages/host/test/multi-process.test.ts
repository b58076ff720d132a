// Several host processes on one database (scale-out): a circuit breaker one of them opens pauses the
// plugin on the others within the refresh bound (breakers count per process, share transitions), and their event workers split the outbox between them with each event delivered once. The
// hosts run in child processes (test/support/host-process.mjs) with HTTP on random ports.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PointInput } from '@tongkit/sdk';
import { buildPlugin } from '@tongkit/runtime/build';
import { createHostServices, type HostServices } from '../src/testing.js';
import { type ExtensionDecision, type Principal } from '../src/index.js';
import { createTestDatabase, type TestDatabase } from '../src/testing.js';
import { HostChildren, type HostChild } from './support/host-children.js';
import { BREAKER_REFRESH_MS } from '../src/platform/extensions/shared-breakers.js';

const plugin = (name: string) => fileURLToPath(new URL(`./plugins/${name}`, import.meta.url));
const GOLD = JSON.parse(readFileSync(fileURLToPath(new URL('../../../templates/member-tier/fixtures/gold.json', import.meta.url)), 'utf8')) as {
  point: 'member.tier.compute';
  input: PointInput<'member.tier.compute'>;
  expect: unknown;
};
const MERCHANT = 'twin-mart';
const POINT = 'member.tier.compute';
/** Tight on purpose: 4 errors open the breaker, and it stays open for the rest of the test. */
const BREAKER = { windowCalls: 20, errorThreshold: 4, openMs: 60_000 };
const EVENTS = 2_000;

const developer: Principal = { role: 'developer', subjectId: 'dev-twin' };
const reviewer: Principal = { role: 'reviewer', subjectId: 'reviewer-1' };

const hosts = new HostChildren();
const startHostChild = (options: Record<string, unknown>) => hosts.start(options, 'tongkit-multi-');

/** Stops a child with SIGTERM and returns its final statistics line. */
async function stopHostChild(host: HostChild): Promise<{ stopped: boolean; batches: number; delivered: number }> {
  host.child.kill('SIGTERM');
  expect(await host.exited, host.stderr()).toBe(0);
  const last = host.lines.at(-1);
  if (!last) throw new Error(`the host child printed no statistics:\n${host.stderr()}`);
  return JSON.parse(last) as { stopped: boolean; batches: number; delivered: number };
}

let test: TestDatabase;
let services: HostServices;
let merchantToken: string;
let flakyInstall: string;
let counterInstall: string;
let hostA: HostChild;
let hostB: HostChild;

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await test.db.query<{ n: number }>(sql, params);
  return rows[0]!.n;
}

/** Deploys, submits and approves a test plugin; returns its name. */
async function approve(name: string, fixtures: unknown[] = []): Promise<string> {
  const { bundle } = await buildPlugin(plugin(name));
  const deployed = await services.registry.deploy(developer, { ...bundle, fixtures });
  expect(deployed.report.passed, JSON.stringify(deployed.report.checks)).toBe(true);
  await services.registry.submit(developer, deployed.plugin, deployed.version);
  expect((await services.registry.decide(reviewer, deployed.plugin, deployed.version, 'approve', 'ok')).status).toBe('approved');
  return deployed.plugin;
}

/** Runs member.tier.compute for `memberId` through one host's HTTP API. */
async function invoke(host: HostChild, memberId: string): Promise<ExtensionDecision> {
  const input = structuredClone(GOLD.input);
  input.member.id = memberId;
  const response = await fetch(`${host.url}/v1/extensions/${POINT}/invoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${merchantToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ input }),
  });
  const body = (await response.json()) as ExtensionDecision;
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body;
}

beforeAll(async () => {
  test = await createTestDatabase();
  services = createHostServices(test.db);
  const { tenancy, installs } = services;
  await tenancy.upsertTier({ id: 'standard', name: 'Standard' });
  await tenancy.upsertDeveloper({ id: developer.subjectId, name: 'Twin developer' });
  await tenancy.upsertMerchant({ id: MERCHANT, name: 'Twin Mart', tierId: 'standard' });
  merchantToken = (await tenancy.issueToken('merchant', MERCHANT)).token;

  const flaky = await approve('flaky', [{ ...GOLD, file: 'fixtures/gold.json' }]);
  const counter = await approve('counter');
  flakyInstall = (await installs.install(MERCHANT, { plugin: flaky, grantPermissions: ['member:read'] })).id;
  counterInstall = (await installs.install(MERCHANT, { plugin: counter, grantPermissions: ['storage:kv'] })).id;

  const options = { databaseUrl: test.url, http: true, services: { breaker: BREAKER } };
  [hostA, hostB] = await Promise.all([startHostChild(options), startHostChild(options)]);
  expect(hostA.url).not.toBe(hostB.url);
});

afterAll(async () => {
  await hosts.cleanup();
  await services?.runtime.dispose();
  await test?.drop();
});

describe('two host processes on one database', () => {
  it('share circuit breakers: failures that open it in one process pause the plugin in both', async () => {
    // Both serve the plugin while it works.
    for (const host of [hostA, hostB]) {
      const ok = await invoke(host, 'm_ok_1');
      expect(ok.source).toBe('plugin');
      expect(ok.output).toEqual(GOLD.expect);
    }

    // A's window fills with the 4 failures that open the breaker; B saw none of them.
    const failures: ExtensionDecision[] = [];
    for (let i = 0; i < BREAKER.errorThreshold; i++) failures.push(await invoke(hostA, `fail_${i}`));
    for (const failure of failures) {
      expect(failure.source).toBe('fallback');
      expect(failure.error?.code).toBe('TK_PLUGIN_ERROR');
      expect(failure.output).toMatchObject({ tierId: GOLD.input.member.currentTier?.id, reason: 'platform default: tier unchanged' });
    }
    const breaker = await test.db.query<{ status: string }>('SELECT status FROM circuit_breakers WHERE install_id = $1 AND point = $2', [flakyInstall, POINT]);
    expect(breaker.rows).toEqual([{ status: 'open' }]);

    // Within the refresh bound both answer with the fallback without running the plugin, for failing and
    // healthy members alike: B is paused by a breaker A opened.
    await sleep(BREAKER_REFRESH_MS);
    for (const memberId of ['fail_after', 'm_ok_2']) {
      for (const host of [hostA, hostB]) {
        const paused = await invoke(host, memberId);
        expect(paused.source, `${host.url} ${memberId}`).toBe('fallback');
        expect(paused.error?.code).toBe('TK_CIRCUIT_OPEN');
        expect(paused.measurements).toBeNull();
        expect(paused.output).toMatchObject({ reason: 'platform default: tier unchanged' });
      }
    }

    // Every decision was logged, never silently: 2 plugin answers, 4 failures, 4 paused calls.
    // (Written behind, a few ms after each call: polled.)
    const logged = async () =>
      (
        await test.db.query<{ code: string | null; fallback: boolean; n: number }>(
          'SELECT error_code AS code, fallback, count(*)::int AS n FROM invocations WHERE install_id = $1 GROUP BY 1, 2 ORDER BY 1 NULLS FIRST',
          [flakyInstall],
        )
      ).rows;
    await expect.poll(logged, { timeout: 5_000 }).toEqual([
      { code: null, fallback: false, n: 2 },
      { code: 'TK_CIRCUIT_OPEN', fallback: true, n: 4 },
      { code: 'TK_PLUGIN_ERROR', fallback: true, n: 4 },
    ]);
  });

  it(`deliver each of ${EVENTS} events exactly once between their two dispatchers`, async () => {
    for (let from = 0; from < EVENTS; from += 500) {
      await test.db.transaction(async (tx) => {
        for (let i = from; i < from + 500; i++) {
          await services.dispatcher.publishIn(tx, MERCHANT, { id: `evt_twin_${i}`, type: 'order.paid', data: { orderId: `o_${i}`, amountFen: 990 } });
        }
      });
    }
    const deadline = Date.now() + 60_000;
    while ((await count(`SELECT count(*)::int AS n FROM deliveries WHERE install_id = $1 AND status <> 'done'`, [counterInstall])) > 0) {
      if (Date.now() > deadline) throw new Error(`deliveries still pending after 60 s\nA: ${hostA.stderr()}\nB: ${hostB.stderr()}`);
      await sleep(25);
    }

    const { rows } = await test.db.query<{ value: number }>(`SELECT value FROM plugin_kv WHERE install_id = $1 AND key = 'paid'`, [counterInstall]);
    expect(rows).toEqual([{ value: EVENTS }]);
    expect(await count('SELECT count(*)::int AS n FROM idempotency_keys WHERE install_id = $1', [counterInstall])).toBe(EVENTS);
    // Exactly once: no delivery was run (and committed) twice, none failed.
    expect(await count(`SELECT count(*)::int AS n FROM deliveries WHERE install_id = $1 AND (status <> 'done' OR attempts <> 1)`, [counterInstall])).toBe(0);

    // Both workers took part, and between them they claimed each delivery once.
    const [a, b] = await Promise.all([stopHostChild(hostA), stopHostChild(hostB)]);
    expect(a.delivered + b.delivered).toBe(EVENTS);
    expect(a.delivered, JSON.stringify({ a, b })).toBeGreaterThan(0);
    expect(b.delivered, JSON.stringify({ a, b })).toBeGreaterThan(0);
    console.info(`multi-process: host A delivered ${a.delivered} in ${a.batches} batches, host B ${b.delivered} in ${b.batches}`);
  });
});
