// A merchant over its sandbox CPU quota gets TK_RATE_LIMITED from the worker pool before its handler
// runs. The dispatcher puts such a delivery off (not an attempt) — and, within the batch, every other
// delivery of that merchant too, without running their handlers, which would only spend more of the
// quota — and commits the rest of the batch. A scripted plugin stands in for the sandbox, so that which
// call is refused is exact.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TkError, type TongkitEvent } from '@tongkit/sdk';
import { eventFailure, type EventResult, type LoadedPlugin } from '@tongkit/runtime';
import { buildPlugin } from '@tongkit/runtime/build';
import { Dispatcher } from '../src/platform/dispatch/dispatcher.js';
import { createHostServices, type HostServices } from '../src/testing.js';
import { type Principal } from '../src/index.js';
import { createTestDatabase, type TestDatabase } from '../src/testing.js';

const COUNTER = fileURLToPath(new URL('./plugins/counter', import.meta.url));
const MERCHANT = 'quota-mart';
const developer: Principal = { role: 'developer', subjectId: 'dev-quota' };
const reviewer: Principal = { role: 'reviewer', subjectId: 'reviewer-quota' };

let test: TestDatabase;
let services: HostServices;

beforeAll(async () => {
  test = await createTestDatabase();
  services = createHostServices(test.db);
  const { tenancy, registry, installs } = services;
  await tenancy.upsertTier({ id: 'standard', name: 'Standard' });
  await tenancy.upsertDeveloper({ id: developer.subjectId, name: 'Quota developer' });
  await tenancy.upsertMerchant({ id: MERCHANT, name: 'Quota Mart', tierId: 'standard' });
  const { bundle } = await buildPlugin(COUNTER);
  const deployed = await registry.deploy(developer, bundle);
  await registry.submit(developer, deployed.plugin, deployed.version);
  await registry.decide(reviewer, deployed.plugin, deployed.version, 'approve', 'counts paid orders');
  await installs.install(MERCHANT, { plugin: deployed.plugin, grantPermissions: ['storage:kv'] });
});

afterAll(async () => {
  await services?.runtime.dispose();
  await test?.drop();
});

describe('a merchant over its sandbox quota', () => {
  it('has the rest of its batch put off without running their handlers, and nothing counted as an attempt', async () => {
    const handled: string[] = [];
    // The first event's handler runs; every other event's call is refused by the quota.
    const plugin = {
      async handleEvent(event: TongkitEvent): Promise<EventResult> {
        handled.push(event.id);
        if (event.id === 'evt-quota-1') return { ok: true, logs: [], logsTruncated: false, measurements: { cpuMicros: 1, wallMicros: 1, hostCalls: 0 } } as unknown as EventResult;
        return eventFailure(new TkError('TK_RATE_LIMITED', `merchant ${MERCHANT} is over its CPU quota`, { details: { limit: 'cpu', retryAfterMs: 30_000 } }));
      },
    } as unknown as LoadedPlugin;
    const dispatcher = new Dispatcher(test.db, async () => plugin);
    await test.db.transaction(async (tx) => {
      for (let i = 1; i <= 5; i++) await dispatcher.publishIn(tx, MERCHANT, { id: `evt-quota-${i}`, type: 'order.paid', data: { orderId: `o-${i}` } });
    });

    expect(await dispatcher.runOnce()).toBe(5);
    // 1 ran, 2 was refused; 3–5 were put off without running, and the batch was not redone (on an empty
    // quota a redo would be refused throughout, and the merchant's events would make no progress at all).
    expect(handled).toEqual(['evt-quota-1', 'evt-quota-2']);
    const { rows } = await test.db.query<{ event_id: string; status: string; attempts: number; put_off: boolean }>(
      `SELECT event_id, status, attempts, next_attempt_at > now() + interval '20 seconds' AS put_off FROM deliveries WHERE merchant_id = $1 ORDER BY event_id`,
      [MERCHANT],
    );
    expect(rows).toEqual([
      { event_id: 'evt-quota-1', status: 'done', attempts: 1, put_off: false },
      ...[2, 3, 4, 5].map((i) => ({ event_id: `evt-quota-${i}`, status: 'pending', attempts: 0, put_off: true })),
    ]);
  });

  it('still rolls the batch back when a "refused" handler made host calls first: its writes never commit', async () => {
    const handled: string[] = [];
    const plugin = {
      async handleEvent(event: TongkitEvent, _settings: unknown, host: { call: (ns: string, method: string, args: unknown[]) => Promise<unknown> }): Promise<EventResult> {
        handled.push(event.id);
        await host.call('kv', 'set', [`seen-${event.id}`, 1]);
        return eventFailure(new TkError('TK_RATE_LIMITED', 'forged after a write', { details: { retryAfterMs: 30_000 } }));
      },
    } as unknown as LoadedPlugin;
    const dispatcher = new Dispatcher(test.db, async () => plugin);
    await test.db.transaction(async (tx) => dispatcher.publishIn(tx, MERCHANT, { id: 'evt-forged-1', type: 'order.paid', data: {} }));
    expect(await dispatcher.runOnce()).toBeGreaterThan(0);
    // The fast path's transaction rolled back with the write; the isolated redo carried the refusal over.
    expect(handled).toEqual(['evt-forged-1']);
    expect((await test.db.query(`SELECT 1 FROM plugin_kv WHERE key = 'seen-evt-forged-1'`)).rows).toEqual([]);
    const { rows } = await test.db.query(`SELECT status, attempts FROM deliveries WHERE event_id = 'evt-forged-1'`);
    expect(rows).toEqual([{ status: 'pending', attempts: 0 }]);
  });
});
