// The points ledger over HTTP (operator adjustments, balances, the paged ledger) and through `ctx.points`
// of a real sandboxed plugin, on a real host.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant, expectError, kvValue, ok, publish, startTestHost, uploadOf, type TestHost, orderPaidData } from './helpers.js';

let t: TestHost;
let acme: string;
let globex: string;
let memberId: string;
beforeAll(async () => {
  t = await startTestHost({ runtime: { isolation: 'in-process' } });
  acme = await createMerchant(t, 'acme');
  globex = await createMerchant(t, 'globex');
  memberId = (await ok(t.api(acme, 'POST', '/v1/members', { channel: 'online' }), 201)).memberId;
});
afterAll(() => t.close());

const adjust = (body: Record<string, unknown>, key: string, token = acme, member = memberId) =>
  t.api(token, 'POST', `/v1/members/${member}/points`, body, { headers: { 'idempotency-key': key } });

describe('operator adjustments', () => {
  it('grants with a reason and an idempotency key (201), answers the same request again as a duplicate (200)', async () => {
    const granted = await ok(adjust({ points: 300, reason: 'goodwill', expiresAt: '2099-01-01T00:00:00Z' }, 'adj-1'), 201);
    expect(granted).toMatchObject({ status: 'applied', memberId, account: 'points', balanceBefore: 0, balanceAfter: 300 });
    const again = await ok(adjust({ points: 300, reason: 'goodwill', expiresAt: '2099-01-01T00:00:00Z' }, 'adj-1'), 200);
    expect(again).toMatchObject({ status: 'duplicate', firstStatus: 'applied', entryId: granted.entryId });
    expectError(await adjust({ points: 301, reason: 'goodwill' }, 'adj-1'), 409, 'TK_CONFLICT', '/idempotencyKey');
  });

  it('deducts with a negative amount, and rejects one beyond the balance with a reason code', async () => {
    expect(await ok(adjust({ points: -100, reason: 'correction' }, 'adj-2'), 201)).toMatchObject({ status: 'applied', balanceAfter: 200 });
    expect(await ok(adjust({ points: -1000, reason: 'correction' }, 'adj-3'), 200)).toMatchObject({ status: 'rejected', reason: 'insufficient_balance', balanceAfter: 200 });
  });

  it('adjusts growth value on its own account', async () => {
    expect(await ok(adjust({ account: 'growth', points: 40, reason: 'anniversary' }, 'adj-4'), 201)).toMatchObject({ account: 'growth', balanceAfter: 40 });
  });

  it('requires the reason and the idempotency key, and refuses 0', async () => {
    expectError(await adjust({ points: 5 }, 'adj-5'), 400, 'TK_VALIDATION');
    expectError(await t.api(acme, 'POST', `/v1/members/${memberId}/points`, { points: 5, reason: 'r' }), 400, 'TK_VALIDATION');
    expectError(await adjust({ points: 0, reason: 'r' }, 'adj-6'), 400, 'TK_VALIDATION', '/points');
  });

  it('answers an unknown member 404, and another merchant’s member exactly the same', async () => {
    expect(expectError(await adjust({ points: 5, reason: 'r' }, 'adj-7', acme, 'mem_nobody'), 404, 'TK_NOT_FOUND', '/params/id').message).toBe('no member mem_nobody');
    expect(expectError(await adjust({ points: 5, reason: 'r' }, 'adj-8', globex), 404, 'TK_NOT_FOUND', '/params/id').message).toBe(`no member ${memberId}`);
    expectError(await t.api(globex, 'GET', `/v1/members/${memberId}/points`), 404, 'TK_NOT_FOUND');
    expectError(await t.api(globex, 'GET', `/v1/members/${memberId}/ledger`), 404, 'TK_NOT_FOUND');
  });
});

describe('reading', () => {
  it('shows balances, holds, debt and the next-expiring lots', async () => {
    const view = await ok(t.api(acme, 'GET', `/v1/members/${memberId}/points`));
    expect(view).toMatchObject({ memberId, points: { balance: 200, held: 0, debt: 0 }, growth: { balance: 40, held: 0, debt: 0 }, holds: [] });
    expect(view.lots[0]).toMatchObject({ account: 'points', remaining: 200, expiresAt: '2099-01-01T00:00:00.000Z' });
  });

  it('pages through the ledger, oldest first', async () => {
    const first = await ok(t.api(acme, 'GET', `/v1/members/${memberId}/ledger?limit=1`));
    expect(first.items.map((e: { kind: string; delta: number }) => [e.kind, e.delta])).toEqual([['grant', 300]]);
    expect(first.items[0]).toMatchObject({ reason: 'goodwill', source: { kind: 'operator', id: 'acme' } });
    const rest = await ok(t.api(acme, 'GET', `/v1/members/${memberId}/ledger?after=${first.next}&account=points`));
    expect(rest.items.map((e: { kind: string; delta: number }) => [e.kind, e.delta])).toEqual([['deduct', -100]]);
    expect(rest.next).toBeNull();
    expectError(await t.api(acme, 'GET', `/v1/members/${memberId}/ledger?after=x`), 400, 'TK_VALIDATION');
  });

  it('is for merchants (and admins naming one)', async () => {
    expectError(await t.api(t.host.tokens.developer, 'GET', `/v1/members/${memberId}/points`), 403, 'TK_FORBIDDEN');
    const asAdmin = await ok(t.api(t.host.tokens.admin, 'GET', `/v1/members/${memberId}/points?merchantId=acme`));
    expect(asAdmin.points.balance).toBe(200);
  });
});

describe('ctx.points in a plugin', () => {
  it('grants, freezes and confirms once per event, however often the event is delivered', async () => {
    const { plugin } = await publish(t, await uploadOf('pointsGranter'));
    const install = await ok(t.api(acme, 'POST', '/v1/installs', { plugin, grantPermissions: ['points:write', 'member:read', 'storage:kv'] }), 201);
    const event = { id: 'paid-1', type: 'order.paid', data: orderPaidData({ memberId, spendFen: 20_000 }) };
    await ok(t.api(acme, 'POST', '/v1/events', event));
    await t.host.services.dispatcher.drain();
    expect(await kvValue(t, install.id, 'answers:paid-1')).toEqual({ granted: 'applied', hold: 'applied', confirmed: 'applied', balance: 200 + 20 - 5 });
    // A redelivery (the handler runs again with the same event): every call is a duplicate.
    await t.database.db.query(`UPDATE deliveries SET status = 'pending', next_attempt_at = now() WHERE event_id = 'paid-1'`);
    await t.database.db.query(`DELETE FROM plugin_kv WHERE install_id = $1`, [install.id]);
    await t.database.db.query(`DELETE FROM idempotency_keys WHERE install_id = $1`, [install.id]);
    await t.host.services.dispatcher.drain();
    expect(await kvValue(t, install.id, 'answers:paid-1')).toEqual({ granted: 'duplicate', hold: 'duplicate', confirmed: 'duplicate', balance: 215 });
    const { items } = await ok(t.api(acme, 'GET', `/v1/members/${memberId}/ledger?account=points`));
    expect(items.filter((e: { source: { kind: string } }) => e.source.kind === 'install').map((e: { kind: string; delta: number }) => [e.kind, e.delta])).toEqual([
      ['grant', 20],
      ['freeze', -5],
      ['confirm', 0],
    ]);
  });

  it('emits points.changed one step deeper than the event whose handler changed the points', async () => {
    const depthsOf = async () =>
      (await t.database.db.query<{ id: string; causation_depth: number }>(`SELECT id, causation_depth FROM events WHERE merchant_id = 'acme' AND type = 'points.changed'`)).rows;
    const before = new Set((await depthsOf()).map((e) => e.id));
    // An order.paid that is itself three plugin steps deep (the plugin installed above handles it).
    await t.host.services.dispatcher.publish('acme', { id: 'paid-deep', type: 'order.paid', data: { memberId, spendFen: 10_000 } }, 3);
    await t.host.services.dispatcher.drain();
    const caused = (await depthsOf()).filter((e) => !before.has(e.id));
    expect(caused.length).toBeGreaterThan(0);
    expect(new Set(caused.map((e) => e.causation_depth))).toEqual(new Set([4]));
  });
});
