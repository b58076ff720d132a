// Who may call what: generated from Fastify's own route table. Every route the API registers must have
// an entry below (a new route without one fails this file), must declare `config.auth`, and is called
// by every kind of caller — no token, a bad token, developer, reviewer, merchant A, merchant B, admin.
// Then tenant isolation: merchant B never reaches merchant A's installs, logs or dead letters, and a
// developer never sees another developer's drafts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/index.js';
import { collectRoutes, createDeveloper, createMerchant, expectError, expectErrorBody, ok, publish, startTestHost, tierInput, uploadOf, type ApiResponse, type RouteEntry, type TestHost, orderPaidData } from './helpers.js';

/**
 * The expected `config.auth` of every route (GET routes stand for the HEAD routes Fastify adds for them).
 * Adding a route to the API means adding it here, with who may call it.
 */
const EXPECTED_AUTH: Record<string, Role[] | 'public'> = {
  'GET /healthz': 'public',
  'GET /openapi.json': 'public',
  // registry and review
  'POST /v1/versions': ['developer'],
  'POST /v1/plugins/:plugin/versions/:version/submit': ['developer'],
  'GET /v1/versions': ['developer', 'reviewer', 'merchant'],
  'GET /v1/plugins/:plugin/versions/:version': ['developer', 'reviewer', 'merchant'],
  'GET /v1/review/queue': ['reviewer'],
  // merchants decide on their own brand's private plugins only (the registry checks which)
  'POST /v1/plugins/:plugin/versions/:version/approve': ['reviewer', 'merchant'],
  'POST /v1/plugins/:plugin/versions/:version/reject': ['reviewer', 'merchant'],
  // installs
  'GET /v1/catalog': ['merchant'],
  'POST /v1/installs': ['merchant'],
  'GET /v1/installs': ['merchant'],
  'GET /v1/installs/:id': ['merchant'],
  'PUT /v1/installs/:id/settings': ['merchant'],
  'GET /v1/installs/:id/settings': ['merchant'],
  'PUT /v1/installs/:id/stores/:storeId/settings': ['merchant'],
  'POST /v1/installs/:id/upgrade': ['merchant'],
  'POST /v1/installs/:id/rollback': ['merchant'],
  'POST /v1/installs/:id/enable': ['merchant'],
  'POST /v1/installs/:id/disable': ['merchant'],
  'DELETE /v1/installs/:id': ['merchant'],
  // extensions, events, logs
  'POST /v1/extensions/:point/invoke': ['merchant'],
  'POST /v1/events': ['merchant'],
  'GET /v1/deliveries/dead': ['merchant'],
  'POST /v1/deliveries/:eventId/:installId/replay': ['merchant'],
  'GET /v1/logs': ['merchant', 'developer'],
  // 会员通: orders and members (a merchant's own data; admins name the merchant)
  // orders in and refunds also from the merchant's POS or ERP (an integration token it issued)
  'POST /v1/orders': ['merchant', 'integration'],
  'GET /v1/orders/:id': ['merchant'],
  'POST /v1/orders/:id/refunds': ['merchant', 'integration'],
  'GET /v1/members/:id/orders': ['merchant'],
  'POST /v1/members': ['merchant'],
  'POST /v1/members/bind': ['merchant'],
  'POST /v1/members/unbind': ['merchant'],
  'GET /v1/members/:id': ['merchant'],
  'GET /v1/members/:id/pii': ['merchant'],
  'DELETE /v1/members/:id': ['merchant'],
  // 会员通: the points ledger (operator adjustments and reads)
  'POST /v1/members/:id/points': ['merchant'],
  'GET /v1/members/:id/points': ['merchant'],
  'GET /v1/members/:id/ledger': ['merchant'],
  // 服务通: service orders and payments (the callback is authenticated by its signature, not a token)
  'POST /v1/service-orders': ['merchant'],
  'GET /v1/service-orders/:id': ['merchant'],
  'POST /v1/service-orders/:id/stages/:stageNo/advance': ['merchant'],
  'POST /v1/service-orders/:id/stages/:stageNo/pay': ['merchant'],
  'POST /v1/service-orders/:id/reprice': ['merchant'],
  'POST /v1/service-orders/:id/cancel': ['merchant'],
  'POST /v1/payments/secrets': ['merchant'],
  'GET /v1/payments/unmatched': ['merchant'],
  'POST /v1/payments/callback': 'public',
  'POST /v1/dev/payments/:intentId/capture': ['merchant'],
  // stored value (会员宝)
  'GET /v1/stored-value/rules': ['merchant'],
  'PUT /v1/stored-value/rules': ['merchant'],
  'GET /v1/members/:id/stored-value': ['merchant'],
  'GET /v1/members/:id/stored-value/entries': ['merchant'],
  'POST /v1/members/:id/stored-value/top-ups': ['merchant'],
  'GET /v1/stored-value/top-ups/:topUpId': ['merchant'],
  'POST /v1/stored-value/top-ups/:topUpId/refund': ['merchant'],
  'POST /v1/members/:id/stored-value/spends': ['merchant'],
  'POST /v1/stored-value/spends/:spendId/refunds': ['merchant'],
  'POST /v1/stored-value/callback': 'public',
  'POST /v1/dev/stored-value/top-ups/:topUpId/capture': ['merchant'],
  // checkout
  'PUT /v1/checkout/tiers/:tierId/benefits': ['merchant'],
  'PUT /v1/checkout/stacking': ['merchant'],
  'POST /v1/checkout/benefits': ['merchant'],
  'POST /v1/checkout/redeem-points': ['merchant'],
  'PUT /v1/stores/:storeId/service-capacity/:kind': ['merchant'],
  'GET /v1/stores/:storeId/service-capacity': ['merchant', 'store', 'staff'],
  'GET /v1/stores/:storeId/appointments': ['merchant', 'store', 'staff'],
  'PUT /v1/service-settings': ['merchant'],
  'POST /v1/service-orders/:id/stages/:stageNo/appointments': ['merchant'],
  'GET /v1/appointments/:appointmentId': ['merchant', 'store', 'staff'],
  'POST /v1/appointments/:appointmentId/reschedule': ['merchant'],
  'POST /v1/appointments/:appointmentId/cancel': ['merchant'],
  'POST /v1/appointments/:appointmentId/sign-in': ['merchant', 'store', 'staff'],
  'POST /v1/appointments/:appointmentId/complete': ['merchant', 'store', 'staff'],
  'PUT /v1/voucher-templates/:template': ['merchant'],
  'GET /v1/voucher-templates': ['merchant'],
  'POST /v1/vouchers': ['merchant'],
  'GET /v1/vouchers': ['merchant'],
  'GET /v1/vouchers/:serial': ['merchant'],
  'POST /v1/vouchers/:serial/precheck': ['merchant', 'store', 'staff'],
  'POST /v1/vouchers/:serial/redeem': ['merchant', 'store', 'staff'],
  'POST /v1/voucher-redemptions/:redemptionId/reverse': ['merchant'],
  'POST /v1/vouchers/:serial/extend': ['merchant'],
  // administration
  'POST /v1/admin/merchant-tiers': ['admin'],
  'POST /v1/admin/merchants': ['admin'],
  'POST /v1/admin/stores': ['admin'],
  'POST /v1/admin/developers': ['admin'],
  'POST /v1/admin/tokens': ['admin'],
  'GET /v1/admin/sandbox': ['admin'],
  'GET /v1/admin/member-keys': ['admin'],
  'POST /v1/admin/member-keys/rotate': ['admin'],
  // the merchant's own principals, and the first routes store and staff tokens reach
  'POST /v1/staff': ['merchant'],
  'GET /v1/staff/:staffId': ['merchant', 'staff'],
  // the merchant's own stores (store ids are unique across the host: another merchant's id is TK_CONFLICT)
  'GET /v1/stores': ['merchant'],
  'POST /v1/stores': ['merchant'],
  'GET /v1/stores/:storeId': ['merchant', 'store', 'staff'],
  'POST /v1/tokens': ['merchant'],
  'GET /v1/tokens': ['merchant'],
  'DELETE /v1/tokens/:tokenId': ['merchant'],
  // tiers (会员通): the ladder and a member's tier history
  'PUT /v1/tiers': ['merchant'],
  'GET /v1/tiers': ['merchant'],
  'GET /v1/members/:id/tier-history': ['merchant'],
  // fulfilment (商品通)
  'PUT /v1/stores/:storeId/fulfilment': ['merchant'],
  'GET /v1/stores/:storeId/fulfilment': ['merchant'],
  'POST /v1/inventory/bills': ['merchant'],
  'GET /v1/stores/:storeId/stock': ['merchant'],
  'POST /v1/product-codes': ['merchant'],
  'POST /v1/scans': ['merchant'],
  'POST /v1/pickup-codes': ['merchant'],
  'POST /v1/stores/:storeId/pickups': ['merchant'],
  // the allocation saga: the merchant routes and watches an order; a store works its own queue
  'GET /v1/allocation-settings': ['merchant'],
  'PUT /v1/allocation-settings': ['merchant'],
  'POST /v1/orders/:id/allocation': ['merchant'],
  'GET /v1/orders/:id/allocation': ['merchant'],
  'GET /v1/stores/:storeId/allocations': ['merchant', 'store'],
  'POST /v1/stores/:storeId/allocations/:allocationId/accept': ['merchant', 'store'],
  'POST /v1/stores/:storeId/allocations/:allocationId/refuse': ['merchant', 'store'],
  // the workbench: its session (sign-in exchanges a bearer token; the rest read the cookie themselves),
  // the reads it added, and its static pages and assets
  'POST /v1/session': ['developer', 'reviewer', 'merchant'],
  'POST /v1/session/development': 'public',
  'GET /v1/session': 'public',
  'DELETE /v1/session': 'public',
  'PUT /v1/installs/:id/points/:point': ['merchant'],
  'POST /v1/installs/:id/settings/preview': ['merchant'],
  'POST /v1/installs/:id/backfill/resume': ['merchant'],
  // 导购
  'POST /v1/guides': ['merchant'],
  'GET /v1/guides': ['merchant'],
  'GET /v1/guides/:guideId': ['merchant', 'staff'],
  'POST /v1/guides/:guideId/leave': ['merchant'],
  'GET /v1/guides/:guideId/members': ['merchant', 'staff'],
  'POST /v1/guide-relations': ['merchant'],
  'GET /v1/members/:memberId/guide-relation': ['merchant'],
  'POST /v1/guides/:guideId/shares': ['merchant', 'staff'],
  'GET /v1/guides/:guideId/shares': ['merchant', 'staff'],
  'POST /v1/guide-shares/:shareId/clicks': ['merchant'],
  'GET /v1/guides/:guideId/commission': ['merchant', 'staff'],
  'GET /v1/guides/:guideId/statements/:month': ['merchant', 'staff'],
  'POST /v1/guide-statements': ['merchant'],
  'GET /v1/guides/:guideId/signals': ['merchant'],
  'GET /v1/guide-settings': ['merchant'],
  'PUT /v1/guide-settings': ['merchant'],
  'GET /v1/installs/:id/breakers': ['merchant'],
  'GET /v1/installs/:id/versions': ['merchant'],
  'GET /': 'public',
  'GET /sign-in': 'public',
  'GET /review': 'public',
  'GET /review/*': 'public',
  'GET /merchant': 'public',
  'GET /merchant/*': 'public',
  'GET /developer': 'public',
  'GET /developer/*': 'public',
  'GET /assets/*': 'public',
  'GET /favicon.svg': 'public',
};

/** Public routes that answer something else than 200 to the matrix's call (an empty body, no cookie). */
const PUBLIC_STATUS: Record<string, number> = {
  // no development sign-in on this host (and `{}` names no role)
  'POST /v1/session/development': 400,
  // signing out without a session clears the cookie all the same
  'DELETE /v1/session': 204,
  // `/assets/*` names no built file
  'GET /assets/*': 404,
};

/**
 * Values for path parameters in the matrix: ids that exist nowhere, so that an allowed caller reaches
 * the handler (and gets a 4xx from it) without changing anything.
 */
/** Public routes authenticated by a signature over their body (the payment provider's callback). */
const SIGNED = new Set(['POST /v1/payments/callback', 'POST /v1/stored-value/callback']);

const PARAMS: Record<string, string> = {
  memberId: 'mem_matrix_none',
  month: '2026-10',
  shareId: 'shr_matrix_none',
  guideId: 'matrix-guide',
  plugin: 'no-such-plugin',
  version: '9.9.9',
  id: 'ins_matrix_none',
  storeId: 'matrix-store',
  allocationId: 'alc_matrix0000none',
  point: 'member.tier.compute',
  eventId: 'evt_matrix_none',
  installId: 'ins_matrix_none',
  staffId: 'matrix-staff',
  tokenId: 'tok_matrix_none',
  stageNo: '1',
  intentId: 'pi_matrix_none',
  topUpId: 'tu_matrix_none',
  spendId: 'svs_matrix_none',
  tierId: 'matrix-tier',
  appointmentId: 'ap_00000000000000000000',
  kind: 'measurement',
  redemptionId: 'vr_00000000000000000000',
  serial: 'V0000000000000000',
  template: 'matrix-template',
};

type Caller = 'no token' | 'bad token' | 'developer' | 'reviewer' | 'merchant A' | 'merchant B' | 'store of A' | 'staff of A' | 'integration of A' | 'admin';
const CALLERS: Caller[] = ['no token', 'bad token', 'developer', 'reviewer', 'merchant A', 'merchant B', 'store of A', 'staff of A', 'integration of A', 'admin'];
const ROLE_OF: Record<Caller, Role | null> = {
  'no token': null,
  'bad token': null,
  developer: 'developer',
  reviewer: 'reviewer',
  'merchant A': 'merchant',
  'merchant B': 'merchant',
  'store of A': 'store',
  'staff of A': 'staff',
  'integration of A': 'integration',
  admin: 'admin',
};

const t: TestHost = await startTestHost({ dispatch: { maxAttempts: 1, backoffMs: () => 0 } });
afterAll(async () => {
  await t.close();
});

// Fastify's route table, as buildHttpApi registers it on the host's services.
const table = await collectRoutes(t.host.services);
await table.app.close();
const routes: RouteEntry[] = table.routes;
const key = (route: { method: string; url: string }) => `${route.method === 'HEAD' ? 'GET' : route.method} ${route.url}`;

const tokens = {} as Record<Caller, string | undefined>;
let installOfA = '';
let deadOfA = { eventId: '', installId: '' };

beforeAll(async () => {
  tokens['no token'] = undefined;
  tokens['bad token'] = 'tk_admin_thisTokenWasNeverIssuedByThisHost0000';
  tokens.developer = t.host.tokens.developer;
  tokens.reviewer = t.host.tokens.reviewer;
  tokens.admin = t.host.tokens.admin;
  tokens['merchant A'] = await createMerchant(t, 'tenant-a', { stores: ['a-store1'] });
  tokens['merchant B'] = await createMerchant(t, 'tenant-b', { stores: ['b-store1', PARAMS['storeId']!] });
  await ok(t.api(tokens['merchant A'], 'POST', '/v1/staff', { id: 'a-guide', name: 'Guide of A', storeId: 'a-store1' }));
  tokens['store of A'] = (await ok(t.api(tokens['merchant A'], 'POST', '/v1/tokens', { role: 'store', storeId: 'a-store1' }), 201)).token;
  tokens['staff of A'] = (await ok(t.api(tokens['merchant A'], 'POST', '/v1/tokens', { role: 'staff', staffId: 'a-guide' }), 201)).token;
  tokens['integration of A'] = (await ok(t.api(tokens['merchant A'], 'POST', '/v1/tokens', { role: 'integration', name: 'a-pos' }), 201)).token;

  // Merchant A: an install of the template (invoked, so A has logs) and one of an event plugin whose
  // handler fails (so A has a dead letter).
  await publish(t, await uploadOf('template'));
  await publish(t, await uploadOf('kvCounter'));
  const a = tokens['merchant A']!;
  installOfA = (await ok(t.api(a, 'POST', '/v1/installs', { plugin: 'my-member-tiers', grantPermissions: ['member:read'], settings: { goldAtFen: 300_000 } }), 201)).id;
  await ok(t.api(a, 'PUT', `/v1/installs/${installOfA}/stores/a-store1/settings`, { goldAtFen: 700_000 }));
  const counter = await ok(t.api(a, 'POST', '/v1/installs', { plugin: 'test-kv-counter', grantPermissions: ['storage:kv'], settings: { failPaid: true } }), 201);
  expect((await ok(t.api(a, 'POST', '/v1/extensions/member.tier.compute/invoke', { input: tierInput() }))).source).toBe('plugin');
  await ok(t.api(a, 'POST', '/v1/events', { id: 'evt-a-1', type: 'order.paid', data: orderPaidData({ orderId: 'a-1' }) }), 202);
  await t.host.services.dispatcher.drain();
  deadOfA = { eventId: 'evt-a-1', installId: counter.id };
  expect((await ok(t.api(a, 'GET', '/v1/deliveries/dead'))).items).toHaveLength(1);
});

/** Fills a route's path parameters; a parameter this file does not know fails the test. */
function pathOf(url: string): string {
  return url.replace(/:(\w+)/g, (_, name: string) => {
    const value = PARAMS[name];
    if (value === undefined) throw new Error(`no value for the path parameter :${name} of ${url}: add one to PARAMS`);
    return value;
  });
}

function call(caller: Caller, route: RouteEntry): Promise<ApiResponse> {
  const withBody = route.method === 'POST' || route.method === 'PUT' || route.method === 'PATCH';
  return t.api(tokens[caller], route.method, pathOf(route.url), withBody ? {} : undefined);
}

describe('the route table', () => {
  it('was read from Fastify', () => {
    expect(routes.length).toBeGreaterThan(Object.keys(EXPECTED_AUTH).length);
    for (const route of routes) expect(t.host.app.hasRoute({ method: route.method as 'GET', url: route.url }), key(route)).toBe(true);
  });

  it('has an entry here for every route, and no entry for a route that is gone', () => {
    const registered = [...new Set(routes.map(key))].sort();
    expect(registered).toEqual(Object.keys(EXPECTED_AUTH).sort());
  });

  it('declares auth on every route, as expected here', () => {
    for (const route of routes) {
      expect(route.auth, `${route.method} ${route.url} declares no config.auth`).toBeDefined();
      expect(route.auth, `${route.method} ${route.url}`).toEqual(EXPECTED_AUTH[key(route)]);
    }
  });
});

describe.each(routes.map((route) => ({ route, name: `${route.method} ${route.url}` })))('$name', ({ route }) => {
  const auth = EXPECTED_AUTH[key(route)];
  it.each(CALLERS)('%s', async (caller) => {
    const res = await call(caller, route);
    const role = ROLE_OF[caller];
    const head = route.method === 'HEAD';
    if (auth === undefined) throw new Error(`${key(route)} has no entry in EXPECTED_AUTH`);
    if (auth === 'public' && SIGNED.has(key(route))) {
      // Public to tokens, closed to anything unsigned: every caller's unsigned request is 401.
      expectError(res, 401, 'TK_UNAUTHORIZED');
      return;
    }
    if (auth === 'public') {
      expect(res.status, res.text).toBe(PUBLIC_STATUS[key(route)] ?? 200);
      return;
    }
    if (role === null) {
      expect(res.status, res.text).toBe(401);
      if (!head) expectError(res, 401, 'TK_UNAUTHORIZED');
      return;
    }
    if (role !== 'admin' && !auth.includes(role)) {
      expect(res.status, res.text).toBe(403);
      if (!head) expectError(res, 403, 'TK_FORBIDDEN');
      return;
    }
    // Allowed: whatever the handler makes of a minimal request, it is not an auth failure, nor a crash.
    expect([401, 403], `${caller}: ${res.status} ${res.text}`).not.toContain(res.status);
    expect(res.status, `${caller}: ${res.text}`).toBeLessThan(500);
    if (!head && res.status >= 400) expectErrorBody(res);
  });
});

describe('tenant isolation', () => {
  const a = () => tokens['merchant A']!;
  const b = () => tokens['merchant B']!;

  it('merchant B can neither read nor change merchant A’s install', async () => {
    const before = await ok(t.api(a(), 'GET', `/v1/installs/${installOfA}`));
    const attempts: Array<[string, string, unknown?]> = [
      ['GET', `/v1/installs/${installOfA}`],
      ['GET', `/v1/installs/${installOfA}/settings`],
      ['GET', `/v1/installs/${installOfA}/settings?storeId=a-store1`],
      ['PUT', `/v1/installs/${installOfA}/settings`, { goldAtFen: 1 }],
      ['PUT', `/v1/installs/${installOfA}/stores/a-store1/settings`, { goldAtFen: 1 }],
      ['PUT', `/v1/installs/${installOfA}/stores/a-store1/settings`, null],
      ['PUT', `/v1/installs/${installOfA}/stores/b-store1/settings`, { goldAtFen: 1 }],
      ['POST', `/v1/installs/${installOfA}/upgrade`, { version: '0.1.0' }],
      ['POST', `/v1/installs/${installOfA}/rollback`, {}],
      ['POST', `/v1/installs/${installOfA}/disable`, {}],
      ['POST', `/v1/installs/${installOfA}/enable`, {}],
      ['DELETE', `/v1/installs/${installOfA}`],
    ];
    for (const [method, path, body] of attempts) {
      const res = await t.api(b(), method, path, body);
      expect([403, 404], `${method} ${path}: ${res.status} ${res.text}`).toContain(res.status);
      expectErrorBody(res);
    }
    // B's own list does not show it; A's install is as it was.
    expect((await ok(t.api(b(), 'GET', '/v1/installs'))).items).toEqual([]);
    expect(await ok(t.api(a(), 'GET', `/v1/installs/${installOfA}`))).toEqual(before);
    expect(await ok(t.api(a(), 'GET', `/v1/installs/${installOfA}/settings?storeId=a-store1`))).toMatchObject({ goldAtFen: 700_000 });
  });

  it('merchant B cannot act for merchant A with ?merchantId=', async () => {
    const attempts: Array<[string, string, unknown?]> = [
      ['GET', '/v1/installs?merchantId=tenant-a'],
      ['GET', `/v1/installs/${installOfA}?merchantId=tenant-a`],
      ['GET', `/v1/installs/${installOfA}/settings?merchantId=tenant-a`],
      ['PUT', `/v1/installs/${installOfA}/settings?merchantId=tenant-a`, { goldAtFen: 1 }],
      ['DELETE', `/v1/installs/${installOfA}?merchantId=tenant-a`],
      ['POST', '/v1/installs?merchantId=tenant-a', { plugin: 'test-kv-counter', grantPermissions: ['storage:kv'] }],
      ['GET', '/v1/catalog?merchantId=tenant-a'],
      ['GET', '/v1/logs?merchantId=tenant-a'],
      ['GET', '/v1/deliveries/dead?merchantId=tenant-a'],
      ['POST', `/v1/deliveries/${deadOfA.eventId}/${deadOfA.installId}/replay?merchantId=tenant-a`, {}],
      ['POST', '/v1/events?merchantId=tenant-a', { type: 'order.paid', data: orderPaidData() }],
      ['POST', '/v1/extensions/member.tier.compute/invoke?merchantId=tenant-a', { input: tierInput() }],
      ['GET', '/v1/orders/o-1?merchantId=tenant-a'],
      ['POST', '/v1/members?merchantId=tenant-a', { channel: 'online' }],
      ['GET', '/v1/members/m-1/points?merchantId=tenant-a'],
      ['GET', '/v1/members/m-1/ledger?merchantId=tenant-a'],
    ];
    for (const [method, path, body] of attempts) {
      expectError(await t.api(b(), method, path, body), 403, 'TK_FORBIDDEN');
    }
    // An admin may act for A — naming the merchant is not what is refused.
    expect((await ok(t.api(t.host.tokens.admin, 'GET', '/v1/installs?merchantId=tenant-a'))).items.map((i: { id: string }) => i.id)).toContain(installOfA);
    expect((await ok(t.api(t.host.tokens.admin, 'GET', '/v1/installs?merchantId=tenant-a'))).items).toHaveLength(2);
  });

  it('merchant B sees none of merchant A’s logs or dead letters, and cannot replay them', async () => {
    expect((await ok(t.api(a(), 'GET', '/v1/logs'))).items.length).toBeGreaterThan(0);
    const logsOfB = (await ok(t.api(b(), 'GET', '/v1/logs'))).items as Array<{ merchantId: string }>;
    expect(logsOfB).toEqual([]);
    expect((await ok(t.api(b(), 'GET', '/v1/logs?plugin=my-member-tiers'))).items).toEqual([]);
    expect((await ok(t.api(b(), 'GET', '/v1/deliveries/dead'))).items).toEqual([]);
    expectError(await t.api(b(), 'POST', `/v1/deliveries/${deadOfA.eventId}/${deadOfA.installId}/replay`, {}), 404, 'TK_NOT_FOUND');
    expect((await ok(t.api(a(), 'GET', '/v1/deliveries/dead'))).items).toEqual([expect.objectContaining({ ...deadOfA, attempts: 1 })]);

    // B's events reach B's installs only (B has none); B's invocations are B's: A's install does not serve B.
    expect(await ok(t.api(b(), 'POST', '/v1/events', { type: 'order.paid', data: orderPaidData() }), 202)).toMatchObject({ deliveries: 0 });
    expect(await ok(t.api(b(), 'POST', '/v1/extensions/member.tier.compute/invoke', { input: tierInput() }))).toMatchObject({ source: 'platform', installId: null });
    // Event ids are per merchant: the same id as A's is B's own new event (no oracle, no squatting).
    const same = await ok(t.api(b(), 'POST', '/v1/events', { id: 'evt-a-1', type: 'order.paid', data: orderPaidData() }), 202);
    expect(same).toMatchObject({ merchantId: 'tenant-b', duplicate: false, deliveries: 0 });
    expect(JSON.stringify(same)).not.toMatch(/tenant-a/);
  });

  it('a developer cannot see another developer’s drafts, logs or plugins', async () => {
    const owner = t.host.tokens.developer;
    const rival = await createDeveloper(t, 'rival');
    await ok(t.api(owner, 'POST', '/v1/versions', await uploadOf('failingTiers')), 201);

    expect((await ok(t.api(owner, 'GET', '/v1/versions?status=draft'))).items.map((v: { plugin: string }) => v.plugin)).toContain('test-failing-tiers');
    expect((await ok(t.api(rival, 'GET', '/v1/versions'))).items).toEqual([]);
    expect((await ok(t.api(rival, 'GET', '/v1/versions?plugin=test-failing-tiers'))).items).toEqual([]);
    expectError(await t.api(rival, 'GET', '/v1/plugins/test-failing-tiers/versions/1.0.0'), 404, 'TK_NOT_FOUND');
    expectError(await t.api(rival, 'GET', '/v1/plugins/my-member-tiers/versions/0.1.0'), 404, 'TK_NOT_FOUND');
    expectError(await t.api(rival, 'POST', '/v1/plugins/test-failing-tiers/versions/1.0.0/submit', {}), 404, 'TK_NOT_FOUND');
    // Logs: the owner sees its plugins' invocations at merchant A; the rival sees nothing.
    expect((await ok(t.api(owner, 'GET', '/v1/logs'))).items.length).toBeGreaterThan(0);
    expect((await ok(t.api(rival, 'GET', '/v1/logs'))).items).toEqual([]);
    expect((await ok(t.api(rival, 'GET', '/v1/logs?merchantId=tenant-a&plugin=my-member-tiers'))).items).toEqual([]);

    // Reviewers and merchants do not see drafts either.
    expectError(await t.api(t.host.tokens.reviewer, 'GET', '/v1/plugins/test-failing-tiers/versions/1.0.0'), 404, 'TK_NOT_FOUND');
    expect((await ok(t.api(t.host.tokens.reviewer, 'GET', '/v1/versions'))).items.map((v: { plugin: string }) => v.plugin)).not.toContain('test-failing-tiers');
    expectError(await t.api(a(), 'GET', '/v1/plugins/test-failing-tiers/versions/1.0.0'), 404, 'TK_NOT_FOUND');
    expect((await ok(t.api(a(), 'GET', '/v1/versions'))).items).toEqual([]);
  });

  it('an admin passes the developer role check, but cannot create a plugin: a plugin belongs to a developer', async () => {
    const { admin } = t.host.tokens;
    // test-unused-permission is deployed nowhere in this file.
    const refused = expectError(await t.api(admin, 'POST', '/v1/versions', await uploadOf('unusedPermission')), 403, 'TK_FORBIDDEN');
    expect(refused.hint).toMatch(/developer token/);
    expectError(await t.api(t.host.tokens.developer, 'GET', '/v1/plugins/test-unused-permission/versions/1.0.0'), 404, 'TK_NOT_FOUND');
    // An existing plugin: the admin's deploy of the same bytes is that version.
    expect(await ok(t.api(admin, 'POST', '/v1/versions', await uploadOf('template')), 201)).toMatchObject({ plugin: 'my-member-tiers', status: 'approved' });
  });

  it('a merchant decides only on its own brand’s private plugins', async () => {
    // A brand's private plugin for merchant A, submitted by the developer.
    const upload = { ...(await uploadOf('upgradeV1')), privateFor: 'tenant-a' };
    await ok(t.api(t.host.tokens.developer, 'POST', '/v1/versions', upload), 201);
    await ok(t.api(t.host.tokens.developer, 'POST', '/v1/plugins/test-upgrade-tiers/versions/1.0.0/submit', {}));
    expectError(await t.api(b(), 'GET', '/v1/plugins/test-upgrade-tiers/versions/1.0.0'), 404, 'TK_NOT_FOUND');
    // Another brand's private plugin answers like a version that does not exist.
    expectError(await t.api(b(), 'POST', '/v1/plugins/test-upgrade-tiers/versions/1.0.0/approve', { comment: 'mine now' }), 404, 'TK_NOT_FOUND');
    // Nor on the marketplace's plugins: those it may see are refused with the reason.
    expectError(await t.api(a(), 'POST', '/v1/plugins/my-member-tiers/versions/0.1.0/reject', { comment: 'competitor' }), 403, 'TK_FORBIDDEN');
    expect(await ok(t.api(a(), 'POST', '/v1/plugins/test-upgrade-tiers/versions/1.0.0/approve', { comment: 'our own rules' }))).toMatchObject({ status: 'approved', reviewedBy: 'merchant:tenant-a' });
    // Private: B's catalog does not list it and B cannot install it; A can.
    expect((await ok(t.api(b(), 'GET', '/v1/catalog'))).items.map((p: { plugin: string }) => p.plugin)).not.toContain('test-upgrade-tiers');
    expectError(await t.api(b(), 'POST', '/v1/installs', { plugin: 'test-upgrade-tiers', grantPermissions: ['member:read'] }), 404, 'TK_NOT_FOUND');
    expect((await ok(t.api(a(), 'GET', '/v1/catalog'))).items.map((p: { plugin: string }) => p.plugin)).toContain('test-upgrade-tiers');
  });
});
