// The seams a primitive plugs into: the module list answers every namespace of the SDK's host-API
// catalogue, the router checks arguments against the catalogue's schemas, and runHostCall — the rule of
// every domain module's ctx handler — commits in its own transaction with its idempotency record.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HOST_API, hostCallSurface, isTkError } from '@tongkit/sdk';
import { buildPlugin } from '@tongkit/runtime/build';
import { createHostServices, type HostServices } from '../src/testing.js';
import { scanHostApiUse } from '../src/platform/registry/permission-scan.js';
import { type Principal } from '../src/index.js';
import { createTestDatabase, type TestDatabase } from '../src/testing.js';
import { createHostModules } from '../src/modules.js';
import { HostApiRouter } from '../src/platform/modules/host-api-router.js';
import { canonicalJson, runHostCall } from '../src/platform/modules/idempotency.js';
import type { HostModule } from '../src/platform/modules/host-module.js';

const COUNTER = fileURLToPath(new URL('./plugins/counter', import.meta.url));
const MERCHANT = 'modules-mart';
const developer: Principal = { role: 'developer', subjectId: 'dev-modules' };
const reviewer: Principal = { role: 'reviewer', subjectId: 'reviewer-modules' };

let test: TestDatabase;
let services: HostServices;
let installId: string;

beforeAll(async () => {
  test = await createTestDatabase();
  services = createHostServices(test.db, { runtime: { isolation: 'in-process' } });
  const { tenancy, registry, installs } = services;
  await tenancy.upsertTier({ id: 'standard', name: 'Standard' });
  await tenancy.upsertDeveloper({ id: developer.subjectId, name: 'Modules developer' });
  await tenancy.upsertMerchant({ id: MERCHANT, name: 'Modules Mart', tierId: 'standard' });
  const { bundle } = await buildPlugin(COUNTER);
  const deployed = await registry.deploy(developer, bundle);
  await registry.submit(developer, deployed.plugin, deployed.version);
  await registry.decide(reviewer, deployed.plugin, deployed.version, 'approve', 'counts paid orders');
  installId = (await installs.install(MERCHANT, { plugin: deployed.plugin, grantPermissions: ['storage:kv'] })).id;
});

afterAll(async () => {
  await services?.runtime.dispose();
  await test?.drop();
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return isTkError(error) ? error.code : String(error);
  }
}

describe('the module list', () => {
  it('answers every namespace of the host-API catalogue that crosses to the host, each by one module', () => {
    const router = new HostApiRouter(services.modules, test.db);
    expect(router.namespaces().sort()).toEqual(Object.keys(hostCallSurface()).sort());
    expect(services.modules.map((module) => module.name)).toContain('kv');
  });

  it('refuses two modules binding one namespace, and a handler for a method the catalogue does not have', () => {
    const modules = createHostModules({ db: test.db, publishIn: async () => ({ id: 'x', duplicate: false }) });
    expect(() => new HostApiRouter([...modules, ...modules], test.db)).toThrow(/two host modules handle ctx\.kv/);
    const extra = { name: 'extra', migrations: [], hostApis: { kv: { transaction: 'own', handlers: { drop: async () => null } } } } as unknown as HostModule;
    expect(() => new HostApiRouter([extra], test.db)).toThrow(/ctx\.kv\.drop, which the host-API catalogue does not have/);
  });
});

describe('the host-API router', () => {
  const site = () => ({ installId, merchantId: MERCHANT, plugin: 'counter', eventId: 'evt_router', batch: test.db });

  it('refuses arguments the catalogue’s schemas refuse, at the argument’s JSON path, before the handler runs', async () => {
    const router = new HostApiRouter(services.modules, test.db);
    const tooLong = await router.call(site(), 'kv', 'get', ['k'.repeat(257)]).catch((error: unknown) => error);
    expect(tooLong).toMatchObject({ code: 'TK_VALIDATION', path: '/0', fault: 'plugin' });
    const notInteger = await router.call(site(), 'kv', 'increment', ['n', 1.5]).catch((error: unknown) => error);
    expect(notInteger).toMatchObject({ code: 'TK_VALIDATION', path: '/1' });
    const badKey = await router.call(site(), 'kv', 'set', ['n', 1, { idempotencyKey: '' }]).catch((error: unknown) => error);
    expect(badKey).toMatchObject({ code: 'TK_VALIDATION', path: '/2/idempotencyKey' });
  });

  it('passes a left-out optional argument (null across the sandbox) to the handler as undefined', async () => {
    const router = new HostApiRouter(services.modules, test.db);
    await router.call(site(), 'kv', 'set', ['router-key', { a: 1 }, null]);
    expect(await router.call(site(), 'kv', 'get', ['router-key'])).toEqual({ a: 1 });
  });

  it('says a namespace no module answers is not available on this host', async () => {
    const router = new HostApiRouter([], test.db);
    expect(await codeOf(router.call(site(), 'kv', 'get', ['a']))).toBe('TK_NOT_FOUND');
  });
});

describe('runHostCall', () => {
  const count = async (key: string) => (await test.db.query<{ value: number }>('SELECT value FROM plugin_kv WHERE install_id = $1 AND key = $2', [installId, key])).rows[0]?.value;
  const bump = (key: string) => async (tx: { query: typeof test.db.query }) => {
    const { rows } = await tx.query<{ value: number }>(
      `INSERT INTO plugin_kv (install_id, key, value) VALUES ($1, $2, '1') ON CONFLICT (install_id, key)
       DO UPDATE SET value = to_jsonb((plugin_kv.value)::text::int + 1) RETURNING (value)::text::int AS value`,
      [installId, key],
    );
    return { applied: true, value: rows[0]!.value };
  };

  it('applies a call once: the same key and payload again is a duplicate returning the stored result', async () => {
    const record = { installId, key: 'evt_1:grant', method: 'test.grant', payload: { memberId: 'm1', points: 10 } };
    expect(await runHostCall(test.db, record, bump('granted'))).toEqual({ status: 'applied', result: { applied: true, value: 1 } });
    expect(await runHostCall(test.db, record, bump('granted'))).toEqual({ status: 'duplicate', result: { applied: true, value: 1 } });
    expect(await count('granted')).toBe(1);
  });

  it('refuses the same key with a different payload (TK_CONFLICT) and changes nothing', async () => {
    const record = { installId, key: 'evt_2:grant', method: 'test.grant', payload: { memberId: 'm1', points: 10 } };
    await runHostCall(test.db, record, bump('conflicted'));
    expect(await codeOf(runHostCall(test.db, { ...record, payload: { memberId: 'm1', points: 11 } }, bump('conflicted')))).toBe('TK_CONFLICT');
    expect(await codeOf(runHostCall(test.db, { ...record, method: 'test.deduct' }, bump('conflicted')))).toBe('TK_CONFLICT');
    expect(await count('conflicted')).toBe(1);
  });

  it('commits in its own transaction: a call that throws leaves neither its change nor its key', async () => {
    const record = { installId, key: 'evt_3:grant', method: 'test.grant', payload: {} };
    const failing = async (tx: { query: typeof test.db.query }) => {
      await bump('rolled-back')(tx);
      throw new Error('the domain refused');
    };
    await expect(runHostCall(test.db, record, failing)).rejects.toThrow('the domain refused');
    expect(await count('rolled-back')).toBeUndefined();
    expect((await runHostCall(test.db, record, bump('rolled-back'))).status).toBe('applied');
  });

  it('runs concurrent calls with one key once', async () => {
    const record = { installId, key: 'evt_4:grant', method: 'test.grant', payload: { n: 1 } };
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => runHostCall(test.db, record, bump('concurrent'))));
    expect(outcomes.filter((outcome) => outcome.status === 'applied')).toHaveLength(1);
    expect(await count('concurrent')).toBe(1);
  });

  it('hashes a payload alike whatever order its object keys were written in', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (object) => {
        const reversed = Object.fromEntries(Object.entries(object).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(object));
      }),
    );
  });
});

describe('the permissions-used scan, per method', () => {
  const bundle = (body: string) => `var p={events:{"order.paid":async function(e,ctx){${body}}}};`;

  it('names the methods a handler calls, and counts each method’s own permission', () => {
    const scan = scanHostApiUse(bundle('await ctx.kv.get("a");await ctx.kv.increment("n",1);ctx.log.info("x");'), { events: ['order.paid'] });
    expect(scan).toMatchObject({ used: ['storage:kv'], methods: ['kv.get', 'kv.increment', 'log.info'], unverified: false });
  });

  it('counts a namespace used without naming its methods with all of its methods’ permissions', () => {
    const scan = scanHostApiUse(bundle('const kv=ctx.kv;await kv.get("a");'), { events: ['order.paid'] });
    expect(scan).toMatchObject({ used: ['storage:kv'], namespaces: ['kv'], methods: [], unverified: false });
  });

  it('takes the permission of every catalogued method from the catalogue', () => {
    for (const [namespace, spec] of Object.entries(HOST_API)) {
      for (const [method, definition] of Object.entries(spec.methods)) {
        const scan = scanHostApiUse(bundle(`ctx.${namespace}.${method}();`), { events: ['order.paid'] });
        expect(scan.used).toEqual(definition.permission ? [definition.permission] : []);
      }
    }
  });
});
