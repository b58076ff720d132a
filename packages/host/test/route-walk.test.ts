// The route walk: every operation of GET /openapi.json is called by no token, a bad token, each role
// it does not list (`x-tongkit-roles`), and — for each role it does list — with each other tenant's ids
// (installs, stores, plugins, versions, events, deliveries, merchants) next to the same request about
// nothing. It holds the rule of docs/security.md ("what you may not see answers like a missing thing"):
// refusals are the 401/403/404 the operation documents; a refused request about another tenant's thing
// has the same status, code, message (ids aside), path and hint as one about nothing; and nothing
// refused changed a row of any table. The walk reads the document, so a new route is walked as soon as
// it is registered; a path parameter (or an `…Id` parameter) the FILL table below does not know fails.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlugin } from '@tongkit/runtime/build';
import type { Role } from '../src/index.js';
import { signCallback } from '../src/domains/service/callback-signature.js';
import { createDeveloper, createMerchant, expectError, expectErrorBody, ok, publish, smokeFixture, startTestHost, tierInput, uploadOf, type ApiResponse, type TestHost, orderPaidData } from './helpers.js';

const plugins = join(fileURLToPath(new URL('.', import.meta.url)), 'plugins');
const t: TestHost = await startTestHost({ dispatch: { maxAttempts: 1, backoffMs: () => 0 } });
afterAll(async () => {
  await t.close();
});

// --- the OpenAPI document ------------------------------------------------------------------------

interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  required?: boolean;
  schema: JsonSchema;
}
interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  format?: string;
  minItems?: number;
  items?: JsonSchema;
}
interface Operation {
  method: string;
  /** The document's path, `/v1/installs/{id}`. */
  path: string;
  roles: Role[];
  responses: string[];
  parameters: Parameter[];
  body: JsonSchema | undefined;
}

const document = (await ok(t.api(undefined, 'GET', '/openapi.json'))) as {
  paths: Record<string, Record<string, { 'x-tongkit-roles'?: Role[]; responses: Record<string, unknown>; parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: JsonSchema }> } }>>;
};
/**
 * The walk covers the routes a token authenticates (those with `x-tongkit-roles`). Public routes are not
 * walked: the workbench's session routes read their own cookie (workbench-session.test.ts), and the payment
 * provider's callback is authenticated by a signature over its body and logs each refusal by design
 * (service-orders-api.test.ts, domains/service.test.ts); the auth matrix calls every one of them.
 */
const operations: Operation[] = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods).filter(([, op]) => op['x-tongkit-roles'] !== undefined).map(([method, op]) => ({
    method: method.toUpperCase(),
    path,
    roles: op['x-tongkit-roles'] ?? [],
    responses: Object.keys(op.responses),
    parameters: op.parameters ?? [],
    body: op.requestBody?.content['application/json']?.schema,
  })),
);
const nameOf = (op: Operation) => `${op.method} ${op.path}`;

// --- how to fill each parameter, per tenant ------------------------------------------------------

/**
 * Ids the walk substitutes, by parameter name (path, query or body). Other tenants' things and nothing
 * are filled per caller ({@link Caller}); `point` names no tenant's thing. A query `plugin` is a
 * listing's filter (answers 200 with nothing of another tenant's); every other id names one thing,
 * and one the caller may not see must be refused.
 */
const ID_PARAMS = ['id', 'installId', 'storeId', 'eventId', 'plugin', 'version', 'merchantId', 'staffId', 'tokenId', 'memberId', 'orderId', 'intentId', 'topUpId', 'spendId', 'allocationId', 'pickupStoreId', 'appointmentId', 'templateId', 'serial', 'redemptionId'] as const;
type IdParam = (typeof ID_PARAMS)[number];
// A body's crmMemberId is the brand CRM's own id of the member being bound: created, never looked up.
// A voucher template's `template` is the id of the template a PUT creates (or replaces in the caller's own namespace).
// An order's guideId is recorded as given (no guide is looked up yet); a shareId names a guide's new share (or none), a clickId a new click, a month a statement's; a refundId is the merchant's new refund's, a paymentId the fake provider's new payment's, a scanId the till's new scan's.
const FIXED: Record<string, string> = { point: 'member.tier.compute', crmMemberId: 'crm-walked', guideId: 'walk-guide', refundId: 'walk-refund', stageNo: '1', paymentId: 'walk-payment', scanId: 'walk-scan', shareId: 'walk-share', clickId: 'walk-click', month: '2026-10', tierId: 'walk-gold', kind: 'measurement', requestId: 'walk-request', template: 'walk-template' };
/** What nothing is: ids shaped like real ones that name nothing. */
const NOTHING: Record<IdParam, string> = {
  id: 'ins_walk0000000000none',
  installId: 'ins_walk0000000000none',
  storeId: 'walk-none-store1',
  eventId: 'evt-walk-none',
  plugin: 'test-walk-none',
  version: '9.9.9',
  merchantId: 'walk-none',
  staffId: 'walk-none-guide',
  tokenId: 'tok_walk0000none',
  memberId: 'mem_walk0000000none',
  orderId: 'walk-none-order',
  intentId: 'pi_walk0000000000none',
  topUpId: 'tu_walk0000000000none',
  spendId: 'svs_walk000000000none',
  allocationId: 'alc_walk0000000000none',
  pickupStoreId: 'walk-none-store1',
  appointmentId: 'ap_00000000000000000000',
  templateId: 'walk-none-template',
  serial: 'V0000000000000000',
  redemptionId: 'vr_00000000000000000000',
};
/** Values for body properties a generated sample would get wrong (an input the point validates). */
const SAMPLES: Record<string, unknown> = { input: tierInput(), comment: 'walked', grantPermissions: [], data: { memberId: 'mem_walk0000000none', channel: 'online', storeId: null, registeredAt: '2026-11-01T02:00:00.000Z' }, phone: '13800138000', code: '12345678', month: '2026-10', day: '2026-12-08' };
/** Optional object properties the walk sends anyway, so a request reaches its look-up (a binding's consent). */
const OPTIONAL_SAMPLES: Record<string, unknown> = { consent: { textVersion: 'walk-v1', consentedAt: '2026-11-01T02:00:00.000Z' } };

/** Another tenant's thing, as the parameters that name it. */
interface Probe {
  label: string;
  values: Partial<Record<IdParam, string>>;
}
interface Caller {
  name: string;
  token: string | undefined;
  role: Role | null;
  /** The caller's own things: what an id parameter gets while another one is probed. */
  own: Record<IdParam, string>;
  /** Other tenants' things (and things the caller may not see), each probed against nothing. */
  foreign: Probe[];
}

const callers: Caller[] = [];
const byName = (name: string) => callers.find((c) => c.name === name)!;

beforeAll(async () => {
  const { admin, reviewer, developer } = t.host.tokens;
  const rival = await createDeveloper(t, 'walk-rival');
  const tokenA = await createMerchant(t, 'walk-a');
  const tokenB = await createMerchant(t, 'walk-b');

  // Public plugins: test-bounded-weight 1.0.0 approved and 1.1.0 in review; the template approved and
  // installed by nobody (what a caller's own `plugin` is while something else is probed); a counter
  // that fails every order.paid (dead letters).
  const boundedWeight = async (version: string) => ({ ...(await buildPlugin(join(plugins, `bounded-weight-${version}`))).bundle, fixtures: [smokeFixture()] });
  await publish(t, await boundedWeight('1-0-0'));
  await ok(t.api(developer, 'POST', '/v1/versions', await boundedWeight('1-1-0')), 201);
  await ok(t.api(developer, 'POST', '/v1/plugins/test-bounded-weight/versions/1.1.0/submit', {}));
  await publish(t, await uploadOf('template'));
  await publish(t, await uploadOf('kvCounter'));
  // Drafts: the bootstrap developer's public one and the rival's.
  await ok(t.api(developer, 'POST', '/v1/versions', await uploadOf('failingTiers')), 201);
  await ok(t.api(rival, 'POST', '/v1/versions', await uploadOf('unusedPermission')), 201);
  // Merchant A's brand's private plugin, approved by A.
  await ok(t.api(developer, 'POST', '/v1/versions', { ...(await uploadOf('upgradeV1')), privateFor: 'walk-a' }), 201);
  await ok(t.api(developer, 'POST', '/v1/plugins/test-upgrade-tiers/versions/1.0.0/submit', {}));
  await ok(t.api(tokenA, 'POST', '/v1/plugins/test-upgrade-tiers/versions/1.0.0/approve', { comment: 'ours' }));

  // Each merchant: the bounded weight with a store override, a failing counter with a dead letter.
  const things = async (token: string, merchant: string) => {
    // An online goods order allocated to store1 (a fulfilment point with stock): the store queue's allocation
    // (before the failing counter is installed: its order.paid dead-letters nothing).
    const hours = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((day) => ({ day, opens: '00:00', closes: '24:00' }));
    await ok(t.api(token, 'PUT', `/v1/stores/${merchant}-store1/fulfilment`, { capabilities: ['pickup'], workingHours: hours, closedDays: [], dailyCapacity: 10, priority: 5, location: null, deliveryRadiusM: 0, minDeliveryOrderFen: 0 }));
    await ok(t.api(token, 'POST', '/v1/inventory/bills', { billNo: `walk-in-${merchant}`, kind: 'inbound', storeId: `${merchant}-store1`, lines: [{ sku: 'walk-sku', quantity: 5 }] }), 201);
    await ok(t.api(token, 'POST', '/v1/orders', { id: `${merchant}-goods`, kind: 'goods', channel: 'online', lines: [{ sku: 'walk-sku', title: 'W', category: 'c', quantity: 1, unitPriceFen: 100 }], payments: [{ method: 'card', amountFen: 100 }], paidAt: '2026-12-01T08:00:00Z' }), 201);
    const allocated = await ok(t.api(token, 'POST', `/v1/orders/${merchant}-goods/allocation`, { fulfilment: 'pickup', pickupStoreId: `${merchant}-store1` }), 201);
    const weight = await ok(t.api(token, 'POST', '/v1/installs', { plugin: 'test-bounded-weight', version: '1.0.0', grantPermissions: ['member:read'] }), 201);
    await ok(t.api(token, 'PUT', `/v1/installs/${weight.id}/stores/${merchant}-store1/settings`, { weight: 5 }));
    const counter = await ok(t.api(token, 'POST', '/v1/installs', { plugin: 'test-kv-counter', grantPermissions: ['storage:kv'], settings: { failPaid: true } }), 201);
    await ok(t.api(token, 'POST', '/v1/events', { id: `evt-${merchant}-dead`, type: 'order.paid', data: orderPaidData() }), 202);
    // A staff member and a store token (principals the merchant issued).
    await ok(t.api(token, 'POST', '/v1/staff', { id: `${merchant}-guide`, name: 'Guide', storeId: `${merchant}-store1` }));
    const storeToken = await ok(t.api(token, 'POST', '/v1/tokens', { role: 'store', storeId: `${merchant}-store1` }), 201);
    const member = await ok(t.api(token, 'POST', '/v1/members', { channel: 'online' }), 201);
    // A service order with a payment intent for its one stage.
    const orderId = `${merchant}-svc`;
    await ok(t.api(token, 'POST', '/v1/orders', { id: orderId, kind: 'service', channel: 'online', lines: [{ sku: 'w', title: 'W', category: 'c', quantity: 1, unitPriceFen: 100 }], payments: [{ method: 'card', amountFen: 100 }], paidAt: '2026-12-01T08:00:00Z' }), 201);
    await ok(t.api(token, 'POST', '/v1/service-orders', { orderId }), 201);
    const { intentId } = await ok(t.api(token, 'POST', `/v1/service-orders/${orderId}/stages/1/pay`), 201);
    // A member's stored value: a pending top-up, and a spend of a paid one.
    const topUp = await ok(t.api(token, 'POST', `/v1/members/${member.memberId}/stored-value/top-ups`, { principalFen: 500 }, { headers: { 'idempotency-key': 'walk-topup' } }), 201);
    const { kid, secret } = await ok(t.api(token, 'POST', '/v1/payments/secrets', {}), 201);
    const paid = JSON.stringify({ paymentId: `walk-${merchant}-pay`, topUpId: topUp.topUpId, amountFen: 500, status: 'captured' });
    const at = Math.floor(Date.now() / 1000);
    await ok(t.api(undefined, 'POST', '/v1/stored-value/callback', undefined, { raw: paid, headers: { t: String(at), kid, signature: signCallback(Buffer.from(secret, 'base64url'), at, paid) } }));
    const spend = await ok(t.api(token, 'POST', `/v1/members/${member.memberId}/stored-value/spends`, { amountFen: 100 }, { headers: { 'idempotency-key': 'walk-spend' } }), 201);
    // A visit for that stage (written directly: the walk's merchants are not development merchants the
    // fake provider pays), a voucher template, a voucher and a redemption of it.
    const appointmentId = `ap_${merchant === 'walk-a' ? 'a' : 'b'}0000000000000000000`;
    await t.host.services.db.query(`INSERT INTO appointments (merchant_id, id, order_id, stage_no, store_id, kind, day, status) VALUES ($1, $2, $3, 1, $4, 'custom', '2026-12-08', 'booked')`, [merchant, appointmentId, orderId, `${merchant}-store1`]);
    await ok(t.api(token, 'PUT', `/v1/voucher-templates/${merchant}-gift`, { title: 'Gift', kind: 'value', valueFen: 100, uses: 100, validDays: 30 }));
    const { voucher } = await ok(t.api(token, 'POST', '/v1/vouchers', { templateId: `${merchant}-gift`, issueKey: 'walk' }), 201);
    const redeemed = await ok(t.api(token, 'POST', `/v1/vouchers/${voucher.serial}/redeem`, { storeId: `${merchant}-store1`, requestId: 'walk-setup' }), 201);
    return {
      appointmentId,
      templateId: `${merchant}-gift`,
      serial: voucher.serial as string,
      redemptionId: redeemed.redemptionId as string,
      id: weight.id as string,
      installId: counter.id as string,
      storeId: `${merchant}-store1`,
      eventId: `evt-${merchant}-dead`,
      merchantId: merchant,
      staffId: `${merchant}-guide`,
      tokenId: storeToken.id as string,
      memberId: member.memberId as string,
      orderId,
      intentId: intentId as string,
      topUpId: topUp.topUpId as string,
      spendId: spend.refId as string,
      allocationId: allocated.allocations[0].id as string,
      pickupStoreId: `${merchant}-store1`,
    };
  };
  const a = await things(tokenA, 'walk-a');
  // Merchant A's POS: an integration token, which records A's orders and refunds and reaches nothing else.
  const integrationA = (await ok(t.api(tokenA, 'POST', '/v1/tokens', { role: 'integration', name: 'walk-pos' }), 201)).token as string;
  const b = await things(tokenB, 'walk-b');
  await t.host.services.dispatcher.drain();
  expect((await ok(t.api(tokenB, 'GET', '/v1/deliveries/dead'))).items).toHaveLength(1);
  // The host's background workers (deliveries, order points, tiers, commission, backfills, schedules) run
  // on their own clocks: a retry of the setup's failing order.paid lands whenever its backoff ends. They
  // stop here, so a snapshot pair around a probe sees only what the probe itself changed.
  const { services } = t.host;
  await Promise.all([services.dispatcher.stop(), services.orderPoints.stop(), services.tierWork.stop(), services.guides.worker.stop(), services.schedules.stop(), services.backfills.stop()]);

  const visiblePlugin = { plugin: 'my-member-tiers', version: '0.1.0' };
  const unseenVersions: Probe[] = [
    { label: 'a public draft', values: { plugin: 'test-failing-tiers', version: '1.0.0' } },
    { label: 'another developer’s draft', values: { plugin: 'test-unused-permission', version: '1.0.0' } },
    { label: 'a plugin with drafts only', values: { plugin: 'test-failing-tiers' } },
  ];
  const merchantProbes = (other: typeof a, mine: typeof a): Probe[] => [
    { label: 'the other merchant’s install', values: { id: other.id } },
    { label: 'the other merchant’s counter install', values: { installId: other.installId } },
    { label: 'the other merchant’s store', values: { storeId: other.storeId } },
    { label: 'the other merchant’s dead delivery', values: { eventId: other.eventId, installId: other.installId } },
    { label: 'the other merchant’s event', values: { eventId: other.eventId, installId: mine.installId } },
    { label: 'the other merchant', values: { merchantId: other.merchantId } },
    { label: 'the other merchant’s staff member', values: { staffId: other.staffId } },
    { label: 'the other merchant’s store token', values: { tokenId: other.tokenId } },
    { label: 'the other merchant’s member', values: { memberId: other.memberId } },
    { label: 'the other merchant’s service order', values: { orderId: other.orderId } },
    { label: 'the other merchant’s payment intent', values: { intentId: other.intentId } },
    { label: 'the other merchant’s top-up', values: { topUpId: other.topUpId } },
    { label: 'the other merchant’s stored-value spend', values: { spendId: other.spendId } },
    { label: 'the other merchant’s allocation', values: { allocationId: other.allocationId } },
    { label: 'the other merchant’s store as a pickup store', values: { pickupStoreId: other.storeId } },
    { label: 'the other merchant’s appointment', values: { appointmentId: other.appointmentId } },
    { label: 'the other merchant’s voucher template', values: { templateId: other.templateId } },
    { label: 'the other merchant’s voucher', values: { serial: other.serial } },
    { label: 'the other merchant’s voucher redemption', values: { redemptionId: other.redemptionId } },
    // With the caller's own install of test-bounded-weight (upgrade), this is its version in review.
    { label: 'a version in review', values: { version: '1.1.0' } },
    ...unseenVersions,
  ];
  callers.push(
    { name: 'no token', token: undefined, role: null, own: NOTHING, foreign: [] },
    { name: 'bad token', token: 'tk_merchant_not-a-real-token-0000000000000', role: null, own: NOTHING, foreign: [] },
    { name: 'merchant A', token: tokenA, role: 'merchant', own: { ...a, ...visiblePlugin }, foreign: merchantProbes(b, a) },
    {
      name: 'merchant B',
      token: tokenB,
      role: 'merchant',
      own: { ...b, ...visiblePlugin },
      foreign: [
        ...merchantProbes(a, b),
        { label: 'another brand’s private version', values: { plugin: 'test-upgrade-tiers', version: '1.0.0' } },
        { label: 'another brand’s private plugin', values: { plugin: 'test-upgrade-tiers' } },
      ],
    },
    { name: 'integration of A', token: integrationA, role: 'integration', own: { ...a, ...visiblePlugin }, foreign: merchantProbes(b, a) },
    {
      name: 'developer',
      token: developer,
      role: 'developer',
      own: { ...NOTHING, plugin: 'test-failing-tiers', version: '1.0.0' },
      foreign: [
        { label: 'another developer’s draft', values: { plugin: 'test-unused-permission', version: '1.0.0' } },
        { label: 'another developer’s plugin', values: { plugin: 'test-unused-permission' } },
      ],
    },
    {
      name: 'rival developer',
      token: rival,
      role: 'developer',
      own: { ...NOTHING, plugin: 'test-unused-permission', version: '1.0.0' },
      foreign: [
        { label: 'another developer’s draft', values: { plugin: 'test-failing-tiers', version: '1.0.0' } },
        { label: 'another developer’s approved version', values: { plugin: 'test-bounded-weight', version: '1.0.0' } },
        { label: 'another brand’s private version (another developer’s)', values: { plugin: 'test-upgrade-tiers', version: '1.0.0' } },
        { label: 'another developer’s plugin', values: { plugin: 'test-failing-tiers' } },
      ],
    },
    {
      name: 'reviewer',
      token: reviewer,
      role: 'reviewer',
      own: { ...NOTHING, ...visiblePlugin },
      foreign: [
        { label: 'a draft', values: { plugin: 'test-failing-tiers', version: '1.0.0' } },
        { label: 'another developer’s draft', values: { plugin: 'test-unused-permission', version: '1.0.0' } },
        { label: 'a plugin with drafts only', values: { plugin: 'test-failing-tiers' } },
      ],
    },
    // Admins see every tenant: no other tenant's thing to probe, and every role's routes are theirs.
    { name: 'admin', token: admin, role: 'admin', own: { ...NOTHING, ...visiblePlugin, merchantId: 'walk-a' }, foreign: [] },
  );
});

// --- requests ------------------------------------------------------------------------------------

/** Where each parameter of an operation goes, and which are required. */
function shapeOf(op: Operation) {
  const path = op.parameters.filter((p) => p.in === 'path').map((p) => p.name);
  const query = op.parameters.filter((p) => p.in === 'query');
  // A body's `id` is what the caller creates (an event's id, an admin's new store), never a lookup.
  const body = Object.keys(op.body?.properties ?? {}).filter((key) => key !== 'id');
  return { path, query, body, names: new Set([...path, ...query.map((q) => q.name), ...body]) };
}

/** A minimal valid value of a JSON schema (required properties only). */
function sample(schema: JsonSchema | undefined, name?: string): unknown {
  if (name !== undefined && name in SAMPLES) return SAMPLES[name];
  if (!schema) return {};
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  const first = schema.anyOf?.[0] ?? schema.oneOf?.[0];
  if (first) return sample(first, name);
  switch (schema.type) {
    case 'object':
      return Object.fromEntries([
        ...(schema.required ?? []).map((key) => [key, sample(schema.properties?.[key], key)]),
        ...Object.keys(schema.properties ?? {}).filter((key) => key in OPTIONAL_SAMPLES && schema.properties?.[key]?.type === 'object' && !(schema.required ?? []).includes(key)).map((key) => [key, OPTIONAL_SAMPLES[key]]),
      ]);
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => sample(schema.items));
    case 'string':
      return schema.format === 'date-time' ? '2026-11-01T02:00:00.000Z' : 'walked';
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return false;
    default:
      return {};
  }
}

/** The request of `op` with the caller's own ids, `values` overriding them (and adding optional ones). */
function requestOf(op: Operation, own: Record<IdParam, string>, values: Partial<Record<IdParam, string>>): { method: string; url: string; body: unknown } {
  const shape = shapeOf(op);
  const fill = (name: string): string => {
    const value = values[name as IdParam] ?? FIXED[name] ?? own[name as IdParam];
    if (value === undefined) throw new Error(`${nameOf(op)}: no value for the parameter ${name}; add it to the walk's table`);
    return value;
  };
  const url = op.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(fill(name)));
  const query = new URLSearchParams();
  for (const q of shape.query) if (q.name in values || q.required) query.set(q.name, q.name in values ? values[q.name as IdParam]! : String(sample(q.schema, q.name)));
  let body: unknown;
  if (op.body) {
    body = sample(op.body);
    if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
      const object = body as Record<string, unknown>;
      for (const key of shape.body) if (key in values) object[key] = values[key as IdParam];
      // A required id property the caller's own thing fills (install's `plugin`), unless probed.
      for (const key of op.body.required ?? []) if (shape.body.includes(key) && (ID_PARAMS as readonly string[]).includes(key) && !(key in values)) object[key] = fill(key);
    }
  }
  return { method: op.method, url: query.size > 0 ? `${url}?${query}` : url, body };
}

// Required headers (an idempotency key) get a value, so a request reaches its tenant check.
const send = (caller: Caller, request: { method: string; url: string; body: unknown }) => t.api(caller.token, request.method, request.url, request.body, { headers: { 'idempotency-key': 'walked' } });

// --- what "nothing changed" means --------------------------------------------------------------------

/** Every table's row count and a hash of its rows, read in one statement. */
async function snapshot(): Promise<Record<string, string>> {
  const { db } = t.host.services;
  // schedule_claims is written by the host's schedule runner on its own clock, not by any request.
  const { rows: tables } = await db.query<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'schedule_claims' ORDER BY 1`);
  const sql = tables
    .map(({ name }) => `SELECT '${name}' AS name, count(*)::text || ':' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS digest FROM "${name}" x`)
    .join(' UNION ALL ');
  const { rows } = await db.query<{ name: string; digest: string }>(sql);
  return Object.fromEntries(rows.map((r) => [r.name, r.digest]));
}

/** Sends a request that must be refused, and asserts that no table changed. */
async function refusedWithoutChange(caller: Caller, request: { method: string; url: string; body: unknown }): Promise<ApiResponse> {
  const before = await snapshot();
  const res = await send(caller, request);
  if (res.status >= 400) expect(await snapshot(), `${caller.name}: ${request.method} ${request.url} was refused (${res.status}) but changed the database`).toEqual(before);
  return res;
}

/** The error as compared across probes: the ids named replaced by their parameter's name. */
function maskedError(res: ApiResponse, values: Partial<Record<IdParam, string>>): unknown {
  let text = JSON.stringify((res.body as { error?: unknown })?.error ?? res.body);
  // Longest first, so an id containing another is replaced whole.
  for (const [name, value] of Object.entries(values).sort(([, x], [, y]) => y!.length - x!.length)) text = text.split(value!).join(`<${name}>`);
  return { status: res.status, body: JSON.parse(text) };
}

/** A listing's filter, not a lookup: the query's `plugin`. */
const onlyFilters = (op: Operation, probe: Probe) => Object.keys(probe.values).every((name) => name === 'plugin' && op.parameters.some((p) => p.in === 'query' && p.name === 'plugin'));

// --- the walk --------------------------------------------------------------------------------------

describe('the OpenAPI document', () => {
  it('lists every authenticated route with the roles that may call it and the refusals it answers with', () => {
    expect(operations.length).toBeGreaterThanOrEqual(28);
    for (const op of operations) {
      expect(op.roles.length, nameOf(op)).toBeGreaterThan(0);
      expect(op.roles, nameOf(op)).toContain('admin');
      expect(op.responses, nameOf(op)).toEqual(expect.arrayContaining(['401', '403', '404']));
    }
  });

  it('knows how to fill every path parameter and every id parameter of a route a tenant may call', () => {
    for (const op of operations) {
      if (op.roles.every((r) => r === 'admin')) continue;
      const { path, names } = shapeOf(op);
      for (const name of [...path, ...[...names].filter((n) => /Id$/.test(n))]) {
        expect([...ID_PARAMS, ...Object.keys(FIXED)], `${nameOf(op)}: the walk's table has no row for ${name}`).toContain(name);
      }
    }
  });
});

describe.each(operations.map((op) => ({ op, name: nameOf(op) })))('$name', ({ op }) => {
  it('refuses no token and a bad token with 401, changing nothing', async () => {
    for (const caller of [byName('no token'), byName('bad token')]) {
      const res = await refusedWithoutChange(caller, requestOf(op, NOTHING, {}));
      expectError(res, 401, 'TK_UNAUTHORIZED');
      expect(op.responses).toContain('401');
    }
  });

  it('refuses each role it does not list with 403, changing nothing', async () => {
    const wrong = callers.filter((c) => c.role !== null && !op.roles.includes(c.role));
    for (const caller of wrong) {
      const res = await refusedWithoutChange(caller, requestOf(op, caller.own, {}));
      expect(expectError(res, 403, 'TK_FORBIDDEN').message, caller.name).toMatch(/token may not call/);
    }
  });

  it('answers about another tenant’s thing exactly as about nothing, changing nothing', async () => {
    const { names } = shapeOf(op);
    let probed = 0;
    for (const caller of callers.filter((c) => c.role !== null && op.roles.includes(c.role))) {
      for (const probe of caller.foreign.filter((p) => Object.keys(p.values).every((name) => names.has(name)))) {
        const nothing = Object.fromEntries(Object.keys(probe.values).map((name) => [name, NOTHING[name as IdParam]]));
        const about = `${caller.name}, ${probe.label}`;
        const foreign = await refusedWithoutChange(caller, requestOf(op, caller.own, probe.values));
        const none = await refusedWithoutChange(caller, requestOf(op, caller.own, nothing));
        probed++;
        if (onlyFilters(op, probe)) {
          // A listing filtered by another tenant's plugin lists what it lists for no plugin at all.
          expect(foreign.status, `${about}: ${foreign.text}`).toBe(200);
          expect(foreign.body, about).toEqual(none.body);
          continue;
        }
        expect([403, 404], `${about}: ${foreign.status} ${foreign.text}`).toContain(foreign.status);
        expect(op.responses, about).toContain(String(foreign.status));
        expectErrorBody(foreign);
        expect(maskedError(foreign, probe.values), `${about}: ${foreign.text} vs ${none.text}`).toEqual(maskedError(none, nothing));
      }
    }
    // Every route that takes an id of a tenant's thing is probed by some caller.
    if ([...names].some((n) => (ID_PARAMS as readonly string[]).includes(n)) && op.roles.some((r) => r !== 'admin')) expect(probed, nameOf(op)).toBeGreaterThan(0);
  });
});

describe('a caller keeps the reason for what it may see', () => {
  it('a brand is told its own private version is in review, at install and at upgrade; another merchant is told there is none', async () => {
    const [a, b] = [byName('merchant A').token, byName('merchant B').token];
    await ok(t.api(t.host.tokens.developer, 'POST', '/v1/versions', await uploadOf('upgradeV2')), 201);
    await ok(t.api(t.host.tokens.developer, 'POST', '/v1/plugins/test-upgrade-tiers/versions/2.0.0/submit', {}));
    const install = (token: string | undefined, version: string) => t.api(token, 'POST', '/v1/installs', { plugin: 'test-upgrade-tiers', version, grantPermissions: ['member:read', 'storage:kv'], enablePoints: [] });

    expect(expectError(await install(a, '2.0.0'), 403, 'TK_FORBIDDEN').message).toBe('test-upgrade-tiers@2.0.0 is submitted; live merchants install approved versions only');
    expect(expectError(await install(b, '2.0.0'), 404, 'TK_NOT_FOUND').message).toBe('no version test-upgrade-tiers@2.0.0');
    const mine = await ok(install(a, '1.0.0'), 201);
    const upgrade = expectError(await t.api(a, 'POST', `/v1/installs/${mine.id}/upgrade`, { version: '2.0.0', consent: ['storage:kv'] }), 403, 'TK_FORBIDDEN');
    expect(upgrade.message).toMatch(/is submitted/);
    expect(await ok(t.api(a, 'GET', `/v1/installs/${mine.id}`))).toMatchObject({ version: '1.0.0', pendingVersion: null });
  });

  it('a merchant is told a marketplace version it may see needs a reviewer', async () => {
    const refused = expectError(await t.api(byName('merchant A').token, 'POST', '/v1/plugins/my-member-tiers/versions/0.1.0/approve', { comment: 'mine' }), 403, 'TK_FORBIDDEN');
    expect(refused.hint).toMatch(/reviewer/);
  });

  it('effective settings are per store of the merchant’s own only: another merchant’s store is no store', async () => {
    const a = byName('merchant A');
    const settings = (store: string) => t.api(a.token, 'GET', `/v1/installs/${a.own.id}/settings?storeId=${store}`);
    expect(await ok(settings(a.own.storeId))).toEqual({ weight: 5 });
    const other = expectError(await settings(byName('merchant B').own.storeId), 404, 'TK_NOT_FOUND', '/querystring/storeId');
    expect(other.message).toBe('merchant walk-a has no store walk-b-store1');
  });
});
