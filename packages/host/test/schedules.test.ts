// Cron triggers: a plugin's schedules are checked at build, claimed once per (install, schedule, slot)
// by several runners sharing one database, evaluated in the merchant's time zone, delivered through the
// dispatcher into the sandbox, and after downtime only the latest missed slot runs. Real PostgreSQL.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlugin } from '@tongkit/runtime/build';
import type { Principal } from '../src/index.js';
import { createHostServices, type HostServices } from '../src/testing.js';
import { createTestDatabase, type TestDatabase } from '../src/testing.js';
import { ScheduleRunner, DEFAULT_SCHEDULE_POLICY } from '../src/platform/schedules/schedule-runner.js';
import { dueSlot } from '../src/platform/schedules/cron-slots.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const developer: Principal = { role: 'developer', subjectId: 'dev-cron' };

let test: TestDatabase;
let services: HostServices;
let installId: string;

const counter = async (key: string) => {
  const { rows } = await test.db.query<{ value: number }>(`SELECT value FROM plugin_kv WHERE install_id = $1 AND key = $2`, [installId, key]);
  return rows[0]?.value ?? 0;
};
/** A runner of its own, as on another host process, whose clock says `at`. */
const runnerAt = (at: string) => new ScheduleRunner(test.db, services.dispatcher, services.modules, { db: test.db, publishIn: () => Promise.reject(new Error('unused')) }, DEFAULT_SCHEDULE_POLICY, () => new Date(at));

beforeAll(async () => {
  test = await createTestDatabase();
  services = createHostServices(test.db, { runtime: { isolation: 'in-process' } });
  await services.tenancy.upsertTier({ id: 'standard', name: 'Standard' });
  await services.tenancy.upsertDeveloper({ id: developer.subjectId, name: 'Cron developer' });
  await services.tenancy.upsertMerchant({ id: 'cron-shop', name: 'Cron shop', tierId: 'standard', development: true });
  const { bundle } = await buildPlugin(join(here, 'plugins/cron-counter'));
  const plugin = (await services.registry.deploy(developer, bundle)).plugin;
  installId = (await services.installs.install('cron-shop', { plugin, grantPermissions: ['storage:kv'] })).id;
  // The install existed since 08:00 UTC on 1 Dec (16:00 in Shanghai).
  await test.db.query(`UPDATE installs SET created_at = '2026-12-01T08:00:00Z' WHERE id = $1`, [installId]);
}, 120_000);

afterAll(async () => {
  await services?.runtime.dispose();
  await test?.drop();
});

describe('manifest schedules', () => {
  it('carries the schedules into the manifest with their handlers', async () => {
    const { bundle } = await buildPlugin(join(here, 'plugins/cron-counter'));
    expect(bundle.manifest.schedules).toEqual([
      { name: 'every-minute', cron: '* * * * *', handler: 'schedules.every-minute' },
      { name: 'nine-am', cron: '0 9 * * *', handler: 'schedules.nine-am' },
    ]);
  });

  it('refuses an invalid cron at build with TK_VALIDATION and its JSON path', async () => {
    const error = await buildPlugin(join(here, 'plugins/cron-invalid')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TK_VALIDATION', path: '/schedules/1/cron' });
  });

  it('refuses an invalid cron at review (a hand-edited manifest)', async () => {
    const { bundle } = await buildPlugin(join(here, 'plugins/cron-counter'));
    const edited = { ...bundle, manifest: { ...bundle.manifest, schedules: [{ name: 'every-minute', cron: '61 * * * *', handler: 'schedules.every-minute' }, bundle.manifest.schedules![1]!] } };
    const error = await services.registry.deploy(developer, edited).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TK_VALIDATION', path: '/schedules/0/cron' });
  });
});

describe('the missed-slot rule', () => {
  it('runs the latest due slot and counts the older ones since the previous run', () => {
    const due = dueSlot('0 * * * *', 'UTC', new Date('2026-12-01T05:30:00Z'), new Date('2026-12-01T01:00:00Z'), new Date('2026-11-01T00:00:00Z'));
    expect(due?.slot.toISOString()).toBe('2026-12-01T05:00:00.000Z');
    expect(due?.missed).toBe(3); // 02:00, 03:00, 04:00
    expect(due?.firstMissed?.toISOString()).toBe('2026-12-01T02:00:00.000Z');
  });

  it('evaluates the cron in the merchant time zone', () => {
    const due = dueSlot('0 9 * * *', 'Asia/Shanghai', new Date('2026-12-02T03:00:00Z'), undefined, new Date('2026-12-01T00:00:00Z'));
    expect(due?.slot.toISOString()).toBe('2026-12-02T01:00:00.000Z'); // 09:00 in Shanghai
  });

  it('has nothing due when the latest slot was already claimed or precedes the install', () => {
    expect(dueSlot('0 9 * * *', 'UTC', new Date('2026-12-02T10:00:00Z'), new Date('2026-12-02T09:00:00Z'), new Date('2026-12-01T00:00:00Z'))).toBeUndefined();
    expect(dueSlot('0 9 * * *', 'UTC', new Date('2026-12-02T10:00:00Z'), undefined, new Date('2026-12-02T09:30:00Z'))).toBeUndefined();
  });
});

describe('the schedule runner', () => {
  it('claims each slot once across several runners and delivers it to the plugin once', async () => {
    const at = '2026-12-02T01:00:20Z'; // 09:00:20 in Shanghai: both schedules are due
    const ticks = await Promise.all([runnerAt(at).tick(), runnerAt(at).tick(), runnerAt(at).tick(), runnerAt(at).tick()]);
    const fired = ticks.flatMap((t) => t.fired);
    expect(fired.map((f) => f.schedule).sort()).toEqual(['every-minute', 'nine-am']);
    const nine = fired.find((f) => f.schedule === 'nine-am')!;
    expect(nine.slot).toBe('2026-12-02T01:00:00.000Z');
    // The install dates from 1 Dec 08:00 UTC: every minute since is a missed slot (counted up to 1000).
    expect(fired.find((f) => f.schedule === 'every-minute')!.missedSlots).toBe(1000);
    while ((await services.dispatcher.runOnce()) > 0);
    expect(await counter('minutes')).toBe(1);
    expect(await counter('mornings')).toBe(1);
    const { rows } = await test.db.query(`SELECT schedule, missed_slots FROM schedule_claims WHERE owner = $1 ORDER BY schedule`, [`install:${installId}`]);
    expect(rows).toEqual([
      { schedule: 'every-minute', missed_slots: 1000 },
      { schedule: 'nine-am', missed_slots: 0 },
    ]);
  });

  it('after downtime runs only the latest missed slot, once, and records how many were skipped', async () => {
    const later = '2026-12-02T01:05:10Z'; // the minutes 01:01–01:04 passed with no runner up
    const ticks = await Promise.all([runnerAt(later).tick(), runnerAt(later).tick()]);
    const fired = ticks.flatMap((t) => t.fired);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ schedule: 'every-minute', slot: '2026-12-02T01:05:00.000Z', missedSlots: 4 });
    while ((await services.dispatcher.runOnce()) > 0);
    expect(await counter('minutes')).toBe(2);
    expect(await counter('missed')).toBe(1004);
    expect(await counter('mornings')).toBe(1);
  });

  it('runs a host module schedule (points expiry) once per slot across runners', async () => {
    const at = '2026-12-02T01:10:05Z';
    // Other modules (tiers, guides) have schedules of their own on the same runner: only points' is looked at.
    const ran = (await Promise.all([runnerAt(at).tick(), runnerAt(at).tick(), runnerAt(at).tick()])).flatMap((t) => t.ran).filter((r) => r.module === 'points');
    expect(ran).toEqual([{ module: 'points', schedule: 'points-expiry', slot: '2026-12-02T01:10:00.000Z', missedSlots: 0, ok: true }]);
    const again = (await runnerAt('2026-12-02T01:12:00Z').tick()).ran;
    expect(again).toEqual([]);
  });

  it('takes over a host schedule claim whose process died before finishing (at least once)', async () => {
    await test.db.query(
      `UPDATE schedule_claims SET status = 'running', lease_until = now() - interval '1 second', finished_at = NULL WHERE owner = 'host:points' AND slot = '2026-12-02T01:10:00Z'`,
    );
    const ran = (await runnerAt('2026-12-02T01:12:00Z').tick()).ran.filter((r) => r.module === 'points');
    expect(ran).toEqual([{ module: 'points', schedule: 'points-expiry', slot: '2026-12-02T01:10:00.000Z', missedSlots: 0, ok: true }]);
    const { rows } = await test.db.query(`SELECT status, claimed_by <> '' AS claimed FROM schedule_claims WHERE owner = 'host:points' AND slot = '2026-12-02T01:10:00Z'`);
    expect(rows).toEqual([{ status: 'done', claimed: true }]);
  });
});
