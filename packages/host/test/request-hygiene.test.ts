// What the HTTP API does with requests it cannot take as sent: text PostgreSQL cannot store (NUL, lone
// surrogates), bodies nested thousands of levels deep, prototype keys, URLs that do not decode, and
// credentials that try to slip past the per-credential rate limit. Every one is a TK_* error with a path,
// never a 500. Real hosts on test databases of their own, over HTTP.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant, expectError, expectErrorBody, ok, publish, startTestHost, tierInput, uploadOf, type TestHost, orderPaidData } from './helpers.js';
import { MAX_REQUEST_DEPTH } from '../src/platform/http/request-json.js';
import { toTkError } from '../src/platform/http/errors.js';

describe('request text, nesting and keys', () => {
  let t: TestHost;
  let merchant: string;
  let installId: string;
  beforeAll(async () => {
    t = await startTestHost();
    merchant = await createMerchant(t, 'hygiene-m', { stores: ['hygiene-s1'] });
    await publish(t, await uploadOf('template'));
    installId = (await ok(t.api(merchant, 'POST', '/v1/installs', { plugin: 'my-member-tiers', grantPermissions: ['member:read'] }), 201)).id;
  });
  afterAll(async () => {
    await t?.close();
  });

  const invoke = (body: unknown) => t.api(merchant, 'POST', '/v1/extensions/member.tier.compute/invoke', body);

  it('refuses a lone surrogate anywhere in a body with TK_VALIDATION at its path, before anything is stored or run', async () => {
    const event = expectError(await t.api(merchant, 'POST', '/v1/events', { type: 'order.paid', data: { x: '\udfff' } }), 400, 'TK_VALIDATION', '/data/x');
    expect(event.message).toMatch(/lone surrogate \(\\udfff\)/);
    expectError(await t.api(merchant, 'PUT', `/v1/installs/${installId}/settings`, { goldAtFen: 5, nested: { label: '\ud800' } }), 400, 'TK_VALIDATION', '/nested/label');
    expectError(await t.api(merchant, 'PUT', `/v1/installs/${installId}/stores/hygiene-s1/settings`, { nested: { label: 'tail \ud83d' } }), 400, 'TK_VALIDATION', '/nested/label');
    const input = tierInput();
    const tiers = [{ ...input.tiers[0]!, name: 'R\ud800' }, ...input.tiers.slice(1)];
    expectError(await invoke({ input: { ...input, tiers } }), 400, 'TK_VALIDATION', '/input/tiers/0/name');
    // In a key too, and in arrays; a surrogate pair (an emoji) is a character like any other.
    expectError(await t.api(merchant, 'POST', '/v1/events', { type: 'order.paid', data: { list: ['ok', { ['k\udc00']: 1 }] } }), 400, 'TK_VALIDATION', '/data/list/1/k\udc00');
    await ok(t.api(merchant, 'POST', '/v1/events', { type: 'order.paid', data: orderPaidData({ note: '会员 😀' }) }));
    // Nothing was stored or run: the logs show no invocation of the refused input.
    const logs = await ok(t.api(merchant, 'GET', '/v1/logs'));
    expect(JSON.stringify(logs)).not.toMatch(/R\\ud800/);
  });

  it('keeps "e\\ud800" and "e\\ufffd" apart: the first is refused, not stored as the second', async () => {
    expectError(await t.api(merchant, 'POST', '/v1/events', { id: 'e\ud800', type: 'order.paid', data: {} }), 400, 'TK_VALIDATION', '/id');
    const replacement = await ok(t.api(merchant, 'POST', '/v1/events', { id: 'e\ufffd', type: 'order.paid', data: orderPaidData() }));
    expect(replacement.duplicate).not.toBe(true);
  });

  it('refuses a NUL character in a value or a key with the same error, at its path', async () => {
    const value = expectError(await t.api(merchant, 'POST', '/v1/events', { type: 'order.paid', data: { note: 'nul \u0000 inside' } }), 400, 'TK_VALIDATION', '/data/note');
    expect(value.message).toMatch(/text that cannot be stored at \/data\/note: a NUL character/);
    expectError(await t.api(merchant, 'PUT', `/v1/installs/${installId}/settings`, { ['a\u0000b']: 1 }), 400, 'TK_VALIDATION', '/a\u0000b');
    // In the URL's parts as well.
    expectError(await t.api(merchant, 'GET', '/v1/installs/ins_%00'), 400, 'TK_VALIDATION', '/params/id');
    expectError(await t.api(merchant, 'GET', '/v1/logs?limit=5&plugin=a%00b'), 400, 'TK_VALIDATION', '/querystring/plugin');
  });

  it(`refuses bodies nested deeper than ${MAX_REQUEST_DEPTH} levels at the first level too deep, and takes ${MAX_REQUEST_DEPTH}`, async () => {
    const nested = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
    // 5,000 levels are about 25 KB: once a stack overflow (500) in the checks after parsing.
    const deep = expectError(await t.api(merchant, 'POST', '/v1/events', undefined, { raw: `{"type":"order.paid","data":${nested(5_000)}}` }), 400, 'TK_VALIDATION');
    // The body is level 1, data level 2: the first object too deep is data's 64th `a`.
    expect(deep.path).toBe('/data' + '/a'.repeat(MAX_REQUEST_DEPTH - 1));
    expect(deep.details).toEqual({ limit: MAX_REQUEST_DEPTH });
    expectError(await t.api(merchant, 'PUT', `/v1/installs/${installId}/settings`, undefined, { raw: `{"goldAtFen":5,"extra":${nested(5_000)}}` }), 400, 'TK_VALIDATION');
    const deepArray = expectError(await t.api(merchant, 'POST', '/v1/events', undefined, { raw: `{"type":"order.paid","data":{"x":${'['.repeat(5_000)}${']'.repeat(5_000)}}}` }), 400, 'TK_VALIDATION');
    expect(deepArray.path).toMatch(/^\/data\/x(\/0)+$/);
    // The body (1) and data (2) leave 62 levels under data (an event the catalogue has not typed yet takes any object).
    await ok(t.api(merchant, 'POST', '/v1/events', undefined, { raw: `{"type":"points.changed","data":${nested(MAX_REQUEST_DEPTH - 2)}}` }));
    expect((await t.api(undefined, 'GET', '/healthz')).status).toBe(200);
  });

  it('names a "__proto__" key, or "prototype" inside "constructor", and its path, instead of calling the JSON invalid', async () => {
    const proto = expectError(await t.api(merchant, 'POST', '/v1/events', undefined, { raw: '{"type":"order.paid","data":{"x":{"__proto__":{"admin":true}}}}' }), 400, 'TK_VALIDATION', '/data/x/__proto__');
    expect(proto.message).toMatch(/forbidden key "__proto__"/);
    expect(proto.message).not.toMatch(/not valid JSON/);
    const ctor = expectError(await t.api(merchant, 'PUT', `/v1/installs/${installId}/settings`, undefined, { raw: '{"constructor":{"prototype":{"admin":true}}}' }), 400, 'TK_VALIDATION', '/constructor/prototype');
    expect(ctor.message).toMatch(/forbidden key "prototype"/);
    // JSON that is not valid is still called that, at the body.
    const invalid = expectError(await t.api(merchant, 'POST', '/v1/events', undefined, { raw: '{"type":' }), 400, 'TK_VALIDATION', '/');
    expect(invalid.message).toMatch(/not valid JSON/);
  });

  it('answers a URL with malformed percent-encoding with the TK_* error body, not Fastify’s', async () => {
    for (const path of ['/v1/installs/%E0%A4%A', '/v1/installs/%C0%AE', '/v1/installs/%ED%A0%80']) {
      const res = await t.api(merchant, 'GET', path);
      expect(res.status, res.text).toBe(400);
      expectErrorBody(res);
      expect(res.body.error.code).toBe('TK_VALIDATION');
      expect(res.text).not.toMatch(/FST_ERR/);
    }
  });

  it('maps database refusals of request text and stack overflows that get past the checks to TK_VALIDATION, other bad input to TK_INTERNAL', async () => {
    const refusal = async (sql: string, values: unknown[]) => t.host.services.db.query(sql, values).then(() => expect.unreachable(sql), (error: unknown) => error);
    const surrogate = toTkError(await refusal('SELECT $1::jsonb', ['{"x":"\\ud800"}']));
    expect(surrogate).toMatchObject({ code: 'TK_VALIDATION', message: expect.stringMatching(/cannot be stored: a lone surrogate/) });
    expect(toTkError(await refusal('SELECT $1::jsonb', ['{"x":"\\u0000"}']))).toMatchObject({ code: 'TK_VALIDATION', message: expect.stringMatching(/NUL/) });
    expect(toTkError(await refusal('SELECT $1::text', ['a\u0000b']))).toMatchObject({ code: 'TK_VALIDATION', message: expect.stringMatching(/NUL/) });
    // A malformed uuid or integer is not text the caller should fix: the host passed it on.
    expect(toTkError(await refusal('SELECT $1::int', ['x'])).code).toBe('TK_INTERNAL');
    const recurse = (n: number): number => recurse(n + 1) + 1;
    let overflow: unknown;
    try {
      recurse(0);
    } catch (error) {
      overflow = error;
    }
    expect(toTkError(overflow)).toMatchObject({ code: 'TK_VALIDATION', path: '/' });
  });
});

describe('per-credential rate limit keys', () => {
  const max = 20;

  it('refuses a flood of made-up tokens from one address after `max` failed authentications; a token that worked before is still served', async () => {
    const t = await startTestHost({}, { rateLimit: { max, timeWindowMs: 60_000 } });
    try {
      const known = await createMerchant(t, 'rl-known');
      await ok(t.api(known, 'GET', '/v1/installs'));
      const statuses: number[] = [];
      for (let i = 0; i < 3 * max; i++) statuses.push((await t.api(`tk_merchant_${randomBytes(12).toString('base64url')}`, 'GET', '/v1/installs')).status);
      const counts = statuses.reduce<Record<number, number>>((all, status) => ({ ...all, [status]: (all[status] ?? 0) + 1 }), {});
      // Each made-up token is one database look-up, so the address gets `max` of them (and the one that
      // went over), then 429 without a look-up.
      expect(counts[401]).toBe(max + 1);
      expect(counts[429]).toBe(2 * max - 1);
      const refused = expectError(await t.api(`tk_merchant_${randomBytes(12).toString('base64url')}`, 'GET', '/v1/installs'), 429, 'TK_RATE_LIMITED');
      expect(refused.details).toMatchObject({ limit: 'failedAuthentications', max });
      expect((await t.api(`tk_x_${randomBytes(4).toString('hex')}`, 'GET', '/v1/installs')).headers.get('retry-after')).toMatch(/^\d+$/);
      expect((await t.api(known, 'GET', '/v1/installs')).status).toBe(200);
      expect((await t.api(undefined, 'GET', '/healthz')).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('counts every spelling of the same token (case of "Bearer", whitespace) against its one bucket', async () => {
    const t = await startTestHost({}, { rateLimit: { max, timeWindowMs: 60_000 } });
    try {
      const token = await createMerchant(t, 'rl-variants');
      const spellings = [`Bearer ${token}`, `bearer ${token}`, `BEARER  ${token}`, `Bearer\t${token}`, `bEaReR   ${token}`];
      const statuses: number[] = [];
      for (let i = 0; i < max + spellings.length; i++) {
        const res = await t.api(undefined, 'GET', '/v1/installs', undefined, { headers: { authorization: spellings[i % spellings.length]! } });
        statuses.push(res.status);
      }
      expect(statuses.slice(0, max).every((status) => status === 200)).toBe(true);
      expect(statuses.slice(max)).toEqual(spellings.map(() => 429));
    } finally {
      await t.close();
    }
  });
});
