// Durability of event dispatch: a host killed with SIGKILL in the middle of 10,000 events, and a new
// one started on the same database, deliver every event with no effect applied twice. The hosts run in
// child processes (test/support/host-process.mjs) so they can really be killed; the test process only
// sets the database up, publishes, watches the tables and asserts.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { buildPlugin } from '@tongkit/runtime/build';
import { createHostServices, type HostServices } from '../src/testing.js';
import { type Principal } from '../src/index.js';
import { createTestDatabase, type TestDatabase } from '../src/testing.js';
import { HostChildren, type HostChild } from './support/host-children.js';

const COUNTER = fileURLToPath(new URL('./plugins/counter', import.meta.url));
const EVENTS = 10_000;
const MERCHANT = 'durable-mart';

const developer: Principal = { role: 'developer', subjectId: 'dev-durable' };
const reviewer: Principal = { role: 'reviewer', subjectId: 'reviewer-1' };

const hosts = new HostChildren();
const startHostChild = (options: Record<string, unknown>) => hosts.start(options, 'tongkit-durability-');

/** Stops a child with SIGTERM and returns its final statistics line. */
async function stopHostChild(host: HostChild): Promise<{ stopped: boolean; batches: number; delivered: number }> {
  host.child.kill('SIGTERM');
  const code = await host.exited;
  expect(code, host.stderr()).toBe(0);
  const last = host.lines.at(-1);
  if (!last) throw new Error(`the host child printed no statistics:\n${host.stderr()}`);
  return JSON.parse(last) as { stopped: boolean; batches: number; delivered: number };
}

let test: TestDatabase;
let services: HostServices;
let installId: string;

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await test.db.query<{ n: number }>(sql, params);
  return rows[0]!.n;
}

const deliveryCounts = async () => {
  const { rows } = await test.db.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM deliveries WHERE install_id = $1 GROUP BY status`, [installId]);
  return Object.fromEntries(rows.map((r) => [r.status, r.n])) as Partial<Record<'pending' | 'done' | 'dead', number>>;
};

const paid = async () => {
  const { rows } = await test.db.query<{ value: number }>(`SELECT value FROM plugin_kv WHERE install_id = $1 AND key = 'paid'`, [installId]);
  return rows[0]?.value ?? 0;
};

/** The deliveries by status, attempts and last error, for a failure message. */
async function deliveryState(): Promise<string> {
  const { rows } = await test.db.query(
    `SELECT status, attempts, last_error->>'code' AS code, count(*)::int AS n, max(next_attempt_at - now()) AS next_in
     FROM deliveries WHERE install_id = $1 GROUP BY 1, 2, 3 ORDER BY n DESC LIMIT 10`,
    [installId],
  );
  const activity = await test.db.query(
    `SELECT application_name, state, wait_event_type, wait_event, left(query, 80) AS query FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
  );
  return JSON.stringify({ deliveries: rows, sessions: activity.rows });
}

/** Polls until `check` returns true, or fails with `what` after `timeoutMs`. */
async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, host?: HostChild): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; deliveries: ${await deliveryState()}${host ? `; host stderr:\n${host.stderr()}` : ''}`);
    await sleep(20);
  }
}

beforeAll(async () => {
  test = await createTestDatabase();
  services = createHostServices(test.db);
  const { tenancy, registry, installs } = services;
  await tenancy.upsertTier({ id: 'standard', name: 'Standard' });
  await tenancy.upsertDeveloper({ id: developer.subjectId, name: 'Durable developer' });
  await tenancy.upsertMerchant({ id: MERCHANT, name: 'Durable Mart', tierId: 'standard' });

  const { bundle } = await buildPlugin(COUNTER);
  const deployed = await registry.deploy(developer, bundle);
  expect(deployed.report.passed, JSON.stringify(deployed.report.checks)).toBe(true);
  await registry.submit(developer, deployed.plugin, deployed.version);
  const approved = await registry.decide(reviewer, deployed.plugin, deployed.version, 'approve', 'counts paid orders');
  expect(approved.status).toBe('approved');
  const install = await installs.install(MERCHANT, { plugin: deployed.plugin, grantPermissions: ['storage:kv'] });
  expect(install.enabledEvents).toEqual(['order.paid']);
  installId = install.id;
});

afterAll(async () => {
  await hosts.cleanup();
  await services?.runtime.dispose();
  await test?.drop();
});

describe('dispatch survives a killed host', () => {
  let survivor: HostChild;

  it(
    `delivers all ${EVENTS} events exactly once in effect after a SIGKILL mid-run and a restart`,
    async () => {
      // The outbox: events and their deliveries commit with the caller's transaction, 1,000 at a time.
      const publishStarted = performance.now();
      for (let from = 0; from < EVENTS; from += 1_000) {
        await test.db.transaction(async (tx) => {
          for (let i = from; i < from + 1_000; i++) {
            const id = `evt_paid_${String(i).padStart(5, '0')}`;
            const published = await services.dispatcher.publishIn(tx, MERCHANT, { id, type: 'order.paid', data: { orderId: `o_${i}`, amountFen: 100 + i } });
            expect(published.deliveries).toBe(1);
          }
        });
      }
      const publishMs = performance.now() - publishStarted;
      expect(await deliveryCounts()).toEqual({ pending: EVENTS });

      // A host whose worker is killed without warning once part of the work is done.
      const doomed = await startHostChild({ databaseUrl: test.url });
      let doneAtKill = 0;
      await waitFor(
        'the first host to deliver 1,500 events',
        async () => {
          doneAtKill = (await deliveryCounts()).done ?? 0;
          return doneAtKill >= 1_500;
        },
        120_000,
        doomed,
      );
      // Its worker is inside a batch transaction: rows claimed, handlers' KV writes uncommitted.
      const inFlight = await count(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'tongkit-host' AND xact_start IS NOT NULL AND pid <> pg_backend_pid()`,
      );
      doomed.child.kill('SIGKILL');
      expect(await doomed.exited).toBe('SIGKILL');
      // Its connections drop with it, and with them its open transaction and row locks (the claim's lease).
      await waitFor(
        'the killed host’s transaction to end',
        async () => (await count(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND xact_start IS NOT NULL AND pid <> pg_backend_pid()`)) === 0,
        10_000,
      );
      const afterKill = await deliveryCounts();
      expect(afterKill.done ?? 0, 'the host was killed after all deliveries were done: nothing was tested').toBeLessThan(EVENTS);
      // What committed before the kill is consistent: every done delivery counted once, nothing more.
      expect(await paid()).toBe(afterKill.done);
      expect(await count('SELECT count(*)::int AS n FROM idempotency_keys WHERE install_id = $1', [installId])).toBe(afterKill.done);

      // A new host picks up where the dead one stopped.
      const restartedAt = performance.now();
      survivor = await startHostChild({ databaseUrl: test.url });
      await waitFor('every delivery to be done', async () => ((await deliveryCounts()).pending ?? 0) === 0, 90_000, survivor);
      const drainMs = performance.now() - restartedAt;

      expect(await deliveryCounts()).toEqual({ done: EVENTS });
      expect(await paid()).toBe(EVENTS);
      expect(await count('SELECT count(*)::int AS n FROM idempotency_keys WHERE install_id = $1', [installId])).toBe(EVENTS);
      // The batch in flight at the kill rolled back whole, its attempts too: every delivery committed once.
      expect(await count('SELECT count(*)::int AS n FROM deliveries WHERE install_id = $1 AND attempts <> 1', [installId])).toBe(0);
      expect(await count(`SELECT count(*)::int AS n FROM plugin_logs WHERE install_id = $1 AND level = 'error'`, [installId])).toBe(0);

      console.info(
        `durability: published ${EVENTS} in ${publishMs.toFixed(0)} ms; killed the first host at ${doneAtKill} done ` +
          `(${inFlight} transaction(s) open), the second finished the other ${EVENTS - (afterKill.done ?? 0)} in ${drainMs.toFixed(0)} ms (incl. start)`,
      );
    },
    300_000,
  );

  it('a redelivered event changes nothing twice (the event id is the idempotency key)', async () => {
    const eventId = 'evt_paid_00042';
    const before = await test.db.query<{ result: unknown; request_hash: string }>('SELECT result, request_hash FROM idempotency_keys WHERE install_id = $1 AND key = $2', [
      installId,
      eventId,
    ]);
    expect(before.rows).toHaveLength(1);

    // As if the ack had been lost: the delivery is due again, and the surviving host runs the handler again.
    const reset = await test.db.query(`UPDATE deliveries SET status = 'pending', done_at = NULL, next_attempt_at = now() WHERE event_id = $1 AND install_id = $2 AND status = 'done'`, [
      eventId,
      installId,
    ]);
    expect(reset.rowCount).toBe(1);
    await waitFor(
      'the redelivery',
      async () => (await count(`SELECT count(*)::int AS n FROM deliveries WHERE event_id = $1 AND status = 'done' AND attempts = 2`, [eventId])) === 1,
      20_000,
      survivor,
    );

    expect(await paid()).toBe(EVENTS);
    expect(await count('SELECT count(*)::int AS n FROM idempotency_keys WHERE install_id = $1', [installId])).toBe(EVENTS);
    const after = await test.db.query('SELECT result, request_hash FROM idempotency_keys WHERE install_id = $1 AND key = $2', [installId, eventId]);
    expect(after.rows).toEqual(before.rows);
    expect(await deliveryCounts()).toEqual({ done: EVENTS });

    const stats = await stopHostChild(survivor);
    expect(stats.stopped).toBe(true);
    expect(stats.delivered).toBeGreaterThan(0);
  });
});

describe('a handler cannot poison its batch', () => {
  // A log line or an error message with a NUL character (which PostgreSQL's text and jsonb refuse) once
  // failed the whole batch transaction, on every claim: the batch's other deliveries never ran, and
  // with one worker the dispatch of every merchant stalled behind it.
  const NUL_PLUGIN = `import { definePlugin } from '@tongkit/sdk';
export default definePlugin({
  name: 'test-nul-bytes',
  version: '1.0.0',
  apiVersion: '2026-11',
  permissions: ['storage:kv'],
  events: {
    'order.paid': async (event, ctx) => {
      if (event.data.mode === 'log') ctx.log.warn('before\\u0000after');
      if (event.data.mode === 'throw') throw new Error('bad\\u0000byte');
      await ctx.kv.increment('paid', 1, { idempotencyKey: event.id });
    },
  },
});
`;

  it('NUL characters in a log line or an error fail only that delivery', async () => {
    // Built from source in test/.tmp (git-ignored), where esbuild resolves @tongkit/sdk from the monorepo.
    const parent = fileURLToPath(new URL('./.tmp/', import.meta.url));
    await mkdir(parent, { recursive: true });
    const dir = await mkdtemp(path.join(parent, 'durability-plugin-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await mkdir(path.join(dir, 'src'));
    await writeFile(path.join(dir, 'src/index.ts'), NUL_PLUGIN);
    const { bundle } = await buildPlugin(dir);
    const deployed = await services.registry.deploy(developer, bundle);
    await services.registry.submit(developer, deployed.plugin, deployed.version);
    await services.registry.decide(reviewer, deployed.plugin, deployed.version, 'approve', 'ok');
    await services.tenancy.upsertMerchant({ id: 'nul-mart', name: 'NUL Mart', tierId: 'standard' });
    const install = await services.installs.install('nul-mart', { plugin: deployed.plugin, grantPermissions: ['storage:kv'] });

    for (const mode of ['ok', 'log', 'throw', 'ok-again']) {
      await services.dispatcher.publish('nul-mart', { id: `evt_nul_${mode}`, type: 'order.paid', data: { mode } });
    }
    // No host runs now: this process's dispatcher claims the four in one batch.
    expect(await services.dispatcher.runOnce()).toBe(4);

    const { rows } = await test.db.query<{ event_id: string; status: string; attempts: number; last_error: { code: string; message: string } | null }>(
      'SELECT event_id, status, attempts, last_error FROM deliveries WHERE install_id = $1 ORDER BY event_id',
      [install.id],
    );
    expect(rows.map((r) => [r.event_id, r.status, r.attempts])).toEqual([
      ['evt_nul_log', 'done', 1],
      ['evt_nul_ok', 'done', 1],
      ['evt_nul_ok-again', 'done', 1],
      ['evt_nul_throw', 'pending', 1],
    ]);
    const failed = rows.find((r) => r.event_id === 'evt_nul_throw')!;
    expect(failed.last_error?.code).toBe('TK_PLUGIN_ERROR');
    expect(failed.last_error?.message).toContain('bad\uFFFDbyte');
    const kv = await test.db.query<{ value: number }>(`SELECT value FROM plugin_kv WHERE install_id = $1 AND key = 'paid'`, [install.id]);
    expect(kv.rows).toEqual([{ value: 3 }]);
    const logs = await test.db.query<{ message: string }>(`SELECT message FROM plugin_logs WHERE install_id = $1 AND source = 'plugin'`, [install.id]);
    expect(logs.rows).toEqual([{ message: 'before\uFFFDafter' }]);
  });
});
