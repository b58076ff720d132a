// Install backfills (会员通 core, part 2, "Schedules and backfill"): installing a plugin that handles
// install.backfill walks the merchant's members who existed at that moment, a page at a time, through the
// real dispatcher and sandbox; the install's status shows the progress; a dead page fails the backfill
// until it is resumed; several runners never send a page twice. Real PostgreSQL.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlugin } from '@tongkit/runtime/build';
import type { Principal } from '../src/index.js';
import { createHostServices, createTestDatabase, type HostServices, type TestDatabase } from '../src/testing.js';
import { InstallBackfills } from '../src/platform/installs/backfill.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const developer: Principal = { role: 'developer', subjectId: 'dev-backfill' };
const GRANTS = ['points:write', 'member:read', 'storage:kv'] as const;

let test: TestDatabase;
let services: HostServices;
let plugin: string;

async function merchantWithMembers(id: string, count: number): Promise<string[]> {
  await services.tenancy.upsertMerchant({ id, name: id, tierId: 'standard', development: true });
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) ids.push((await services.members.register(id, { channel: 'online', idempotencyKey: `m${i}` })).memberId);
  return ids;
}

/** Runs backfill steps and deliveries until nothing is left to do (or `rounds` are up). */
async function drain(runner: Pick<InstallBackfills, 'runOnce'> = services.backfills, rounds = 50): Promise<void> {
  for (let i = 0; i < rounds; i += 1) {
    const sent = await runner.runOnce();
    let delivered = 0;
    for (let n = await services.dispatcher.runOnce(); n > 0; n = await services.dispatcher.runOnce()) delivered += n;
    if (sent === 0 && delivered === 0) {
      // One more step settles the last page (done or failed) once its delivery ended.
      if ((await runner.runOnce()) === 0) return;
    }
  }
}

const pointsOf = async (merchantId: string, memberId: string) => (await services.points.memberPoints(merchantId, memberId)).points.balance;
const kv = async (installId: string, key: string) =>
  (await test.db.query<{ value: unknown }>('SELECT value FROM plugin_kv WHERE install_id = $1 AND key = $2', [installId, key])).rows[0]?.value;

beforeAll(async () => {
  test = await createTestDatabase();
  services = createHostServices(test.db, {
    runtime: { isolation: 'in-process' },
    // A failing page dead-letters after two attempts, at once.
    dispatch: { maxAttempts: 2, backoffMs: () => 0 },
  });
  await services.tenancy.upsertTier({ id: 'standard', name: 'Standard' });
  await services.tenancy.upsertDeveloper({ id: developer.subjectId, name: 'Backfill developer' });
  const { bundle } = await buildPlugin(join(here, 'plugins/backfill-welcome'));
  plugin = (await services.registry.deploy(developer, bundle)).plugin;
}, 120_000);

afterAll(async () => {
  await services?.runtime.dispose();
  await test?.drop();
});

describe('an install backfill', () => {
  it('walks the members who existed at install, page by page, and shows its progress in the install', async () => {
    const members = await merchantWithMembers('bf-shop', 230);
    await services.members.delete('bf-shop', members[7]!); // erased before the install: never in a page
    const install = await services.installs.install('bf-shop', { plugin, grantPermissions: [...GRANTS] });
    expect(install.backfill).toMatchObject({ status: 'running', membersDone: 0, membersTotal: 229, pagesDone: 0, finishedAt: null, error: null });
    const late = (await services.members.register('bf-shop', { channel: 'online', idempotencyKey: 'late' })).memberId;

    await drain();

    const after = await services.installs.get('bf-shop', install.id);
    expect(after.backfill).toMatchObject({ status: 'done', membersDone: 229, membersTotal: 229, pagesDone: 10, error: null });
    expect(after.backfill?.finishedAt).not.toBeNull();
    for (const id of members.filter((_, i) => i !== 7)) expect(await pointsOf('bf-shop', id)).toBe(10);
    expect(await pointsOf('bf-shop', late)).toBe(0); // created after the snapshot: member.registered's business
    // Pages of 25 (nine) and 4, each told where it stands.
    expect(await kv(install.id, 'page:1')).toEqual({ before: 0, total: 229, last: false, n: 25 });
    expect(await kv(install.id, 'page:9')).toEqual({ before: 200, total: 229, last: false, n: 25 });
    expect(await kv(install.id, 'page:10')).toEqual({ before: 225, total: 229, last: true, n: 4 });
    // install.created reached this install once, typed.
    expect(await kv(install.id, 'created')).toBe(1);
    expect(await kv(install.id, 'createdData')).toMatchObject({ installId: install.id, plugin, version: '1.0.0' });
    // Also in the merchant's list of installs.
    expect((await services.installs.list('bf-shop')).find((i) => i.id === install.id)?.backfill?.status).toBe('done');
  });

  it('fails on a dead page, keeps what was done, and resumes from that page under a new event id', async () => {
    const members = await merchantWithMembers('bf-fail', 150);
    const install = await services.installs.install('bf-fail', { plugin, grantPermissions: [...GRANTS], settings: { failPage: 2 } });
    await drain();
    const failed = await services.installs.get('bf-fail', install.id);
    expect(failed.backfill).toMatchObject({ status: 'failed', membersDone: 25, pagesDone: 1 });
    expect(failed.backfill?.error?.message).toContain('page 2 fails on purpose');
    // The first page's members (in member-ID order) got theirs; nobody else did.
    const balances = await Promise.all(members.map((id) => pointsOf('bf-fail', id)));
    expect(balances.filter((b) => b === 10)).toHaveLength(25);
    expect(balances.filter((b) => b === 0)).toHaveLength(125);
    expect(members.filter((_, i) => balances[i] === 10)).toEqual([...members].sort().slice(0, 25).sort((a, b) => members.indexOf(a) - members.indexOf(b)));

    await services.installs.setSettings('bf-fail', install.id, { failPage: 0 });
    expect((await services.backfills.resume('bf-fail', install.id)).status).toBe('running');
    expect((await services.backfills.resume('bf-fail', install.id)).status).toBe('running'); // a retry changes nothing
    await drain();
    expect((await services.installs.get('bf-fail', install.id)).backfill).toMatchObject({ status: 'done', membersDone: 150, pagesDone: 6, error: null });
    for (const id of members) expect(await pointsOf('bf-fail', id)).toBe(10);
    const { rows } = await test.db.query<{ id: string }>(`SELECT id FROM events WHERE merchant_id = 'bf-fail' AND type = 'install.backfill' ORDER BY id`);
    expect(rows.map((r) => r.id).filter((id) => /:[12](:2)?$/.test(id)).sort()).toEqual([`install.backfill:${install.id}:1`, `install.backfill:${install.id}:2`, `install.backfill:${install.id}:2:2`]);
    expect(rows).toHaveLength(7); // pages 1–6, and page 2 twice
    await expect(services.backfills.resume('bf-fail', install.id)).rejects.toMatchObject({ code: 'TK_CONFLICT' });
  });

  it('sends each page once however many host processes step it at the same time', async () => {
    await merchantWithMembers('bf-race', 120);
    const install = await services.installs.install('bf-race', { plugin, grantPermissions: [...GRANTS] });
    const others = [1, 2, 3].map(() => new InstallBackfills(test.db, services.dispatcher, {
      count: (tx, m, upTo) => services.members.countActive(m, upTo, tx),
      page: (tx, m, upTo, after, limit) => services.members.activeIdsPage(m, upTo, after, limit, tx),
    }));
    for (let round = 0; round < 12; round += 1) {
      await Promise.all([services.backfills.runOnce(), ...others.map((o) => o.runOnce())]);
      while ((await services.dispatcher.runOnce()) > 0);
    }
    expect((await services.installs.get('bf-race', install.id)).backfill).toMatchObject({ status: 'done', membersDone: 120, pagesDone: 5 });
    const { rows } = await test.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE merchant_id = 'bf-race' AND type = 'install.backfill'`);
    expect(rows[0]!.n).toBe(5);
  });

  it('has no backfill for a plugin without the handler, and refuses what is not its own', async () => {
    await merchantWithMembers('bf-other', 1);
    const { bundle } = await buildPlugin(join(here, 'plugins/points-granter'));
    const granter = await services.installs.install('bf-other', { plugin: (await services.registry.deploy(developer, bundle)).plugin, grantPermissions: [...GRANTS] });
    expect(granter.backfill).toBeNull();
    await expect(services.backfills.resume('bf-other', granter.id)).rejects.toMatchObject({ code: 'TK_NOT_FOUND' });
    const theirs = (await services.installs.list('bf-shop'))[0]!;
    // Another merchant's install is not found, not resumed.
    await expect(services.backfills.resume('bf-other', theirs.id)).rejects.toMatchObject({ code: 'TK_NOT_FOUND' });
  });

  it('cannot be forged: nobody publishes install.backfill, install.created or schedule.fired to a merchant’s installs', async () => {
    for (const type of ['install.backfill', 'install.created', 'schedule.fired'] as const) {
      await expect(services.dispatcher.publish('bf-shop', { type, data: {} })).rejects.toMatchObject({ code: 'TK_VALIDATION', path: '/type' });
    }
  });
});
