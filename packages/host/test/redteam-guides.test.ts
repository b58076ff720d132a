// Attacks on ctx.guides at the host's seam (HostApiRouter, as the dispatcher calls it) and at the
// runtime's permission check: another merchant's guide or member, malformed arguments at their JSON
// path, and a plugin without guides:read. Reads only, so there is no idempotency key to replay.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_HANDLER_BUDGET } from '@tongkit/sdk';
import { refuseHostCall } from '../../runtime/src/internal/event-invocation.js';
import { createHostServices, type HostServices } from '../src/testing.js';
import { HostApiRouter } from '../src/platform/modules/host-api-router.js';
import { createTestDatabase, type TestDatabase } from '../src/testing.js';

let test: TestDatabase;
let services: HostServices;
let router: HostApiRouter;
let memberA: string;
const site = (merchantId: string) => ({ installId: 'ins_probe', merchantId, plugin: 'probe', eventId: 'evt-1', batch: test.db });
const errorOf = (promise: Promise<unknown>) => promise.then(() => undefined, (error: { code: string; path?: string }) => error);

beforeAll(async () => {
  test = await createTestDatabase();
  services = createHostServices(test.db, { runtime: { isolation: 'in-process' } });
  router = new HostApiRouter(services.modules, test.db);
  await services.tenancy.upsertTier({ id: 'standard', name: 'Standard' });
  for (const id of ['acme', 'globex']) await services.tenancy.upsertMerchant({ id, name: id, tierId: 'standard', development: true });
  await test.db.query(`INSERT INTO staff (merchant_id, id, name) VALUES ('acme', 'ann', 'Ann')`);
  await services.guides.guides.upsert('acme', { id: 'ann', role: 'guide', storeId: null });
  memberA = (await services.members.register('acme', { channel: 'online' })).memberId;
  await services.guides.relations.bind('acme', { memberId: memberA, guideId: 'ann', source: 'share_link', at: '2026-11-01T00:00:00Z' }, 'test');
}, 60_000);
afterAll(async () => {
  await services?.runtime.dispose();
  await test?.drop();
});

describe('ctx.guides', () => {
  it('answers its own merchant', async () => {
    expect(await router.call(site('acme'), 'guides', 'get', ['ann'])).toMatchObject({ id: 'ann', status: 'active' });
    expect(await router.call(site('acme'), 'guides', 'relationOf', [memberA])).toMatchObject({ guideId: 'ann', source: 'share_link' });
  });

  it('answers another merchant’s guide like none, and knows no relation of its member', async () => {
    const other = await errorOf(router.call(site('globex'), 'guides', 'get', ['ann']));
    const none = await errorOf(router.call(site('acme'), 'guides', 'get', ['zed']));
    expect(other).toMatchObject({ code: 'TK_NOT_FOUND' });
    expect((other as unknown as Error).message).toBe((none as unknown as Error).message.replace('zed', 'ann'));
    expect(await router.call(site('globex'), 'guides', 'relationOf', [memberA])).toBeNull();
  });

  it('refuses malformed arguments with TK_VALIDATION at their path', async () => {
    expect(await errorOf(router.call(site('acme'), 'guides', 'get', [{ id: 'ann' }]))).toMatchObject({ code: 'TK_VALIDATION', path: '/0' });
    expect(await errorOf(router.call(site('acme'), 'guides', 'relationOf', ['../etc'])))
      .toMatchObject({ code: 'TK_VALIDATION', path: '/0' });
  });

  it('is refused to a plugin without guides:read', () => {
    const call = (method: string) => ({ event: 'order.paid', count: 1, namespace: 'guides', method, argsBytes: 10 });
    for (const method of ['get', 'relationOf']) {
      expect(refuseHostCall(call(method), ['orders:read'], ['orders:read'], EVENT_HANDLER_BUDGET)?.error.code).toBe('TK_PERMISSION_DENIED');
      expect(refuseHostCall(call(method), ['guides:read'], ['guides:read'], EVENT_HANDLER_BUDGET)).toBeUndefined();
    }
  });
});
