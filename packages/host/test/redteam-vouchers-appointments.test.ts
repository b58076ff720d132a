// Red team, ctx.vouchers and ctx.appointments: a plugin installed by merchant A names merchant B's
// voucher, template, service order and store — each answers TK_NOT_FOUND, and B's voucher is untouched.
// Malformed arguments are TK_VALIDATION with a JSON path; a replayed idempotency key is the first
// result (a redemption is never applied twice), the same key with another payload TK_CONFLICT; a plugin
// without vouchers:write / service:write is TK_PERMISSION_DENIED. Fixtures: plugins/redteam-voucher-probe
// and plugins/redteam-voucher-reader (their reports are read from their KV).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlugin } from '@tongkit/runtime/build';
import { createMerchant, kvValue, ok, orderPaidData, publish, startTestHost, uploadOf, type TestHost } from './helpers.js';

const here = fileURLToPath(new URL('.', import.meta.url));
let t: TestHost;
let tokenA: string;
let tokenB: string;
let probe: string;
let reader: string;
const names = { ownStore: 'rvo-a-1', theirStore: 'rvo-b-1', ownOrder: 'RVO-A', theirOrder: 'RVO-B', ownTemplate: 'gift-a', theirTemplate: 'gift-b', day: '2026-12-08', ownSerial: '', theirSerial: '' };

beforeAll(async () => {
  t = await startTestHost({ dispatch: { maxAttempts: 1, backoffMs: () => 0 } });
  await publish(t, { ...(await buildPlugin(join(here, 'plugins', 'redteam-voucher-probe'))).bundle, fixtures: [] });
  // The reader calls methods it did not declare: review refuses it, so it runs as a draft on a
  // development merchant — the sandbox and the host still refuse each undeclared call.
  await ok(t.api(t.host.tokens.developer, 'POST', '/v1/versions', { ...(await buildPlugin(join(here, 'plugins', 'redteam-voucher-reader'))).bundle, fixtures: [] }), 201);
  const plan = await publish(t, await uploadOf('stagedFurniture'));
  tokenA = await createMerchant(t, 'redteam-vo-a', { development: true, stores: [names.ownStore] });
  tokenB = await createMerchant(t, 'redteam-vo-b', { development: true, stores: [names.theirStore] });
  for (const [token, store, order, template] of [[tokenA, names.ownStore, names.ownOrder, names.ownTemplate], [tokenB, names.theirStore, names.theirOrder, names.theirTemplate]] as const) {
    // Every order a small one: stage 1 is a measurement visit, paid at once.
    await ok(t.api(token, 'POST', '/v1/installs', { plugin: plan.plugin, grantPermissions: ['service:read'], settings: { smallOrderBelowFen: 100_000_000 } }), 201);
    await ok(t.api(token, 'PUT', `/v1/stores/${store}/service-capacity/measurement`, { perDay: 5 }));
    await ok(t.api(token, 'POST', '/v1/orders', { id: order, kind: 'service', channel: 'store', storeId: store, lines: [{ sku: 'w', title: 'W', category: 'w', quantity: 1, unitPriceFen: 10_000 }], payments: [{ method: 'card', amountFen: 10_000 }], paidAt: '2026-12-01T02:00:00Z' }), 201);
    await ok(t.api(token, 'POST', '/v1/service-orders', { orderId: order }), 201);
    const { intentId } = await ok(t.api(token, 'POST', `/v1/service-orders/${order}/stages/1/pay`), 201);
    await ok(t.api(token, 'POST', `/v1/dev/payments/${intentId}/capture`, {}));
    await ok(t.api(token, 'PUT', `/v1/voucher-templates/${template}`, { title: 'Gift', kind: 'value', valueFen: 5_000, validDays: 30 }));
  }
  names.ownSerial = (await ok(t.api(tokenA, 'POST', '/v1/vouchers', { templateId: names.ownTemplate, issueKey: 'a-1' }), 201)).voucher.serial;
  names.theirSerial = (await ok(t.api(tokenB, 'POST', '/v1/vouchers', { templateId: names.theirTemplate, issueKey: 'b-1' }), 201)).voucher.serial;
  probe = (await ok(t.api(tokenA, 'POST', '/v1/installs', { plugin: 'redteam-voucher-probe', grantPermissions: ['vouchers:read', 'vouchers:write', 'service:write', 'storage:kv'] }), 201)).id;
  await ok(t.api(tokenA, 'POST', '/v1/events', { type: 'order.paid', data: orderPaidData(names) }), 202);
  await t.host.services.dispatcher.drain();
  // The reader gets its own event: its refused call fails its delivery, and a failure in a batch redoes
  // the batch — the probe's handler would run again, on the state its first run left.
  reader = (await ok(t.api(tokenA, 'POST', '/v1/installs', { plugin: 'redteam-voucher-reader', grantPermissions: ['vouchers:read', 'storage:kv'] }), 201)).id;
  await ok(t.api(tokenA, 'POST', '/v1/events', { type: 'order.paid', data: orderPaidData({ ...names, forReader: true }) }), 202);
  await t.host.services.dispatcher.drain();
}, 120_000);
afterAll(async () => {
  await t?.close();
});

type Report = Record<string, { value?: any; code?: string; path?: string }>;

describe('ctx.vouchers and ctx.appointments across tenants', () => {
  it('answers another merchant’s voucher, template, order and store with TK_NOT_FOUND, and changes nothing of theirs', async () => {
    const report = (await kvValue(t, probe, 'voucher-report')) as Report;
    for (const key of ['getTheirs', 'redeemTheirs', 'issueTheirTemplate', 'bookTheirOrder', 'bookAtTheirStore']) expect(report[key], key).toMatchObject({ code: 'TK_NOT_FOUND' });
    expect(await ok(t.api(tokenB, 'GET', `/v1/vouchers/${names.theirSerial}`))).toMatchObject({ available: 1, used: 0, locked: 0 });
    expect((await ok(t.api(tokenB, 'GET', `/v1/service-orders/${names.theirOrder}`))).stages[0].state).toBe('paid');
  });

  it('refuses malformed arguments with TK_VALIDATION and the JSON path', async () => {
    const report = (await kvValue(t, probe, 'voucher-report')) as Report;
    for (const key of ['badSerial', 'badStage', 'badDay']) {
      expect(report[key]?.code, key).toBe('TK_VALIDATION');
    }
  });

  it('answers a replayed key with the first result and the same key with another payload TK_CONFLICT', async () => {
    const report = (await kvValue(t, probe, 'voucher-report')) as Report;
    expect(report['getOwn']?.value).toMatchObject({ serial: names.ownSerial, available: 1 });
    expect(report['redeemOwn']?.value).toMatchObject({ result: 'applied', voucher: { available: 0, used: 1 } });
    expect(report['redeemOwnAgain']?.value).toEqual(report['redeemOwn']?.value);
    expect(report['redeemOwnOtherStore']?.code).toBe('TK_CONFLICT');
    expect(report['issueOwn']?.value).toMatchObject({ result: 'applied' });
    expect(report['issueOwnAgain']?.value).toEqual(report['issueOwn']?.value);
    expect(report['issueOwnChanged']?.code).toBe('TK_CONFLICT');
    expect(report['bookOwn']?.value).toMatchObject({ result: 'applied', appointment: { storeId: names.ownStore, day: names.day } });
    expect(report['bookOwnAgain']?.value).toEqual(report['bookOwn']?.value);
    // Redeemed once: the voucher's counts say so.
    expect(await ok(t.api(tokenA, 'GET', `/v1/vouchers/${names.ownSerial}`))).toMatchObject({ initial: 1, available: 0, used: 1, locked: 0 });
    expect((await ok(t.api(tokenA, 'GET', `/v1/stores/${names.ownStore}/appointments?day=${names.day}`))).availability[0].booked).toBe(1);
  });

  it('refuses vouchers.issue to a plugin without vouchers:write: TK_PERMISSION_DENIED ends its delivery, nothing is issued', async () => {
    // An undeclared call is not an error the handler may catch and carry on after: the delivery fails.
    const { rows } = await t.host.services.db.query<{ status: string; last_error: { code: string; details: Record<string, string> } }>(`SELECT status, last_error FROM deliveries WHERE install_id = $1`, [reader]);
    expect(rows).toEqual([{ status: 'dead', last_error: expect.objectContaining({ code: 'TK_PERMISSION_DENIED', details: { method: 'issue', namespace: 'vouchers', permission: 'vouchers:write' } }) }]);
    expect(await kvValue(t, reader, 'reader-report')).toBeUndefined();
    const issued = await t.host.services.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM vouchers WHERE merchant_id = 'redteam-vo-a' AND issue_key LIKE $1`, [`${reader}:%`]);
    expect(issued.rows[0]!.n).toBe(0);
  });
});
