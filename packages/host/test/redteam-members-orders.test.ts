// Attacks on ctx.members and ctx.orders through the real sandbox: another merchant's IDs, malformed
// arguments, personal data without member:pii, phone numbers in plugin inputs or logs; and what an
// honest plugin gets (typed order.paid data, the member without PII, review's permission scan).
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlugin } from '@tongkit/runtime/build';
import { createHostServices, type HostServices } from '../src/testing.js';
import { scanHostApiUse } from '../src/platform/registry/permission-scan.js';
import { type Principal } from '../src/index.js';
import { createTestDatabase, type TestDatabase } from '../src/testing.js';

const PROBE = fileURLToPath(new URL('./plugins/member-probe', import.meta.url));
const PII_PROBE = fileURLToPath(new URL('./plugins/member-pii-probe', import.meta.url));
const developer: Principal = { role: 'developer', subjectId: 'dev-probe' };
const reviewer: Principal = { role: 'reviewer', subjectId: 'reviewer-probe' };
const consent = { textVersion: 'v1', consentedAt: '2026-11-20T10:00:00Z' };

let test: TestDatabase;
let services: HostServices;
let plugin: { plugin: string; version: string };
let piiPlugin: { plugin: string; version: string };

beforeAll(async () => {
  test = await createTestDatabase();
  services = createHostServices(test.db, { runtime: { isolation: 'in-process' } });
  const { tenancy, registry } = services;
  await tenancy.upsertTier({ id: 'standard', name: 'Standard' });
  await tenancy.upsertDeveloper({ id: developer.subjectId, name: 'Probe developer' });
  for (const id of ['acme', 'globex', 'initech']) await tenancy.upsertMerchant({ id, name: id, tierId: 'standard', development: true });
  const publish = async (dir: string, review = true) => {
    const { bundle } = await buildPlugin(dir);
    const deployed = await registry.deploy(developer, bundle);
    if (!review) return deployed;
    await registry.submit(developer, deployed.plugin, deployed.version);
    await registry.decide(reviewer, deployed.plugin, deployed.version, 'approve', 'reads members and orders');
    return deployed;
  };
  // Review refuses it (it calls ctx.members.pii without declaring member:pii): development merchants
  // run it unreviewed, which is how the runtime's own refusal is tested.
  plugin = await publish(PROBE, false);
  piiPlugin = await publish(PII_PROBE);
});
afterAll(async () => {
  await services?.runtime.dispose();
  await test?.drop();
});

async function paidOrder(merchantId: string, orderId: string, memberId: string) {
  await services.orders.create(merchantId, {
    id: orderId,
    kind: 'goods',
    channel: 'online',
    member: { id: memberId },
    lines: [{ sku: 's', title: 'T', category: 'c', quantity: 1, unitPriceFen: 5_000 }],
    payments: [{ method: 'card', amountFen: 4_000 }, { method: 'points', amountFen: 1_000 }],
    paidAt: '2026-11-25T08:00:00Z',
  });
  await services.dispatcher.drain();
  const { rows } = await test.db.query<{ value: any }>(
    `SELECT k.value FROM plugin_kv k JOIN installs i ON i.id = k.install_id WHERE i.merchant_id = $1 AND k.key = $2`,
    [merchantId, `seen:${orderId}`],
  );
  return rows[0]?.value;
}

describe('ctx.members and ctx.orders', () => {
  it('read the install’s merchant’s order and member; another merchant’s are TK_NOT_FOUND', async () => {
    const other = await services.members.register('globex', { channel: 'online' });
    await services.orders.create('globex', { id: 'G-1', kind: 'goods', channel: 'online', lines: [], payments: [], paidAt: '2026-11-25T08:00:00Z' });
    await services.installs.install('acme', {
      plugin: plugin.plugin,
      grantPermissions: ['member:read', 'orders:read', 'storage:kv'],
      settings: { probeOrderId: 'G-1', probeMemberId: other.memberId },
    });
    const { memberId } = await services.members.bind('acme', { crmMemberId: 'crm-1', phone: '13600000001', consent });
    const seen = await paidOrder('acme', 'A-1', memberId!);
    expect(seen.order.ok).toMatchObject({ id: 'A-1', memberId, totalFen: 5_000, spendFen: 4_000 });
    expect(seen.member.ok).toMatchObject({ id: memberId, status: 'active', hasPhone: true, binding: { crmMemberId: 'crm-1' } });
    expect(JSON.stringify(seen.member.ok)).not.toContain('13600000001');
    expect(seen.probeOrder).toEqual({ error: 'TK_NOT_FOUND' });
    expect(seen.probeMember).toEqual({ error: 'TK_NOT_FOUND' });
  });

  it('refuses malformed arguments (TK_VALIDATION by the catalogue’s schemas, never a query with them)', async () => {
    await services.tenancy.upsertMerchant({ id: 'umbrella', name: 'umbrella', tierId: 'standard', development: true });
    const { memberId } = await services.members.register('umbrella', { channel: 'online' });
    const install = await services.installs.install('umbrella', { plugin: plugin.plugin, grantPermissions: ['member:read', 'orders:read', 'storage:kv'] });
    for (const [i, args] of [[123], ['x'.repeat(10_000)], [{ $ne: null }], ["mem_' OR 1=1 --"], []].entries()) {
      await services.installs.setSettings('umbrella', install.id, { probeRawArgs: JSON.stringify(args) });
      const seen = await paidOrder('umbrella', `U-${i}`, memberId);
      expect(seen?.rawMember, JSON.stringify(args)).toMatchObject({ error: expect.stringMatching(/^TK_(VALIDATION|NOT_FOUND)$/) });
      expect(seen?.rawOrder, JSON.stringify(args)).toMatchObject({ error: expect.stringMatching(/^TK_(VALIDATION|NOT_FOUND)$/) });
    }
  });

  it('refuses ctx.members.pii without member:pii', async () => {
    const { memberId } = await services.members.register('initech', { channel: 'online', pii: { phone: '13600000002', name: 'Peter' } });
    await services.installs.install('initech', { plugin: plugin.plugin, grantPermissions: ['member:read', 'orders:read', 'storage:kv'], settings: { readPii: true } });
    // A refused host call fails the delivery even when the handler catches it: nothing it did is kept.
    expect(await paidOrder('initech', 'I-1', memberId)).toBeUndefined();
    const { rows } = await test.db.query<{ last_error: { code: string; details: unknown } }>(`SELECT last_error FROM deliveries WHERE merchant_id = 'initech'`);
    expect(rows[0]!.last_error).toMatchObject({ code: 'TK_PERMISSION_DENIED', details: { namespace: 'members', method: 'pii', permission: 'member:pii' } });
  });

  it('puts no phone number in any plugin input or log without member:pii', async () => {
    await services.extensions.flushLog();
    const { rows } = await test.db.query<{ text: string }>(
      `SELECT coalesce((SELECT string_agg(data::text, ' ') FROM events), '') || ' ' || coalesce((SELECT string_agg(coalesce(input::text, ''), ' ') FROM invocations), '')
         || ' ' || coalesce((SELECT string_agg(message || coalesce(data::text, ''), ' ') FROM plugin_logs), '')
         || ' ' || coalesce((SELECT string_agg(value::text, ' ') FROM plugin_kv), '') AS text`,
    );
    expect(rows[0]!.text).toContain('order.paid seen');
    expect(rows[0]!.text).not.toMatch(/1360000000[12]|Peter/);
  });

  it('answers ctx.members.pii to an install granted member:pii', async () => {
    await services.tenancy.upsertMerchant({ id: 'hooli', name: 'hooli', tierId: 'standard' });
    const { memberId } = await services.members.register('hooli', { channel: 'online', pii: { phone: '13600000003', name: 'Gavin' } });
    await services.installs.install('hooli', { plugin: piiPlugin.plugin, grantPermissions: ['member:read', 'member:pii', 'storage:kv'] });
    await paidOrder('hooli', 'H-1', memberId);
    const { rows } = await test.db.query<{ value: unknown }>(`SELECT k.value FROM plugin_kv k JOIN installs i ON i.id = k.install_id WHERE i.merchant_id = 'hooli' AND k.key = 'pii:H-1'`);
    expect(rows[0]?.value).toEqual({ phone: '+8613600000003', name: 'Gavin' });

    // Erasure: the host purges the KV entry stored with the member and tells the install (member:read).
    expect(await services.members.delete('hooli', memberId, { requestedAt: new Date('2026-12-01T00:00:00Z') })).toMatchObject({ code: 'DELETED', purged: { kvEntries: 1 } });
    await services.dispatcher.drain();
    const kv = await test.db.query<{ key: string; value: unknown }>(`SELECT k.key, k.value FROM plugin_kv k JOIN installs i ON i.id = k.install_id WHERE i.merchant_id = 'hooli' ORDER BY k.key`);
    expect(kv.rows).toEqual([{ key: `redacted:${memberId}`, value: '2026-12-01T00:00:00.000Z' }]);
  });

  it('shows in review which permissions the handlers use', async () => {
    const { bundle } = await buildPlugin(PROBE);
    const scan = scanHostApiUse(bundle.code, { events: ['order.paid'] });
    expect(scan.used).toEqual(expect.arrayContaining(['member:read', 'member:pii', 'orders:read', 'storage:kv']));
    expect(scanHostApiUse((await buildPlugin(PII_PROBE)).bundle.code, { events: ['order.paid'] }).used).toEqual(expect.arrayContaining(['member:pii']));
  });
});
