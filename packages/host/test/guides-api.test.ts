// 导购 through the HTTP API on a real host and PostgreSQL: guides and hand-over on leave, relations with
// their protection window and a manager's override, concurrent binds, shares and clicks, what a guide's
// staff token sees, attribution + commission on order.paid and cumulative clawback on refunds,
// statements with a late reversal carried, and the anti-diversion signals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant, expectError, ok, startTestHost, type TestHost } from './helpers.js';

let t: TestHost;
let merchant: string;
let other: string;
let guideToken: string;
const M = 'gm';

async function staff(token: string, id: string, storeId: string | null, role: string, memberId?: string) {
  await ok(t.api(token, 'POST', '/v1/staff', { id, name: id, ...(storeId ? { storeId } : {}) }));
  return ok(t.api(token, 'POST', '/v1/guides', { id, role, storeId, ...(memberId ? { memberId } : {}) }));
}
async function member(token = merchant): Promise<string> {
  return (await ok(t.api<{ memberId: string }>(token, 'POST', '/v1/members', { channel: 'store', storeId: `${M}-store1` }))).memberId;
}
let seq = 0;
async function order(memberId: string, fen: number, paidAt: string, extra: Record<string, unknown> = {}) {
  const id = `GO-${++seq}`;
  await ok(t.api(merchant, 'POST', '/v1/orders', {
    id, kind: 'goods', channel: 'online', member: { id: memberId },
    lines: [{ sku: 'sofa', title: 'Sofa', category: 'furniture', quantity: 1, unitPriceFen: fen }],
    payments: [{ method: 'card', amountFen: fen }], paidAt, ...extra,
  }), 201);
  await settle();
  return id;
}
const refund = async (orderId: string, amountFen: number, refundedAt: string) => {
  await ok(t.api(merchant, 'POST', `/v1/orders/${orderId}/refunds`, { refundId: `R-${++seq}`, amountFen, refundedAt }), 201);
  await settle();
};
/** Until the guide worker queue is empty: the host's own worker loop may hold a row drain() skips. */
async function settle(): Promise<void> {
  for (;;) {
    await t.host.services.guides.worker.drain();
    const { rows } = await t.host.services.db.query<{ n: number }>("SELECT count(*)::int AS n FROM guide_order_work WHERE status = 'pending'");
    if (rows[0]!.n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
const bind = (body: Record<string, unknown>) => t.api(merchant, 'POST', '/v1/guide-relations', body);

beforeAll(async () => {
  t = await startTestHost({ runtime: { isolation: 'in-process' } });
  merchant = await createMerchant(t, M, { stores: [`${M}-store1`, `${M}-store2`] });
  other = await createMerchant(t, 'gother');
  await staff(merchant, 'ann', `${M}-store1`, 'guide');
  await staff(merchant, 'bob', `${M}-store1`, 'guide');
  await staff(merchant, 'mia', `${M}-store1`, 'store_manager');
  await staff(merchant, 'zed', `${M}-store2`, 'store_manager');
  guideToken = (await ok(t.api(merchant, 'POST', '/v1/tokens', { role: 'staff', staffId: 'ann' }), 201)).token;
  await ok(t.api(merchant, 'PUT', '/v1/guide-settings', { windowDays: 15, channelWindowDays: { online: 7 }, protectionDays: 10, defaultRateBp: 500, capBp: 1000 }));
}, 120_000);
afterAll(async () => t?.close());

describe('relations', () => {
  it('binds a member once, protects the relation from another guide, and lets a manager override it (audited)', async () => {
    const m = await member();
    const first = await ok(bind({ memberId: m, guideId: 'ann', source: 'store_scan', at: '2026-11-01T02:00:00Z' }), 201);
    expect(first).toMatchObject({ result: 'applied', code: 'BOUND', relation: { guideId: 'ann', protectedUntil: '2026-11-11T02:00:00.000Z' } });
    expect(await ok(bind({ memberId: m, guideId: 'ann', source: 'store_scan', at: '2026-11-02T02:00:00Z' }), 200)).toMatchObject({ result: 'duplicate', code: 'ALREADY_BOUND' });
    // Every moment of the window holds, up to its last millisecond.
    for (const at of ['2026-11-01T02:00:01Z', '2026-11-06T00:00:00Z', '2026-11-11T02:00:00.000Z'.replace('00.000Z', '00.000Z')]) {
      const taken = await ok(bind({ memberId: m, guideId: 'bob', source: 'share_link', at: new Date(Date.parse(at) - (at.startsWith('2026-11-11') ? 1 : 0)).toISOString() }), 200);
      expect(taken).toMatchObject({ result: 'rejected', code: 'PROTECTED', relation: { guideId: 'ann' } });
    }
    expectError(await bind({ memberId: m, guideId: 'bob', source: 'manager_assignment', at: '2026-11-03T00:00:00Z', override: { managerId: 'zed', reason: 'x' } }), 400, 'TK_VALIDATION', '/override/managerId');
    expect(await ok(bind({ memberId: m, guideId: 'bob', source: 'manager_assignment', at: '2026-11-03T00:00:00Z', override: { managerId: 'mia', reason: 'ann is on leave' } }), 201)).toMatchObject({ code: 'OVERRIDDEN', relation: { guideId: 'bob' } });
    const view = await ok(t.api(merchant, 'GET', `/v1/members/${m}/guide-relation`));
    expect(view.history.map((h: { action: string }) => h.action)).toEqual(['override', 'refused', 'refused', 'refused', 'bind']);
    expect(view.history[0]).toMatchObject({ fromGuideId: 'ann', toGuideId: 'bob', reason: 'ann is on leave' });
    // After the window, another guide may take the member.
    expect(await ok(bind({ memberId: m, guideId: 'ann', source: 'share_link', at: '2026-11-20T00:00:00Z' }), 201)).toMatchObject({ code: 'REBOUND' });
  });

  it('resolves concurrent binds of one member to one relation', async () => {
    const m = await member();
    const results = await Promise.all(['ann', 'bob', 'mia', 'ann', 'bob'].map((guideId) => ok(bind({ memberId: m, guideId, source: 'store_scan', at: '2026-11-05T00:00:00Z' }))));
    const applied = results.filter((r) => r.result === 'applied');
    expect(applied).toHaveLength(1);
    const winner = applied[0].relation.guideId;
    for (const r of results) expect(r.relation.guideId).toBe(winner);
    expect((await ok(t.api(merchant, 'GET', `/v1/members/${m}/guide-relation`))).relation.guideId).toBe(winner);
  });

  it('refuses an unknown guide or member and another merchant’s guide like none', async () => {
    const m = await member();
    expectError(await bind({ memberId: m, guideId: 'nobody', source: 'store_scan' }), 404, 'TK_NOT_FOUND', '/guideId');
    expectError(await bind({ memberId: 'mem_nope', guideId: 'ann', source: 'store_scan' }), 404, 'TK_NOT_FOUND', '/memberId');
    expectError(await t.api(other, 'GET', '/v1/guides/ann'), 404, 'TK_NOT_FOUND');
    expectError(await bind({ memberId: m, guideId: 'ann', source: 'teleport' }), 400, 'TK_VALIDATION', '/source');
  });
});

describe('a guide’s staff token', () => {
  it('sees only their own record, members, shares and commission, and cannot bind', async () => {
    const m = await member();
    await ok(bind({ memberId: m, guideId: 'ann', source: 'store_scan', at: '2026-11-06T00:00:00Z' }), 201);
    expect(await ok(t.api(guideToken, 'GET', '/v1/guides/ann'))).toMatchObject({ id: 'ann', role: 'guide' });
    expect((await ok(t.api(guideToken, 'GET', '/v1/guides/ann/members'))).items.map((r: { memberId: string }) => r.memberId)).toContain(m);
    const share = await ok(t.api(guideToken, 'POST', '/v1/guides/ann/shares', { shareId: 'ann-sofa', channel: 'online', target: 'sku:sofa' }), 201);
    expect(share.share).toMatchObject({ id: 'ann-sofa', guideId: 'ann', clicks: 0 });
    for (const path of ['/v1/guides/bob', '/v1/guides/bob/members', '/v1/guides/bob/shares', '/v1/guides/bob/commission', '/v1/guides/bob/statements/2026-11']) {
      expectError(await t.api(guideToken, 'GET', path), 404, 'TK_NOT_FOUND');
    }
    expectError(await t.api(guideToken, 'POST', '/v1/guides/bob/shares', { channel: 'online', target: 'x' }), 404, 'TK_NOT_FOUND');
    expectError(await t.api(guideToken, 'POST', '/v1/guide-relations', { memberId: m, guideId: 'ann', source: 'store_scan' }), 403, 'TK_FORBIDDEN');
    expectError(await t.api(guideToken, 'GET', '/v1/guides/ann/signals'), 403, 'TK_FORBIDDEN');
  });
});

describe('hand-over when a guide leaves', () => {
  it('gives the members to the store’s manager, audited, and refuses new binds to the guide who left', async () => {
    await staff(merchant, 'cat', `${M}-store1`, 'guide');
    const members = [await member(), await member()];
    for (const m of members) await ok(bind({ memberId: m, guideId: 'cat', source: 'store_scan', at: '2026-11-07T00:00:00Z' }), 201);
    const left = await ok(t.api(merchant, 'POST', '/v1/guides/cat/leave', { at: '2026-11-08T00:00:00Z' }));
    expect(left).toMatchObject({ result: 'applied', handedOverTo: 'mia', rule: 'store_manager', members: 2, guide: { status: 'left' } });
    for (const m of members) {
      const view = await ok(t.api(merchant, 'GET', `/v1/members/${m}/guide-relation`));
      expect(view.relation).toMatchObject({ guideId: 'mia', source: 'handover' });
      expect(view.history[0]).toMatchObject({ action: 'handover', fromGuideId: 'cat', toGuideId: 'mia' });
    }
    expect(await ok(bind({ memberId: await member(), guideId: 'cat', source: 'store_scan' }), 200)).toMatchObject({ result: 'rejected', code: 'GUIDE_LEFT' });
    expect(await ok(t.api(merchant, 'POST', '/v1/guides/cat/leave', {}))).toMatchObject({ result: 'duplicate' });
  });
});

describe('attribution and commission', () => {
  it('accrues the default ratio of the money tenders to the related guide and claws it back cumulatively', async () => {
    const m = await member();
    await ok(bind({ memberId: m, guideId: 'bob', source: 'store_scan', at: '2026-11-10T00:00:00Z' }), 201);
    // 30 000 fen card + 10 000 fen points: commission is on the card part only (500 bp → 1 500 fen).
    const id = `GO-${++seq}`;
    await ok(t.api(merchant, 'POST', '/v1/orders', {
      id, kind: 'goods', channel: 'store', storeId: `${M}-store1`, member: { id: m },
      lines: [{ sku: 'sofa', title: 'Sofa', category: 'furniture', quantity: 1, unitPriceFen: 40_000 }],
      payments: [{ method: 'card', amountFen: 30_000 }, { method: 'points', amountFen: 10_000 }], paidAt: '2026-11-12T00:00:00Z',
    }), 201);
    await settle();
    let bob = await ok(t.api(merchant, 'GET', '/v1/guides/bob/commission'));
    expect(bob).toMatchObject({ balanceFen: 1500, accruedFen: 1500, reversedFen: 0 });
    // Three partial refunds of a third each: 500, 500, 500 — never more, never less, in all 1 500.
    for (const at of ['2026-11-13T00:00:00Z', '2026-11-14T00:00:00Z', '2026-11-15T00:00:00Z']) await refund(id, 13_333, at);
    await refund(id, 1, '2026-11-16T00:00:00Z');
    bob = await ok(t.api(merchant, 'GET', '/v1/guides/bob/commission'));
    expect(bob.reversedFen).toBeLessThanOrEqual(bob.accruedFen);
    expect(bob.balanceFen).toBe(bob.entries.reduce((a: number, e: { amountFen: number }) => a + e.amountFen, 0));
    expect(bob.balanceFen).toBe(0);
  });

  it('attributes nothing past the window, and nothing to a guide buying as a member (a signal)', async () => {
    const m = await member();
    await ok(bind({ memberId: m, guideId: 'ann', source: 'store_scan', at: '2026-10-01T00:00:00Z' }), 201);
    const before = (await ok(t.api(merchant, 'GET', '/v1/guides/ann/commission'))).accruedFen;
    await order(m, 10_000, '2026-10-09T00:00:00Z'); // online window 7 days: expired
    expect((await ok(t.api(merchant, 'GET', '/v1/guides/ann/commission'))).accruedFen).toBe(before);
    // A click on ann's share inside the window attributes the online order.
    await ok(t.api(merchant, 'POST', '/v1/guide-shares/ann-sofa/clicks', { clickId: 'c1', memberId: m, clickedAt: '2026-10-08T00:00:00Z' }));
    await order(m, 10_000, '2026-10-09T01:00:00Z');
    expect((await ok(t.api(merchant, 'GET', '/v1/guides/ann/commission'))).accruedFen).toBe(before);
    // The fallback's rule is the relation in the window: a click alone is a signal for a plugin's policy (examples/guide-commission).
    const own = await member();
    await staff(merchant, 'dan', `${M}-store1`, 'guide', own);
    await ok(bind({ memberId: own, guideId: 'dan', source: 'store_scan', at: '2026-11-20T00:00:00Z' }), 201);
    const selfOrder = await order(own, 5_000, '2026-11-20T00:05:00Z');
    expect((await ok(t.api(merchant, 'GET', '/v1/guides/dan/commission'))).accruedFen).toBe(0);
    const report = await ok(t.api(merchant, 'GET', '/v1/guides/dan/signals?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z'));
    expect(report.signals.find((s: { signal: string }) => s.signal === 'self_purchase_refused')).toMatchObject({ flagged: true, evidence: { orderIds: [selfOrder] } });
  });
});

describe('statements', () => {
  it('settles a month in the merchant’s time zone; a reversal after settlement carries to the next statement', async () => {
    await staff(merchant, 'eve', `${M}-store2`, 'guide');
    const m = await member();
    await ok(bind({ memberId: m, guideId: 'eve', source: 'store_scan', at: '2026-09-30T15:00:00Z' }), 201);
    // 2026-09-30T17:00Z is 2026-10-01 01:00 in Shanghai: an October entry.
    const id = await order(m, 20_000, '2026-09-30T17:00:00Z');
    const settled = await ok(t.api(merchant, 'POST', '/v1/guide-statements', { month: '2026-09' }));
    expect(settled.statements.find((s: { guideId: string }) => s.guideId === 'eve')).toBeUndefined();
    const october = await ok(t.api(merchant, 'POST', '/v1/guide-statements', { month: '2026-10' }));
    expect(october.statements.find((s: { guideId: string }) => s.guideId === 'eve')).toMatchObject({ accruedFen: 1000, reversedFen: 0, netFen: 1000 });
    // A refund dated in October, processed after October was settled.
    await refund(id, 10_000, '2026-10-20T00:00:00Z');
    expect(await ok(t.api(merchant, 'POST', '/v1/guide-statements', { month: '2026-10' }))).toMatchObject({ result: 'duplicate' });
    await ok(t.api(merchant, 'POST', '/v1/guide-statements', { month: '2026-11' }));
    expect(await ok(t.api(merchant, 'GET', '/v1/guides/eve/statements/2026-11'))).toMatchObject({ accruedFen: 0, reversedFen: 0, carriedFen: -500, netFen: -500 });
    expectError(await t.api(merchant, 'POST', '/v1/guide-statements', { month: '2099-01' }), 400, 'TK_VALIDATION', '/month');
  });
});
