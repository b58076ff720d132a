// What a plugin controls must never fail the statements the host writes for it. PostgreSQL refuses NUL
// characters (text, jsonb) and lone UTF-16 surrogates (jsonb); a plugin's event handler once poisoned the
// dispatcher's batch transaction with either — throwing such a message, or passing one to ctx.kv and
// catching the error — and the batch was claimed again forever: no attempt counted, nothing dead-lettered,
// every merchant's deliveries pending behind it. And an extension's output or error message with them
// turned the merchant's fallback into a 400 or 500, with the call missing from the log.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { buildPlugin } from '@tongkit/runtime/build';
import { createHostServices, type HostServices } from '../src/testing.js';
import { type Principal } from '../src/index.js';
import { createTestDatabase, type TestDatabase } from '../src/testing.js';
import { tierInput } from './helpers.js';

const HOSTILE = fileURLToPath(new URL('./plugins/hostile-text', import.meta.url));
const developer: Principal = { role: 'developer', subjectId: 'dev-hostile' };

let test: TestDatabase;
let services: HostServices;
/** Install of the hostile plugin, per merchant: `hostile-mart` sends the hostile text, `quiet-mart` only counts. */
const installs: Record<string, string> = {};

beforeAll(async () => {
  test = await createTestDatabase();
  services = createHostServices(test.db, { runtime: { workers: 1 }, dispatch: { maxAttempts: 2, backoffMs: () => 0 } });
  const { tenancy, registry } = services;
  await tenancy.upsertTier({ id: 'standard', name: 'Standard' });
  await tenancy.upsertDeveloper({ id: developer.subjectId, name: 'Hostile developer' });
  const { bundle } = await buildPlugin(HOSTILE);
  const deployed = await registry.deploy(developer, bundle);
  // Development merchants run the unreviewed version.
  for (const merchant of ['hostile-mart', 'quiet-mart']) {
    await tenancy.upsertMerchant({ id: merchant, name: merchant, tierId: 'standard', development: true });
    const install = await services.installs.install(merchant, { plugin: deployed.plugin, grantPermissions: ['storage:kv', 'member:read'] });
    installs[merchant] = install.id;
  }
}, 60_000);

afterAll(async () => {
  await services?.runtime.dispose();
  await test?.drop();
});

interface DeliveryRow {
  status: string;
  attempts: number;
  last_error: { code: string; message: string } | null;
}

async function delivery(merchantId: string, eventId: string): Promise<DeliveryRow> {
  const { rows } = await test.db.query<DeliveryRow>('SELECT status, attempts, last_error FROM deliveries WHERE merchant_id = $1 AND event_id = $2', [merchantId, eventId]);
  if (!rows[0]) throw new Error(`no delivery of ${eventId} for ${merchantId}`);
  return rows[0];
}

async function kv(merchantId: string, key: string): Promise<unknown> {
  const { rows } = await test.db.query<{ value: unknown }>('SELECT value FROM plugin_kv WHERE install_id = $1 AND key = $2', [installs[merchantId], key]);
  return rows[0]?.value;
}

const publish = (merchantId: string, id: string, data: Record<string, unknown>) => services.dispatcher.publish(merchantId, { id, type: 'order.paid', data });

/** Adds a CHECK constraint for one test: a statement the database refuses however well the host checked. */
async function refuseInDatabase(table: string, check: string): Promise<void> {
  await test.db.query(`ALTER TABLE ${table} ADD CONSTRAINT test_refused CHECK (${check})`);
  onTestFinished(() => test.db.query(`ALTER TABLE ${table} DROP CONSTRAINT test_refused`).then(() => undefined));
}

describe('a plugin cannot poison the dispatcher’s batch', () => {
  it('lone surrogates in errors and logs, and NUL, lone surrogates or non-integers in ctx.kv, fail or refuse only their own call; the next merchant’s event is delivered', async () => {
    await publish('hostile-mart', 'evt-throw', { case: 'throw-lone-surrogate' });
    await publish('hostile-mart', 'evt-log', { case: 'log-lone-surrogate' });
    await publish('hostile-mart', 'evt-kv-text', { case: 'kv-text' });
    await publish('hostile-mart', 'evt-kv-not-integer', { case: 'kv-not-integer' });
    await publish('quiet-mart', 'evt-quiet-1', { case: 'count' });

    // One batch claims all five; it commits instead of failing on every claim.
    expect(await services.dispatcher.runOnce()).toBe(5);
    expect(await delivery('quiet-mart', 'evt-quiet-1')).toMatchObject({ status: 'done', attempts: 1 });
    expect(await kv('quiet-mart', 'paid')).toBe(1);
    const thrown = await delivery('hostile-mart', 'evt-throw');
    expect(thrown).toMatchObject({ status: 'pending', attempts: 1, last_error: { code: 'TK_PLUGIN_ERROR' } });
    expect(thrown.last_error?.message).toContain('bad \uFFFD surrogate \uFFFD');

    await services.dispatcher.drain();
    // The thrower is dead-lettered after its attempts; the others were delivered.
    expect(await delivery('hostile-mart', 'evt-throw')).toMatchObject({ status: 'dead', attempts: 2 });
    expect(await services.dispatcher.deadLetters('hostile-mart')).toEqual([expect.objectContaining({ eventId: 'evt-throw', attempts: 2 })]);
    for (const id of ['evt-log', 'evt-kv-text', 'evt-kv-not-integer']) expect(await delivery('hostile-mart', id), id).toMatchObject({ status: 'done', attempts: 1 });
    const logs = await test.db.query<{ message: string }>(`SELECT message FROM plugin_logs WHERE install_id = $1 AND source = 'plugin'`, [installs['hostile-mart']]);
    expect(logs.rows).toEqual([{ message: 'cut \uFFFD' }]);

    // ctx.kv refused the text storage cannot keep with TK_VALIDATION, before any statement ran.
    expect(await kv('hostile-mart', 'report-kv-text')).toEqual({
      nulValue: 'TK_VALIDATION',
      loneValue: 'TK_VALIDATION',
      nestedKey: 'TK_VALIDATION',
      nulKey: 'TK_VALIDATION',
      loneKey: 'TK_VALIDATION',
      loneIdempotencyKey: 'TK_VALIDATION',
      nulDelete: 'TK_VALIDATION',
    });
    expect(await kv('hostile-mart', 'k')).toBeUndefined();
    // kv.increment refuses a stored non-integer and a sum past 2^53 − 1, and changes nothing; the
    // refused idempotency key stays unused.
    expect(await kv('hostile-mart', 'report-kv-not-integer')).toEqual({
      fraction: 'TK_VALIDATION',
      huge: 'TK_VALIDATION',
      overflow: 'TK_VALIDATION',
      fractionOnce: 'TK_VALIDATION',
      fractionValue: 1.5,
      after: 3,
    });
    expect(await kv('hostile-mart', 'top')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('a host call the database refuses fails its delivery even when the handler swallows the error; the rest of the batch is delivered', async () => {
    await refuseInDatabase('plugin_kv', `value <> '"refuse me"'::jsonb`);
    await publish('hostile-mart', 'evt-refused-kv', { case: 'kv-refused-by-database' });
    await publish('quiet-mart', 'evt-quiet-2', { case: 'count' });

    expect(await services.dispatcher.runOnce()).toBe(2);
    expect(await delivery('quiet-mart', 'evt-quiet-2')).toMatchObject({ status: 'done', attempts: 1 });
    expect(await kv('quiet-mart', 'paid')).toBe(2);
    const refused = await delivery('hostile-mart', 'evt-refused-kv');
    expect(refused).toMatchObject({ status: 'pending', attempts: 1, last_error: { code: 'TK_INTERNAL' } });
    expect(refused.last_error?.message).toMatch(/check constraint/);
    // Its writes rolled back with it, the ones after the refused statement too.
    expect(await kv('hostile-mart', 'after-doomed')).toBeUndefined();

    await services.dispatcher.drain();
    expect(await delivery('hostile-mart', 'evt-refused-kv')).toMatchObject({ status: 'dead', attempts: 2 });
  });

  it('an outcome the database refuses to store counts as an attempt of its own delivery, not a failure of the batch', async () => {
    await refuseInDatabase('plugin_logs', `message <> 'refuse me'`);
    await publish('hostile-mart', 'evt-refused-log', { case: 'log-refused-by-database' });
    await publish('quiet-mart', 'evt-quiet-3', { case: 'count' });

    // The batch's final write fails; the batch runs again isolated instead of being claimed again for ever.
    expect(await services.dispatcher.runOnce()).toBe(2);
    expect(await delivery('quiet-mart', 'evt-quiet-3')).toMatchObject({ status: 'done', attempts: 1 });
    expect(await kv('quiet-mart', 'paid')).toBe(3);
    const refused = await delivery('hostile-mart', 'evt-refused-log');
    expect(refused).toMatchObject({ status: 'pending', attempts: 1, last_error: { code: 'TK_INTERNAL' } });
    expect(refused.last_error?.message).toContain('could not be stored (SQLSTATE 23514)');

    await services.dispatcher.drain();
    expect(await delivery('hostile-mart', 'evt-refused-log')).toMatchObject({ status: 'dead', attempts: 2 });
  });
});

describe('an extension’s text', () => {
  const invoke = (memberId: string) => services.extensions.invoke('hostile-mart', 'member.tier.compute', tierInput(350_000, memberId));

  async function logged(invocationId: string) {
    await services.extensions.flushLog(); // the invoke route's log is written behind
    const { rows } = await test.db.query<{ ok: boolean; fallback: boolean; error_code: string | null; error_message: string | null; output: unknown }>(
      'SELECT ok, fallback, error_code, error_message, output FROM invocations WHERE id = $1',
      [invocationId],
    );
    return rows[0];
  }

  it.each([
    ['nul-output', 'a NUL'],
    ['lone-output', 'a lone surrogate'],
  ])('with %s (%s) reaches the merchant as the plugin’s output, stored and logged', async (memberId) => {
    const decision = await invoke(memberId);
    expect(decision).toMatchObject({ source: 'plugin', output: { tierId: 'silver', reason: 'r\uFFFD' }, error: null });
    expect(await logged(decision.invocationId)).toEqual({ ok: true, fallback: false, error_code: null, error_message: null, output: { tierId: 'silver', reason: 'r\uFFFD' } });
  });

  it.each([
    ['nul-error', 'a NUL'],
    ['lone-error', 'a lone surrogate'],
  ])('in an error (%s) gives the merchant the fallback, and the failure is logged', async (memberId) => {
    const decision = await invoke(memberId);
    expect(decision).toMatchObject({ source: 'fallback', error: { code: 'TK_PLUGIN_ERROR' } });
    expect(decision.error?.message).toContain('bad\uFFFDthing');
    const row = await logged(decision.invocationId);
    expect(row).toMatchObject({ ok: false, fallback: true, error_code: 'TK_PLUGIN_ERROR', output: decision.output });
    expect(row?.error_message).toContain('bad\uFFFDthing');
  });

  it('a log write that fails anyway leaves the decision standing, with a warning', async () => {
    await refuseInDatabase('invocations', `input->'member'->>'id' IS DISTINCT FROM 'unloggable'`);
    const warning = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    onTestFinished(() => warning.mockRestore());

    const decision = await invoke('unloggable');
    expect(decision).toMatchObject({ source: 'plugin', output: { tierId: 'regular', reason: 'plain' }, error: null });
    expect(await logged(decision.invocationId)).toBeUndefined();
    expect(warning).toHaveBeenCalledWith(expect.stringContaining(`invocation ${decision.invocationId} of member.tier.compute for hostile-mart was not logged`));
  });
});
