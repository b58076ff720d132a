// Red team, ctx.guides through the real sandbox: a plugin of merchant A reads B's guide like one that does
// not exist and B's member as having no guide, malformed arguments (wrong types, path tricks, prototype
// keys, an oversized id) are TK_VALIDATION, arguments past the declared ones reach nothing, there is no
// method to bind or move a member, and a plugin without `guides:read` is refused at run time even when it hides the namespace's name.
// Reads only, so there is no idempotency key to replay. Fixtures: plugins/redteam-guides-{probe,blind}.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlugin } from '@tongkit/runtime/build';
import { createMerchant, kvValue, ok, orderPaidData, publish, startTestHost, type TestHost } from './helpers.js';

const plugins = join(fileURLToPath(new URL('.', import.meta.url)), 'plugins');

let t: TestHost;
let tokenA: string;
let tokenB: string;
let probe: string;
let blind: string;
let ownMember: string;
let theirMember: string;

async function guideWithMember(token: string, guideId: string): Promise<string> {
  await ok(t.api(token, 'POST', '/v1/staff', { id: guideId, name: guideId }));
  await ok(t.api(token, 'POST', '/v1/guides', { id: guideId, role: 'guide', storeId: null }));
  const { memberId } = await ok(t.api<{ memberId: string }>(token, 'POST', '/v1/members', { channel: 'online' }), 201);
  await ok(t.api(token, 'POST', '/v1/guide-relations', { memberId, guideId, source: 'share_link', at: '2026-11-01T00:00:00Z' }), 201);
  return memberId;
}

beforeAll(async () => {
  t = await startTestHost({ dispatch: { maxAttempts: 1, backoffMs: () => 0 } });
  for (const name of ['redteam-guides-probe', 'redteam-guides-blind']) {
    const { bundle } = await buildPlugin(join(plugins, name));
    await publish(t, { ...bundle, fixtures: [] });
  }
  tokenA = await createMerchant(t, 'redteam-guides-a', { development: true });
  tokenB = await createMerchant(t, 'redteam-guides-b', { development: true });
  probe = (await ok(t.api(tokenA, 'POST', '/v1/installs', { plugin: 'redteam-guides-probe', grantPermissions: ['guides:read', 'storage:kv'] }), 201)).id;
  blind = (await ok(t.api(tokenA, 'POST', '/v1/installs', { plugin: 'redteam-guides-blind', grantPermissions: ['storage:kv'] }), 201)).id;
  ownMember = await guideWithMember(tokenA, 'ann');
  theirMember = await guideWithMember(tokenB, 'bob');
});
afterAll(() => t?.close());

describe('ctx.guides in the sandbox', () => {
  it('reads its own merchant only, validates every argument, and cannot bind', async () => {
    const data = orderPaidData({ ownGuide: 'ann', ownMember, theirGuide: 'bob', theirMember });
    await ok(t.api(tokenA, 'POST', '/v1/events', { type: 'order.paid', data }), 202);
    await t.host.services.dispatcher.drain();
    const report = (await kvValue(t, probe, 'guides-report')) as Record<string, any>;
    expect(report['ownGuide']?.value).toMatchObject({ id: 'ann', status: 'active' });
    expect(report['ownRelation']?.value).toMatchObject({ memberId: ownMember, guideId: 'ann', source: 'share_link' });
    // B's guide is answered as a guide A does not have; B's member has no relation A can see.
    expect(report['theirGuide']).toMatchObject({ code: 'TK_NOT_FOUND' });
    expect(report['theirGuide'].message).not.toContain('redteam-guides-b');
    expect(report['theirRelation']).toEqual({ value: null });
    for (const key of ['objectId', 'pathId', 'protoId', 'hugeId']) {
      expect(report[key], key).toMatchObject({ code: 'TK_VALIDATION' });
    }
    expect(report['objectId'].message).toContain('/0');
    // Arguments past the declared ones are ignored (a newer SDK may pass more): the second id reaches nothing.
    expect(report['extraArgs']?.value).toMatchObject({ id: 'ann' });
    expect(report['methods']).toEqual(['get', 'relationOf']);
    expect(report['bind']?.code).toBeDefined();
    expect(report['bind']?.value).toBeUndefined();
    // Nothing moved: B's member is still bob's.
    expect((await ok(t.api(tokenB, 'GET', `/v1/members/${theirMember}/guide-relation`))).relation.guideId).toBe('bob');
  });

  it('refuses a plugin without guides:read, and the refused call fails its delivery', async () => {
    expect(await kvValue(t, blind, 'blind-report')).toBeUndefined();
    const { rows } = await t.database.db.query<{ last_error: { code: string; details: unknown } }>(`SELECT last_error FROM deliveries WHERE install_id = $1`, [blind]);
    expect(rows[0]!.last_error).toMatchObject({ code: 'TK_PERMISSION_DENIED', details: { namespace: 'guides', method: 'relationOf', permission: 'guides:read' } });
  });
});
