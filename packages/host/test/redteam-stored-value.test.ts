// Red team, ctx.storedValue: a plugin of merchant A reads B's member like one that does not exist
// (zeros, nothing of B's balance), malformed arguments are TK_VALIDATION with their path, a plugin
// without `stored-value:read` is refused, and no plugin can spend: the namespace has no mutation, so
// there is no idempotency key to replay. Fixtures: plugins/redteam-stored-value-{probe,blind}.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlugin } from '@tongkit/runtime/build';
import { createMerchant, kvValue, ok, orderPaidData, publish, startTestHost, type TestHost } from './helpers.js';

const plugins = join(fileURLToPath(new URL('.', import.meta.url)), 'plugins');

let t: TestHost;
let tokenA: string;
let probe: string;
let blind: string;
let own: string;
let theirs: string;

beforeAll(async () => {
  t = await startTestHost({ dispatch: { maxAttempts: 1, backoffMs: () => 0 } });
  for (const name of ['redteam-stored-value-probe', 'redteam-stored-value-blind']) {
    const { bundle } = await buildPlugin(join(plugins, name));
    await publish(t, { ...bundle, fixtures: [] });
  }
  tokenA = await createMerchant(t, 'redteam-sv-a', { development: true });
  const tokenB = await createMerchant(t, 'redteam-sv-b', { development: true });
  probe = (await ok(t.api(tokenA, 'POST', '/v1/installs', { plugin: 'redteam-stored-value-probe', grantPermissions: ['stored-value:read', 'storage:kv'] }), 201)).id;
  blind = (await ok(t.api(tokenA, 'POST', '/v1/installs', { plugin: 'redteam-stored-value-blind', grantPermissions: ['storage:kv'] }), 201)).id;
  const fund = async (token: string, principalFen: number) => {
    const { memberId } = await ok(t.api(token, 'POST', '/v1/members', { channel: 'store' }), 201);
    const topUp = await ok(t.api(token, 'POST', `/v1/members/${memberId}/stored-value/top-ups`, { principalFen }, { headers: { 'idempotency-key': 'fund' } }), 201);
    await ok(t.api(token, 'POST', `/v1/dev/stored-value/top-ups/${topUp.topUpId}/capture`, {}));
    return memberId as string;
  };
  own = await fund(tokenA, 1_234);
  theirs = await fund(tokenB, 98_765);
});
afterAll(() => t?.close());

describe('ctx.storedValue', () => {
  it('reads its own merchant’s balances only, validates arguments, and cannot spend', async () => {
    await ok(t.api(tokenA, 'POST', '/v1/events', { type: 'order.paid', data: orderPaidData({ own, theirs }) }), 202);
    await t.host.services.dispatcher.drain();
    const report = (await kvValue(t, probe, 'stored-value-report')) as Record<string, any>;
    expect(report['own']?.value).toEqual({ memberId: own, balanceFen: 1_234, principalFen: 1_234, bonusFen: 0 });
    // Another merchant's member is a member A does not have: zeros, nothing of B's 98,765 fen.
    expect(report['theirs']?.value).toEqual({ memberId: theirs, balanceFen: 0, principalFen: 0, bonusFen: 0 });
    expect(report['badId']).toMatchObject({ code: 'TK_VALIDATION' });
    expect(report['emptyId']).toMatchObject({ code: 'TK_VALIDATION' });
    // The guest's error names the argument (its path is /0).
    expect(report['badId'].message).toContain('/0');
    expect(report['methods']).toEqual(['balance']);
    expect(report['spend']?.code).toBeDefined();
    expect(report['spend']?.value).toBeUndefined();
    // A refused host call fails the delivery even though the handler catches it: nothing it did is kept.
    expect(await kvValue(t, blind, 'blind-report')).toBeUndefined();
    const { rows } = await t.database.db.query<{ last_error: { code: string; details: unknown } }>(`SELECT last_error FROM deliveries WHERE install_id = $1`, [blind]);
    expect(rows[0]!.last_error).toMatchObject({ code: 'TK_PERMISSION_DENIED', details: { namespace: 'storedValue', method: 'balance', permission: 'stored-value:read' } });
    // Nothing moved.
    expect((await ok(t.api(tokenA, 'GET', `/v1/members/${own}/stored-value`))).balanceFen).toBe(1_234);
  });
});
