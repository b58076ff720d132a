// Shared helpers for the host's HTTP API tests: a real host on a test database of its own, a small
// fetch client, the template/example plugins and the fixture plugins under ./plugins, built once per
// test file, and the steps most tests start with (merchants, developers, deploy → submit → approve).
import { channel } from 'node:diagnostics_channel';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { PointInput, TkErrorJSON } from '@tongkit/sdk';
import { readFixtures, type Fixture, type PluginBundle } from '@tongkit/runtime';
import { buildPlugin, type BuildOptions, type BuildResult } from '@tongkit/runtime/build';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { buildHttpApi, type HostApp, type HostServiceOptions, type HostServices, type HttpApiOptions } from '../src/testing.js';
import { startHost, type Host } from '../src/index.js';
import { createTestDatabase, type TestDatabase } from '../src/testing.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '../../..');

/** Where the plugins built by {@link buildNamed} live. */
export const PLUGIN_DIRS = {
  /** `tongkit init --template member-tier`: my-member-tiers@0.1.0, settings silverAtFen/goldAtFen. */
  template: join(repo, 'templates/member-tier'),
  /** The five-level example: member-tiers@1.0.0. */
  example: join(repo, 'examples/member-tiers'),
  /** The staged-furniture service.plan: staged-furniture@1.0.0 (a small order: measurement visit, then installation). */
  stagedFurniture: join(repo, 'examples/staged-furniture'),
  kvCounter: join(here, 'plugins/kv-counter'),
  pointsGranter: join(here, 'plugins/points-granter'),
  earnPerYuan: join(here, 'plugins/earn-per-yuan'),
  earnFailing: join(here, 'plugins/earn-failing'),
  failingTiers: join(here, 'plugins/failing-tiers'),
  unverifiedKv: join(here, 'plugins/unverified-kv'),
  unusedPermission: join(here, 'plugins/unused-permission'),
  upgradeV1: join(here, 'plugins/upgrade-v1'),
  upgradeV2: join(here, 'plugins/upgrade-v2'),
} as const;
export type PluginName = keyof typeof PLUGIN_DIRS;

/** What POST /v1/versions takes. */
export interface Upload extends PluginBundle {
  fixtures?: unknown[];
  privateFor?: string;
}

const builds = new Map<string, Promise<BuildResult>>();

/** Builds a plugin once per test file (and per build options). */
export function buildNamed(name: PluginName, options: BuildOptions = {}): Promise<BuildResult> {
  const key = `${name}:${JSON.stringify(options)}`;
  let build = builds.get(key);
  if (!build) {
    build = buildPlugin(PLUGIN_DIRS[name], options);
    builds.set(key, build);
  }
  return build;
}

/** The fixtures checked in with a plugin (`fixtures/*.json`), as `tongkit deploy` sends them. */
export function fixturesOf(name: PluginName): Promise<Fixture[]> {
  return readFixtures(join(PLUGIN_DIRS[name], 'fixtures'), PLUGIN_DIRS[name]);
}

/** A member.tier.compute input: a silver member with `spendFen` of 12-month spend. */
export function tierInput(spendFen = 350_000, memberId = 'm_api01'): PointInput<'member.tier.compute'> {
  return {
    member: {
      id: memberId,
      currentTier: { id: 'silver', expiresAt: null },
      growthValue: 100,
      pointsBalance: 10,
      spend12mFen: { online: spendFen, store: 0 },
      orderCount12m: 3,
    },
    tiers: [
      { id: 'regular', name: '普通会员', rank: 0 },
      { id: 'silver', name: '银卡', rank: 1 },
      { id: 'gold', name: '金卡', rank: 2 },
    ],
    now: '2026-11-25T08:00:00Z',
  };
}

/** A fixture for plugins checked in without fixture files: runs the point, expects any valid output. */
export function smokeFixture(): Fixture {
  return { file: 'fixtures/smoke.json', point: 'member.tier.compute', input: tierInput() };
}

/** The upload `tongkit deploy` makes for a plugin: bundle, source map and fixtures. */
export async function uploadOf(name: PluginName, options: BuildOptions = {}): Promise<Upload> {
  const { bundle } = await buildNamed(name, options);
  let fixtures: Fixture[] = await fixturesOf(name);
  if (fixtures.length === 0 && bundle.manifest.extensions.length > 0) fixtures = [smokeFixture()];
  return { ...bundle, fixtures };
}

// --- HTTP ------------------------------------------------------------------------------------------

/** A response of the API: status and parsed JSON body (the raw text too). */
export interface ApiResponse<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

/** Options of one request: a raw body (sent as is) and extra headers. */
export interface RequestOptions {
  raw?: string;
  headers?: Record<string, string>;
}

/** Calls the API with a bearer token (`undefined`: none); a JSON body when `body` is given. */
export type Api = <T = any>(token: string | undefined, method: string, path: string, body?: unknown, options?: RequestOptions) => Promise<ApiResponse<T>>;

export function apiClient(baseUrl: string): Api {
  return async (token, method, path, body, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    let payload: string | undefined = options.raw;
    if (payload === undefined && body !== undefined) payload = JSON.stringify(body);
    if (payload !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    const res = await fetch(baseUrl + path, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
    const text = await res.text();
    let parsed: unknown = null;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: res.status, body: parsed as never, text, headers: res.headers };
  };
}

// --- a host under test -----------------------------------------------------------------------------

/** A host on its own test database, listening on a free port, with a client. */
export interface TestHost {
  host: Host;
  url: string;
  api: Api;
  database: TestDatabase;
  close(): Promise<void>;
}

/** Starts a host on a fresh test database with its data folder in a temp folder. */
export async function startTestHost(services: HostServiceOptions = {}, http?: HttpApiOptions): Promise<TestHost> {
  const database = await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), 'tongkit-api-'));
  await chmod(dataDir, 0o700);
  let host: Host;
  try {
    host = await startHost({ databaseUrl: database.url, dataDir, services, ...(http ? { http } : {}) });
  } catch (error) {
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const url = await host.listen();
  return {
    host,
    url,
    api: apiClient(url),
    database,
    async close() {
      await host.close();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates (or updates) a merchant with one store `<id>-store1` and returns a merchant token for it. */
export async function createMerchant(t: TestHost, id: string, options: { development?: boolean; tierId?: string; stores?: string[] } = {}): Promise<string> {
  const admin = t.host.tokens.admin;
  await ok(t.api(admin, 'POST', '/v1/admin/merchants', { id, name: `Merchant ${id}`, tierId: options.tierId ?? 'standard', development: options.development ?? false }));
  for (const store of options.stores ?? [`${id}-store1`]) {
    await ok(t.api(admin, 'POST', '/v1/admin/stores', { id: store, merchantId: id, name: `Store ${store}`, channel: 'store' }));
  }
  const issued = await ok(t.api<{ token: string }>(admin, 'POST', '/v1/admin/tokens', { role: 'merchant', subjectId: id }));
  return issued.token;
}

/** Creates a developer and returns a developer token for it. */
export async function createDeveloper(t: TestHost, id: string): Promise<string> {
  const admin = t.host.tokens.admin;
  await ok(t.api(admin, 'POST', '/v1/admin/developers', { id, name: `Developer ${id}` }));
  return (await ok(t.api<{ token: string }>(admin, 'POST', '/v1/admin/tokens', { role: 'developer', subjectId: id }))).token;
}

/** Deploys as the bootstrap developer (or `developer`), submits and approves as the reviewer. */
export async function publish(t: TestHost, upload: Upload, developer = t.host.tokens.developer): Promise<{ plugin: string; version: string }> {
  const deployed = await ok(t.api(developer, 'POST', '/v1/versions', upload), 201);
  const { plugin, version } = deployed as { plugin: string; version: string };
  await ok(t.api(developer, 'POST', `/v1/plugins/${plugin}/versions/${version}/submit`, {}));
  const approved = await ok(t.api(t.host.tokens.reviewer, 'POST', `/v1/plugins/${plugin}/versions/${version}/approve`, { comment: 'ok' }));
  expect(approved.status).toBe('approved');
  return { plugin, version };
}

/** Awaits a request and returns its body, failing the test with the body when the status is not `status` (2xx by default). */
export async function ok<T = any>(request: Promise<ApiResponse<T>>, status?: number): Promise<T> {
  const res = await request;
  const good = status === undefined ? res.status >= 200 && res.status < 300 : res.status === status;
  if (!good) throw new Error(`expected ${status ?? '2xx'}, got ${res.status}: ${res.text}`);
  return res.body;
}

/** Asserts a TK error response: status, code and (when given) the JSON path, in the one error body shape. */
export function expectError(res: ApiResponse, status: number, code: string, path?: string): TkErrorJSON {
  expect(res.status, res.text).toBe(status);
  expectErrorBody(res);
  const error = (res.body as { error: TkErrorJSON }).error;
  expect(error.code, res.text).toBe(code);
  if (path !== undefined) expect(error.path, res.text).toBe(path);
  return error;
}

/**
 * The one error body: `{ error: { code, message, fault, hint, path?, details? } }`, a JSON object with
 * nothing else, and never a stack trace.
 */
export function expectErrorBody(res: ApiResponse): void {
  expect(res.headers.get('content-type') ?? '', res.text).toMatch(/^application\/json/);
  expect(Object.keys(res.body as object), res.text).toEqual(['error']);
  const error = (res.body as { error: Record<string, unknown> }).error;
  expect(error, res.text).toMatchObject({ code: expect.stringMatching(/^TK_[A-Z_]+$/), message: expect.any(String), fault: expect.stringMatching(/^(user|plugin|platform)$/), hint: expect.any(String) });
  expect((error['message'] as string).length).toBeGreaterThan(0);
  for (const key of Object.keys(error)) expect(['code', 'message', 'fault', 'hint', 'path', 'details']).toContain(key);
  if (error['path'] !== undefined) expect(error['path']).toMatch(/^\//);
  expect(res.text).not.toMatch(/"stack"/);
  expect(res.text).not.toMatch(/\bat .+\((?:node:|file:|\/).+:\d+:\d+\)/);
  expect(res.text).not.toMatch(/\\n\s+at /);
}

// --- the route table ---------------------------------------------------------------------------------

/** One route of the HTTP API as Fastify registered it (HEAD routes Fastify adds for GETs included). */
export interface RouteEntry {
  method: string;
  url: string;
  /** `config.auth` as declared: roles, `'public'`, or undefined when the route declares nothing. */
  auth: unknown;
  /** `schema.hide`: left out of the OpenAPI document on purpose. */
  hidden: boolean;
}

/**
 * Builds the HTTP API with `buildHttpApi(services)` and records every route it registers, through an
 * `onRoute` hook added the moment Fastify creates the instance (Fastify announces each new instance on
 * the `fastify.initialization` diagnostics channel) — so the table is Fastify's own, not a copy.
 */
export async function collectRoutes(services: HostServices): Promise<{ routes: RouteEntry[]; app: HostApp }> {
  const routes: RouteEntry[] = [];
  const initialization = channel('fastify.initialization');
  const onInstance = (message: unknown): void => {
    (message as { fastify: FastifyInstance }).fastify.addHook('onRoute', (route: RouteOptions) => {
      for (const method of [route.method].flat()) {
        routes.push({ method, url: route.url, auth: (route.config as { auth?: unknown } | undefined)?.auth, hidden: (route.schema as { hide?: boolean } | undefined)?.hide === true });
      }
    });
  };
  initialization.subscribe(onInstance);
  let app: HostApp;
  try {
    app = await buildHttpApi(services);
  } finally {
    initialization.unsubscribe(onInstance);
  }
  await app.ready();
  if (routes.length === 0) throw new Error('no routes were recorded: Fastify no longer announces new instances on the fastify.initialization channel');
  return { routes, app };
}

// --- storage probes ----------------------------------------------------------------------------------

/** A plugin KV value of an install, read straight from the database (undefined when absent). */
export async function kvValue(t: TestHost, installId: string, key: string): Promise<unknown> {
  const { rows } = await t.host.services.db.query<{ value: unknown }>('SELECT value FROM plugin_kv WHERE install_id = $1 AND key = $2', [installId, key]);
  return rows[0]?.value;
}

/** How many rows of `table` belong to an install. */
export async function rowsOfInstall(t: TestHost, table: 'plugin_kv' | 'idempotency_keys' | 'deliveries' | 'circuit_breakers', installId: string): Promise<number> {
  const { rows } = await t.host.services.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE install_id = $1`, [installId]);
  return rows[0]!.n;
}

/**
 * Data of an `order.paid` event as the SDK types it (POST /v1/events checks it against the payload
 * schema), with `extra` fields beside or over the typed ones: a probe plugin's own fields ride along.
 */
export function orderPaidData(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    orderId: 'o-1',
    memberId: null,
    kind: 'goods',
    channel: 'online',
    storeId: null,
    guideId: null,
    totalFen: 100,
    spendFen: 100,
    tenders: [{ method: 'cash', amountFen: 100 }],
    lines: [{ sku: 'SKU-1', category: 'c', quantity: 1, netFen: 100 }],
    paidAt: '2026-11-25T08:00:00.000Z',
    paidOn: '2026-11-25',
    ...extra,
  };
}

/** Data of an `order.refunded` event as the SDK types it, with `extra` fields (see {@link orderPaidData}). */
export function orderRefundedData(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    orderId: 'o-1',
    refundId: 'r-1',
    memberId: null,
    kind: 'goods',
    amountFen: 100,
    spendFen: 100,
    tenders: [{ method: 'cash', amountFen: 100 }],
    totalFen: 100,
    orderSpendFen: 100,
    refundedTotalFen: 100,
    refundedSpendFen: 100,
    status: 'refunded',
    refundedAt: '2026-11-26T08:00:00.000Z',
    ...extra,
  };
}
