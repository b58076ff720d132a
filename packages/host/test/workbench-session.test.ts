// The workbench's cookie sessions, as the API sees them: a bearer token is exchanged for an httpOnly,
// SameSite=Strict cookie; the cookie authenticates reads, and a state-changing request needs the
// session's CSRF token too; sign-out and expiry end the session; a revoked token ends its sessions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant, expectError, ok, startTestHost, type TestHost } from './helpers.js';

let t: TestHost;
let merchantToken: string;
beforeAll(async () => {
  t = await startTestHost({ runtime: { isolation: 'in-process' } });
  merchantToken = await createMerchant(t, 'wb-shop');
});
afterAll(() => t?.close());

/** Signs in with a token; returns the cookie header to send back and the session's CSRF token. */
async function signIn(token: string): Promise<{ cookie: string; csrfToken: string; setCookie: string }> {
  const res = await t.api(token, 'POST', '/v1/session');
  expect(res.status, res.text).toBe(201);
  const setCookie = res.headers.get('set-cookie') ?? '';
  return { cookie: setCookie.split(';')[0]!, csrfToken: res.body.csrfToken, setCookie };
}

describe('workbench sessions', () => {
  it('exchanges a bearer token for an httpOnly, SameSite=Strict cookie that reads as the token’s principal', async () => {
    const { cookie, setCookie, csrfToken } = await signIn(merchantToken);
    expect(setCookie).toMatch(/^tk_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).not.toMatch(/Secure/i); // plain HTTP on 127.0.0.1; Secure when the host serves HTTPS
    const session = await ok(t.api(undefined, 'GET', '/v1/session', undefined, { headers: { cookie } }));
    expect(session).toMatchObject({ signedIn: true, role: 'merchant', subjectId: 'wb-shop', csrfToken });
    const installs = await ok(t.api(undefined, 'GET', '/v1/installs', undefined, { headers: { cookie } }));
    expect(installs.items).toEqual([]);
  });

  it('refuses a state-changing request from a session without its CSRF token, and takes it with the token', async () => {
    const { cookie, csrfToken } = await signIn(merchantToken);
    const body = { plugin: 'nothing-here', grantPermissions: [] };
    expectError(await t.api(undefined, 'POST', '/v1/installs', body, { headers: { cookie } }), 403, 'TK_FORBIDDEN');
    expectError(await t.api(undefined, 'POST', '/v1/installs', body, { headers: { cookie, 'x-csrf-token': 'forged' } }), 403, 'TK_FORBIDDEN');
    // With the token the request reaches the route (which answers for the plugin that does not exist).
    expectError(await t.api(undefined, 'POST', '/v1/installs', body, { headers: { cookie, 'x-csrf-token': csrfToken } }), 404, 'TK_NOT_FOUND');
  });

  it('checks a bearer token as before when both are sent: the cookie never overrides the header', async () => {
    const { cookie } = await signIn(merchantToken);
    expectError(await t.api('tk_merchant_made-up', 'GET', '/v1/installs', undefined, { headers: { cookie } }), 401, 'TK_UNAUTHORIZED');
  });

  it('does not open a session from a session, nor without a token', async () => {
    const { cookie, csrfToken } = await signIn(merchantToken);
    expectError(await t.api(undefined, 'POST', '/v1/session', undefined, { headers: { cookie, 'x-csrf-token': csrfToken } }), 401, 'TK_UNAUTHORIZED');
    expectError(await t.api('tk_merchant_made-up', 'POST', '/v1/session'), 401, 'TK_UNAUTHORIZED');
  });

  it('ends the session on sign-out (which itself needs the CSRF token)', async () => {
    const { cookie, csrfToken } = await signIn(merchantToken);
    expectError(await t.api(undefined, 'DELETE', '/v1/session', undefined, { headers: { cookie } }), 403, 'TK_FORBIDDEN');
    const out = await t.api(undefined, 'DELETE', '/v1/session', undefined, { headers: { cookie, 'x-csrf-token': csrfToken } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/tk_session=;/);
    expectError(await t.api(undefined, 'GET', '/v1/installs', undefined, { headers: { cookie } }), 401, 'TK_UNAUTHORIZED');
    expect((await ok(t.api(undefined, 'GET', '/v1/session', undefined, { headers: { cookie } }))).signedIn).toBe(false);
  });

  it('ends a session when it expires, and when its token is revoked', async () => {
    const expiring = await signIn(merchantToken);
    const secret = decodeURIComponent(expiring.cookie.slice('tk_session='.length));
    await t.host.services.db.query(
      "UPDATE workbench_sessions SET created_at = now() - interval '9 hours', expires_at = now() - interval '1 hour' WHERE secret_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')",
      [secret],
    );
    expectError(await t.api(undefined, 'GET', '/v1/installs', undefined, { headers: { cookie: expiring.cookie } }), 401, 'TK_UNAUTHORIZED');

    const issued = await ok(t.api<{ token: string }>(t.host.tokens.admin, 'POST', '/v1/admin/tokens', { role: 'merchant', subjectId: 'wb-shop' }));
    const revoking = await signIn(issued.token);
    await t.host.services.db.query("UPDATE api_tokens SET revoked_at = now() WHERE token_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')", [issued.token]);
    expectError(await t.api(undefined, 'GET', '/v1/installs', undefined, { headers: { cookie: revoking.cookie } }), 401, 'TK_UNAUTHORIZED');
  });

  it('offers development sign-in only when the host is told to (embedded storage)', async () => {
    const state = await ok(t.api(undefined, 'GET', '/v1/session'));
    expect(state).toEqual({ signedIn: false, devSignIn: false });
    expectError(await t.api(undefined, 'POST', '/v1/session/development', { role: 'admin' }), 404, 'TK_NOT_FOUND');
  });

  it('serves the workbench at / under a strict Content-Security-Policy with a per-response style nonce', async () => {
    const first = await t.api(undefined, 'GET', '/');
    const second = await t.api(undefined, 'GET', '/review/some-plugin/1.0.0');
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = first.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(first.text).toContain(`content="${nonce}"`);
    expect(second.headers.get('content-security-policy')).not.toContain(nonce);
    expect(first.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    // API answers carry a policy too, and an unknown /v1 path is still the TK_* 404.
    expect((await t.api(undefined, 'GET', '/healthz')).headers.get('content-security-policy')).toContain("default-src 'none'");
    expectError(await t.api(undefined, 'GET', '/v1/nothing'), 404, 'TK_NOT_FOUND');
  });
});
