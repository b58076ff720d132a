// ctx.service through the real sandbox: the install's merchant's service orders only, advance with its
// idempotency record, and never to `paid` (the attack: a plugin paying a stage itself).
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlugin } from '@tongkit/runtime/build';
import { createHostServices, type HostServices } from '../src/testing.js';
import { scanHostApiUse } from '../src/platform/registry/permission-scan.js';
import { type Principal } from '../src/index.js';
import { PaymentCallbacks } from '../src/domains/service/payments.js';
import { ServiceOrders } from '../src/domains/service/service-orders.js';
import { createTestDatabase, type TestDatabase } from '../src/testing.js';

const PROBE = fileURLToPath(new URL('./plugins/service-probe', import.meta.url));
const developer: Principal = { role: 'developer', subjectId: 'dev-service-probe' };

let test: TestDatabase;
let services: HostServices;
let service: ServiceOrders;
let payments: PaymentCallbacks;
let plugin: { plugin: string; version: string };

beforeAll(async () => {
  test = await createTestDatabase();
  services = createHostServices(test.db, { runtime: { isolation: 'in-process' } });
  const { tenancy, registry } = services;
  await tenancy.upsertTier({ id: 'standard', name: 'Standard' });
  await tenancy.upsertDeveloper({ id: developer.subjectId, name: 'Probe developer' });
  for (const id of ['acme', 'globex', 'initech']) {
    await tenancy.upsertMerchant({ id, name: id, tierId: 'standard', development: true });
  }
  // The platform's single full payment (no service.plan install): one stage, no appointment.
  service = new ServiceOrders(services.db, services.orders, (tx, m, e, d) => services.dispatcher.publishIn(tx, m, e, d), async () => ({
    stages: [{ kind: 'custom', label: 'Full payment', ratioBps: 10_000, needsAppointment: false, refundable: true, due: 'on_creation' }],
    source: 'platform',
    installId: null,
  }));
  payments = new PaymentCallbacks(services.db, service);
  const { bundle } = await buildPlugin(PROBE);
  plugin = await registry.deploy(developer, bundle);
});
afterAll(async () => {
  await services?.runtime.dispose();
  await test?.drop();
});

async function paidServiceOrder(merchantId: string, orderId: string) {
  await services.orders.create(merchantId, {
    id: orderId, kind: 'service', channel: 'online',
    lines: [{ sku: 'w', title: 'Wardrobe', category: 'furniture', quantity: 1, unitPriceFen: 8_000 }],
    payments: [{ method: 'card', amountFen: 8_000 }], paidAt: '2026-12-01T08:00:00Z',
  });
  await service.create(merchantId, orderId);
  const { intentId } = await service.pay(merchantId, orderId, 1);
  const signed = await payments.fakeCapture(merchantId, intentId!);
  expect(await payments.receive(signed.headers, signed.body)).toEqual({ result: 'applied' });
  await services.dispatcher.drain();
  const { rows } = await test.db.query<{ value: any }>(
    `SELECT k.value FROM plugin_kv k JOIN installs i ON i.id = k.install_id WHERE i.merchant_id = $1 AND k.key = $2`,
    [merchantId, `seen:${orderId}:1`],
  );
  return rows[0]?.value;
}

describe('ctx.service', () => {
  it('reads and completes the install’s merchant’s stage, once per idempotency key; another merchant’s order is TK_NOT_FOUND', async () => {
    await services.orders.create('globex', { id: 'G-1', kind: 'service', channel: 'online', lines: [], payments: [], paidAt: '2026-12-01T08:00:00Z' });
    await service.create('globex', 'G-1');
    await services.installs.install('acme', { plugin: plugin.plugin, grantPermissions: ['service:read', 'service:write', 'storage:kv'], settings: { probeOrderId: 'G-1' } });
    const seen = await paidServiceOrder('acme', 'A-1');
    expect(seen.order.ok).toMatchObject({ id: 'A-1', stages: [{ state: 'paid' }] });
    expect(seen.probe).toEqual({ error: 'TK_NOT_FOUND' });
    expect(seen.probeAdvance).toEqual({ error: 'TK_NOT_FOUND' });
    expect(seen.advance.ok).toMatchObject({ result: 'applied', order: { status: 'completed' } });
    expect(seen.again.ok).toMatchObject({ result: 'applied' });
    const order = await service.get('acme', 'A-1');
    expect(order.history.at(-1)).toMatchObject({ from: 'paid', to: 'completed', actor: expect.stringMatching(/^plugin:ins_/), reason: 'plugin: work done' });
    expect((await service.get('globex', 'G-1')).stages[0]!.state).not.toBe('completed');
  });

  it('attack: a plugin cannot move a stage to paid (refused before the host, nothing changed)', async () => {
    await services.installs.install('initech', { plugin: plugin.plugin, grantPermissions: ['service:read', 'service:write', 'storage:kv'], settings: { forcePaid: true } });
    await paidServiceOrder('initech', 'I-1');
    const { rows } = await test.db.query<{ last_error: { code: string; path?: string } | null; status: string }>(`SELECT status, last_error FROM deliveries WHERE merchant_id = 'initech'`);
    const kv = await test.db.query<{ value: any }>(`SELECT k.value FROM plugin_kv k JOIN installs i ON i.id = k.install_id WHERE i.merchant_id = 'initech'`);
    // Either the call was refused with TK_VALIDATION and the handler went on, or the refusal failed the delivery.
    const refusal = kv.rows[0]?.value?.forcePaid ?? { error: rows[0]?.last_error?.code };
    expect(refusal).toEqual({ error: 'TK_VALIDATION' });
    const order = await service.get('initech', 'I-1');
    expect(order.history.filter((h) => h.to === 'paid').map((h) => h.actor)).toEqual([expect.stringMatching(/^provider:/)]);
  });

  it('shows review that the handlers use service:read and service:write', async () => {
    const { bundle } = await buildPlugin(PROBE);
    expect(scanHostApiUse(bundle.code, { events: ['service.stage.paid'] }).used).toEqual(expect.arrayContaining(['service:read', 'service:write']));
  });
});
