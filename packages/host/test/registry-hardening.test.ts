// The registry against its red-team findings, over HTTP on a real host: who may read a version (one rule,
// the catalog's), deploys of one plugin name racing each other, forged pagination cursors, and the review
// scan's verdict on handlers it cannot name.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS } from '@tongkit/sdk';
import { scanHostApiUse } from '../src/platform/registry/permission-scan.js';
import { createDeveloper, createMerchant, expectError, ok, publish, uploadOf, type ApiResponse, type TestHost, type Upload, startTestHost } from './helpers.js';

let t: TestHost;
let kvCounter: Upload;

beforeAll(async () => {
  t = await startTestHost();
  kvCounter = await uploadOf('kvCounter');
});

afterAll(async () => {
  await t?.close();
});

/**
 * test-kv-counter rebuilt under another name or version, or with other bytes (`tag` adds a comment):
 * the manifest's hash and size follow the code, as `tongkit build` would write them.
 */
function variant(change: { name?: string; version?: string; tag?: string; code?: (code: string) => string }): Upload {
  const base = kvCounter;
  let code = base.code;
  if (change.name) code = code.replace(`name:"${base.manifest.name}"`, `name:${JSON.stringify(change.name)}`);
  if (change.version) code = code.replace(`version:"${base.manifest.version}"`, `version:${JSON.stringify(change.version)}`);
  if (change.code) code = change.code(code);
  if (change.tag) code += `\n// ${change.tag}\n`;
  const manifest = {
    ...base.manifest,
    name: change.name ?? base.manifest.name,
    version: change.version ?? base.manifest.version,
    bundle: { ...base.manifest.bundle, sha256: createHash('sha256').update(code).digest('hex'), bytes: Buffer.byteLength(code) },
  };
  return { manifest, code, fixtures: [] };
}

const deploy = (token: string, upload: Upload) => t.api(token, 'POST', '/v1/versions', upload);
const getVersion = (token: string, plugin: string, version: string) => t.api(token, 'GET', `/v1/plugins/${plugin}/versions/${version}`);

/** What the database holds for a plugin: its owner and each version's hash. */
async function stored(name: string): Promise<{ owner: string | undefined; versions: Array<{ version: string; sha256: string }> }> {
  const db = t.host.services.db;
  const owner = await db.query<{ developer_id: string }>('SELECT developer_id FROM plugins WHERE name = $1', [name]);
  const versions = await db.query<{ version: string; sha256: string }>('SELECT version, sha256 FROM plugin_versions WHERE plugin_name = $1 ORDER BY version', [name]);
  return { owner: owner.rows[0]?.developer_id, versions: versions.rows };
}

describe('who may read a version', () => {
  let acme: string;
  let beta: string;
  let sandbox: string;
  let rival: string;

  beforeAll(async () => {
    acme = await createMerchant(t, 'vis-acme');
    beta = await createMerchant(t, 'vis-beta');
    sandbox = await createMerchant(t, 'vis-sandbox', { development: true });
    rival = await createDeveloper(t, 'vis-rival');
  });

  /** The 404 of a version that does not exist, to compare a hidden one with. */
  async function missing(token: string, plugin: string, version: string): Promise<ApiResponse> {
    return getVersion(token, `${plugin}-nope`, version);
  }

  function expectSameAsMissing(hidden: ApiResponse, absent: ApiResponse, plugin: string, version: string): void {
    const error = expectError(hidden, 404, 'TK_NOT_FOUND');
    const none = expectError(absent, 404, 'TK_NOT_FOUND');
    expect(error.message).toBe(`no version ${plugin}@${version}`);
    expect({ ...error, message: '' }).toEqual({ ...none, message: '' });
  }

  it('another brand’s private plugin is a 404 like a missing one, at every status; its brand, developer and reviewers read it', async () => {
    const { developer, reviewer, admin } = t.host.tokens;
    const upload = { ...variant({ name: 'vis-acme-secret' }), privateFor: 'vis-acme' };
    await ok(deploy(developer, upload), 201);
    const steps = [
      async () => undefined,
      async () => ok(t.api(developer, 'POST', '/v1/plugins/vis-acme-secret/versions/1.0.0/submit', {})),
      async () => ok(t.api(acme, 'POST', '/v1/plugins/vis-acme-secret/versions/1.0.0/approve', { comment: 'our own rules' })),
    ];
    for (const step of steps) {
      await step();
      for (const outsider of [beta, sandbox, rival]) {
        expectSameAsMissing(await getVersion(outsider, 'vis-acme-secret', '1.0.0'), await missing(outsider, 'vis-acme-secret', '1.0.0'), 'vis-acme-secret', '1.0.0');
        expect((await ok(t.api(outsider, 'GET', '/v1/versions?plugin=vis-acme-secret'))).items).toEqual([]);
      }
      for (const insider of [acme, developer, admin]) expect(await ok(getVersion(insider, 'vis-acme-secret', '1.0.0'))).toMatchObject({ plugin: 'vis-acme-secret', privateFor: 'vis-acme' });
    }
    // Reviewers see it once it is past draft; its brand lists it.
    expect(await ok(getVersion(reviewer, 'vis-acme-secret', '1.0.0'))).toMatchObject({ status: 'approved', reviewedBy: 'merchant:vis-acme' });
    expect((await ok(t.api(acme, 'GET', '/v1/versions?plugin=vis-acme-secret'))).items.map((v: { version: string }) => v.version)).toEqual(['1.0.0']);
    // The same rule as the catalog: beta's does not list it either.
    expect((await ok(t.api(beta, 'GET', '/v1/catalog'))).items.map((p: { plugin: string }) => p.plugin)).not.toContain('vis-acme-secret');
  });

  it('a public version is a merchant’s to read once approved; a development merchant reads it before, as its catalog lists it', async () => {
    const { developer } = t.host.tokens;
    await ok(deploy(developer, variant({ name: 'vis-public' })), 201);
    expectSameAsMissing(await getVersion(beta, 'vis-public', '1.0.0'), await missing(beta, 'vis-public', '1.0.0'), 'vis-public', '1.0.0');
    expect(await ok(getVersion(sandbox, 'vis-public', '1.0.0'))).toMatchObject({ status: 'draft' });
    expect((await ok(t.api(sandbox, 'GET', '/v1/catalog'))).items.map((p: { plugin: string }) => p.plugin)).toContain('vis-public');

    await publish(t, variant({ name: 'vis-public', version: '1.1.0' }));
    expect(await ok(getVersion(beta, 'vis-public', '1.1.0'))).toMatchObject({ status: 'approved', privateFor: null });
    // The older draft stays hidden from a live merchant.
    expectError(await getVersion(beta, 'vis-public', '1.0.0'), 404, 'TK_NOT_FOUND');
  });
});

/**
 * Sends `requests` so that they overlap where it matters: the registry's tables are held (SHARE mode:
 * reads pass, writes wait) until `waiters` of the requests' transactions are blocked on a lock, so every
 * request has done its checks and its review before any of them writes. Without the registry's own
 * serialisation they would then all write on stale checks; with it, they queue for the name.
 */
async function atOnce(requests: () => Array<Promise<ApiResponse>>, waiters = 2): Promise<ApiResponse[]> {
  const db = t.host.services.db;
  let sent: Promise<ApiResponse[]> | undefined;
  let settled = 0;
  await db.transaction(async (tx) => {
    await tx.query('LOCK TABLE plugins, plugin_versions IN SHARE MODE');
    sent ??= Promise.all(requests().map((r) => r.finally(() => settled++)));
    for (let polls = 0; ; polls++) {
      const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
      if (rows[0]!.n >= waiters || settled > 0) return;
      if (polls > 2000) throw new Error(`the requests never met at the registry's lock (${rows[0]!.n} waiting)`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });
  return sent!;
}

describe('deploys of one plugin name at the same time', () => {
  const ROUNDS = 5;
  let rival: string;

  beforeAll(async () => {
    rival = await createDeveloper(t, 'race-rival');
  });

  it('two developers racing for a new name: one owns it, the other is refused, and no version lands in another’s plugin', async () => {
    const { developer } = t.host.tokens;
    for (let round = 0; round < ROUNDS; round++) {
      const name = `race-owner-${round}`;
      const [mine, theirs] = (await atOnce(() => [deploy(developer, variant({ name, version: '1.0.0' })), deploy(rival, variant({ name, version: '1.0.1' }))])) as [ApiResponse, ApiResponse];
      const statuses = [mine.status, theirs.status].sort();
      expect(statuses, `round ${round}: ${mine.text} / ${theirs.text}`).toEqual([201, 403]);
      const [winner, loser] = mine.status === 201 ? [mine, theirs] : [theirs, mine];
      expectError(loser, 403, 'TK_FORBIDDEN');
      const owner = winner === mine ? 'dev' : 'race-rival';
      const { owner: storedOwner, versions } = await stored(name);
      expect(storedOwner, `round ${round}`).toBe(owner);
      expect(versions, `round ${round}`).toEqual([{ version: winner.body.version, sha256: winner.body.sha256 }]);
      // The winner sees its version; the loser sees nothing of the plugin.
      expect((await ok(t.api(winner === mine ? developer : rival, 'GET', `/v1/versions?plugin=${name}`))).items).toHaveLength(1);
      expect((await ok(t.api(winner === mine ? rival : developer, 'GET', `/v1/versions?plugin=${name}`))).items).toEqual([]);
    }
  });

  it('the same version with different code: one is stored, the other is TK_CONFLICT, never a 201 for code that was dropped', async () => {
    const { developer } = t.host.tokens;
    for (let round = 0; round < ROUNDS; round++) {
      const name = `race-code-${round}`;
      const a = variant({ name, tag: 'variant a' });
      const b = variant({ name, tag: 'variant b' });
      const answers = await atOnce(() => [deploy(developer, a), deploy(developer, b)]);
      expect(answers.map((r) => r.status).sort(), `round ${round}: ${answers.map((r) => r.text).join(' / ')}`).toEqual([201, 409]);
      const winner = answers.find((r) => r.status === 201)!;
      expect(expectError(answers.find((r) => r.status === 409)!, 409, 'TK_CONFLICT').message).toMatch(new RegExp(`${name}@1\\.0\\.0`));
      const uploaded = winner === answers[0] ? a : b;
      expect(winner.body.sha256).toBe(uploaded.manifest.bundle.sha256);
      expect((await stored(name)).versions).toEqual([{ version: '1.0.0', sha256: uploaded.manifest.bundle.sha256 }]);
    }
  });

  it('the same bytes deployed at once are one version, and every deploy answers with it', async () => {
    const { developer } = t.host.tokens;
    for (let round = 0; round < ROUNDS; round++) {
      const name = `race-same-${round}`;
      const upload = variant({ name });
      const answers = await atOnce(() => [deploy(developer, upload), deploy(developer, upload), deploy(developer, upload)], 3);
      for (const answer of answers) expect(answer.status, answer.text).toBe(201);
      expect(answers[1]!.body).toEqual(answers[0]!.body);
      expect(answers[2]!.body).toEqual(answers[0]!.body);
      expect((await stored(name)).versions).toEqual([{ version: '1.0.0', sha256: upload.manifest.bundle.sha256 }]);
    }
  });

  it('a first deploy that is private and one that is public, at once: the plugin keeps one audience and the other deploy is refused', async () => {
    const { developer } = t.host.tokens;
    await createMerchant(t, 'race-brand');
    for (let round = 0; round < ROUNDS; round++) {
      const name = `race-audience-${round}`;
      const answers = await atOnce(() => [
        deploy(developer, { ...variant({ name, version: '1.0.0' }), privateFor: 'race-brand' }),
        deploy(developer, variant({ name, version: '1.0.1' })),
      ]);
      const { rows } = await t.host.services.db.query<{ private_merchant_id: string | null }>('SELECT private_merchant_id FROM plugins WHERE name = $1', [name]);
      const audience = rows[0]!.private_merchant_id;
      // Whichever came first fixed the audience; the private deploy after a public one is refused.
      if (audience === null) {
        expect(answers[1]!.status, answers[1]!.text).toBe(201);
        expectError(answers[0]!, 409, 'TK_CONFLICT', '/privateFor');
      } else {
        expect(audience).toBe('race-brand');
        for (const answer of answers) expect(answer.status, answer.text).toBe(201);
        for (const answer of answers) expect(answer.body.privateFor).toBe('race-brand');
      }
    }
  });
});

describe('pagination cursors', () => {
  const encode = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
  const page = (cursor: string) => t.api(t.host.tokens.developer, 'GET', `/v1/versions?limit=1&cursor=${encodeURIComponent(cursor)}`);

  it('refuses a forged cursor with TK_VALIDATION at /querystring/cursor, never a database error', async () => {
    const forged = [
      'forged',
      encode('not json'),
      encode(null),
      encode([1, 2]),
      // The shape this API used to hand out: a timestamp as text went to PostgreSQL as is.
      encode({ createdAt: '1', plugin: 'x', version: 'y' }),
      encode({ createdAt: '2026-01-01 00:00:00+99', plugin: 'test-kv-counter', version: '1.0.0' }),
      encode({ t: '1', p: 'test-kv-counter', v: '1.0.0' }),
      encode({ t: 1.5, p: 'test-kv-counter', v: '1.0.0' }),
      encode({ t: 1e300, p: 'test-kv-counter', v: '1.0.0' }),
      encode({ t: Number.MAX_SAFE_INTEGER + 1, p: 'test-kv-counter', v: '1.0.0' }),
      encode({ t: 0, p: 'x\u0000', v: '1.0.0' }),
      encode({ t: 0, p: 'test-kv-counter', v: '1.0.0\u0000' }),
      encode({ t: 0, p: 'Test', v: '1.0.0' }),
      encode({ t: 0, p: 'test-kv-counter', v: 'latest' }),
      encode({ t: 0, p: 'test-kv-counter', v: '1.0.0', extra: true }),
    ];
    for (const cursor of forged) {
      const res = await page(cursor);
      const error = expectError(res, 400, 'TK_VALIDATION', '/querystring/cursor');
      expect(error.message).toMatch(/cursor/);
    }
  });

  it('a cursor of any form answers 200 or 400, never 5xx', async () => {
    const field = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.constant(null), fc.constantFrom('2026-01-01 00:00:00+99', '1', 'infinity', '294277-01-01', 'test-kv-counter', '1.0.0'));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ createdAt: field, plugin: field, version: field }),
          fc.record({ t: fc.oneof(fc.maxSafeInteger(), fc.integer(), field), p: fc.oneof(fc.constantFrom('test-kv-counter', 'a-b'), field), v: fc.oneof(fc.constantFrom('1.0.0', '0.0.0-x'), field) }),
          fc.string(),
        ),
        async (value) => {
          const res = await page(encode(value));
          expect([200, 400], res.text).toContain(res.status);
          if (res.status === 400) expectError(res, 400, 'TK_VALIDATION', '/querystring/cursor');
        },
      ),
      { numRuns: 60 },
    );
  });

  it('pages through versions created in one instant, exactly once each, newest first', async () => {
    const { developer } = t.host.tokens;
    // Three versions sharing created_at to the microsecond: the order falls to plugin and version, and a
    // cursor that lost a microsecond would skip the rest.
    for (const version of ['2.0.0', '2.0.1', '2.0.2']) await ok(deploy(developer, variant({ name: 'cursor-tie', version })), 201);
    await t.host.services.db.query(`UPDATE plugin_versions SET created_at = '2026-03-04 05:06:07.123456+00' WHERE plugin_name = 'cursor-tie'`);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { items: Array<{ version: string }>; nextCursor: string | null } = await ok(
        t.api(developer, 'GET', `/v1/versions?plugin=cursor-tie&limit=1${cursor ? `&cursor=${cursor}` : ''}`),
      );
      seen.push(...res.items.map((v) => v.version));
      cursor = res.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['2.0.2', '2.0.1', '2.0.0']);
  });
});

describe('the review scan and handlers it cannot name', () => {
  const handler = '(e,ctx)=>{ctx.kv.increment("n",1)}';

  it('reports a permission used by a handler under a computed key as unverified, not unused', async () => {
    const upload = variant({ name: 'scan-computed-key', code: (code) => code.replace('events:{"order.paid":', 'events:{[["order","paid"].join(".")]:') });
    expect(upload.code).toContain('[["order","paid"].join(".")]');
    const deployed = await ok(deploy(t.host.tokens.developer, upload), 201);
    expect(deployed.report.permissions).toEqual([{ permission: 'storage:kv', consent: PERMISSIONS['storage:kv'].consent, status: 'unverified' }]);
    expect(deployed.report.scan.unverified).toBe(true);
    expect(deployed.report.scan.notes.join('\n')).toMatch(/computed key/);
  });

  it('the literal handler is still read: its permission is used and the scan verified', async () => {
    const deployed = await ok(deploy(t.host.tokens.developer, variant({ name: 'scan-literal-key' })), 201);
    expect(deployed.report.permissions[0].status).toBe('used');
    expect(deployed.report.scan).toMatchObject({ used: ['storage:kv'], unverified: false, notes: [] });
  });

  it.each([
    ['a computed key', `var n="order.paid";var p={events:{[n]:${handler}}};`],
    ['a spread of handlers', `var h={};var p={events:{...h}};`],
    ['a handler built at run time and never named', `var p={events:Object.fromEntries([["order."+"paid",${handler}]])};`],
    ['a handler reading its context through rest parameters', `var p={events:{"order.paid":(...a)=>{a[1].kv.increment("n",1)}}};`],
    ['a handler reading its context through arguments', `var p={events:{"order.paid":function(){arguments[1].kv.increment("n",1)}}};`],
  ])('marks the scan unverified for %s', (_, code) => {
    const scan = scanHostApiUse(code, { events: ['order.paid'] });
    expect(scan.unverified, JSON.stringify(scan)).toBe(true);
    expect(scan.used).toEqual([]);
  });

  it('without the declared events, a computed key in an events object still marks it unverified', () => {
    expect(scanHostApiUse(`var n="order.paid";var p={events:{[n]:${handler}}};`).unverified).toBe(true);
  });
});

describe('uploaded fixtures', () => {
  it('refuses a fixture with both expect and expectError at its path (it would pass on the error and ignore expect)', async () => {
    const { developer } = t.host.tokens;
    const upload = await uploadOf('template');
    const [first] = upload.fixtures as Array<Record<string, unknown>>;
    const both = { ...first, expect: { tier: 'gold' }, expectError: 'TK_VALIDATION' };
    const refused = expectError(await deploy(developer, { ...upload, fixtures: [first, both] }), 400, 'TK_VALIDATION', '/fixtures/1/expectError');
    expect(refused.message).toMatch(/exactly one of "expect" and "expectError", not both/);
  });
});
