// Host key rotation of members' personal data and phone digests, over HTTP as an operator runs it
// (`tongkit members rotate-keys` calls these routes): batches, resumable, idempotent, each row keeping
// the ID of the key that made it; every member reads and binds by phone during and after the rotation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHostServices, type HostServices } from '../src/testing.js';
import { generateHostKeyRing, type HostKeyRing } from '../src/platform/host-keys.js';
import { createMerchant, expectError, ok, startTestHost, type TestHost } from './helpers.js';

const k1 = generateHostKeyRing('k1');
const k2 = generateHostKeyRing('k2');
/** The ring during the rotation: k2 active, k1 still there for what it made. */
const rotating: HostKeyRing = { activeKeyId: 'k2', keys: new Map([...k1.keys, ...k2.keys]) };
const consent = { textVersion: 'crm-consent-v1', consentedAt: '2026-11-20T10:00:00Z' };
const MEMBERS = 7;

let t: TestHost;
let merchant: string;
let before: HostServices;
const members: Array<{ memberId: string; phone: string; name: string }> = [];
const admin = () => t.host.tokens.admin;

/** Which key made each member's ciphertext and digest, straight from the rows. */
async function keysOfRows(): Promise<{ pii: string[]; digests: string[] }> {
  const { db } = t.host.services;
  const pii = await db.query<{ key_id: string }>(`SELECT key_id FROM member_pii WHERE merchant_id = 'rot-a' ORDER BY member_id`);
  const digests = await db.query<{ phone_key_id: string }>(`SELECT phone_key_id FROM members WHERE merchant_id = 'rot-a' AND phone_key_id IS NOT NULL ORDER BY id`);
  return { pii: pii.rows.map((r) => r.key_id), digests: digests.rows.map((r) => r.phone_key_id) };
}

/** Every member's personal data through the API: what a merchant reads during and after the rotation. */
async function readAll(): Promise<void> {
  for (const m of members) {
    expect(await ok(t.api(merchant, 'GET', `/v1/members/${m.memberId}/pii`))).toEqual({ memberId: m.memberId, phone: `+86${m.phone}`, name: m.name, birthday: null });
  }
}

beforeAll(async () => {
  t = await startTestHost({ hostKeys: rotating });
  merchant = await createMerchant(t, 'rot-a');
  // Members a host made while k1 was the only key (as before the rotation started).
  before = createHostServices(t.host.services.db, { runtime: { isolation: 'in-process' }, hostKeys: k1 });
  for (let i = 0; i < MEMBERS; i++) {
    const phone = `1390000${String(1000 + i)}`;
    const name = `会员${i}`;
    const { memberId } = await before.members.register('rot-a', { channel: 'online', pii: { phone, name } });
    members.push({ memberId, phone, name });
  }
});

afterAll(async () => {
  await before?.runtime.dispose();
  await t?.close();
});

describe('rotating the host key of members’ data', () => {
  it('reports the rows per key before it starts, to admins only', async () => {
    expect(await ok(t.api(admin(), 'GET', '/v1/admin/member-keys'))).toEqual({
      activeKeyId: 'k2',
      rotated: { pii: 0, digests: 0 },
      remaining: { pii: MEMBERS, digests: MEMBERS },
      done: false,
      keys: [{ keyId: 'k2', pii: 0, digests: 0 }, { keyId: 'k1', pii: MEMBERS, digests: MEMBERS }],
    });
    expectError(await t.api(merchant, 'POST', '/v1/admin/member-keys/rotate', {}), 403, 'TK_FORBIDDEN');
    expectError(await t.api(admin(), 'POST', '/v1/admin/member-keys/rotate', { batchSize: 0 }), 400, 'TK_VALIDATION', '/batchSize');
  });

  it('goes a batch at a time; mid-way, rows of either key read, and a phone still under the old key binds its member', async () => {
    const first = await ok(t.api(admin(), 'POST', '/v1/admin/member-keys/rotate', { batchSize: 3, maxBatches: 1 }));
    expect(first).toMatchObject({ rotated: { pii: 3, digests: 0 }, remaining: { pii: MEMBERS - 3, digests: MEMBERS }, done: false });
    const mid = await keysOfRows();
    expect(mid.pii.filter((k) => k === 'k2')).toHaveLength(3);
    expect(mid.pii.filter((k) => k === 'k1')).toHaveLength(MEMBERS - 3);
    await readAll();
    // Every digest is still k1's: binding matches by the phone's digest under every key of the ring.
    const bound = await ok(t.api(merchant, 'POST', '/v1/members/bind', { crmMemberId: 'crm-mid', phone: members[0]!.phone, consent }), 201);
    expect(bound).toMatchObject({ code: 'BOUND', memberId: members[0]!.memberId, registered: false });
    // Registering a phone already held under the old key is refused, not a second member.
    expect(await ok(t.api(merchant, 'POST', '/v1/members', { channel: 'online', pii: { phone: members[1]!.phone } }))).toMatchObject({ code: 'PHONE_ALREADY_REGISTERED', memberId: members[1]!.memberId });
  });

  it('resumes where it stopped and finishes; every ciphertext and digest then names the new key', async () => {
    let report = await ok(t.api(admin(), 'POST', '/v1/admin/member-keys/rotate', { batchSize: 2, maxBatches: 2 }));
    expect(report.rotated).toEqual({ pii: 4, digests: 0 });
    await readAll();
    let calls = 1;
    while (!report.done) {
      report = await ok(t.api(admin(), 'POST', '/v1/admin/member-keys/rotate', { batchSize: 2, maxBatches: 2 }));
      if (++calls > 20) throw new Error('the rotation does not finish');
    }
    expect(report).toMatchObject({ activeKeyId: 'k2', remaining: { pii: 0, digests: 0 }, done: true });
    expect(report.keys).toEqual([{ keyId: 'k2', pii: MEMBERS, digests: MEMBERS }]);
    const after = await keysOfRows();
    expect(after.pii).toEqual(Array(MEMBERS).fill('k2'));
    expect(after.digests).toEqual(Array(MEMBERS).fill('k2'));
    await readAll();
  });

  it('changes nothing when run again', async () => {
    const { db } = t.host.services;
    const snapshot = () => db.query(`SELECT member_id, key_id, iv, ciphertext FROM member_pii ORDER BY member_id`).then((r) => JSON.stringify(r.rows));
    const digests = () => db.query(`SELECT id, phone_key_id, phone_digest FROM members ORDER BY id`).then((r) => JSON.stringify(r.rows));
    const [pii, phones] = [await snapshot(), await digests()];
    expect(await ok(t.api(admin(), 'POST', '/v1/admin/member-keys/rotate', {}))).toMatchObject({ rotated: { pii: 0, digests: 0 }, done: true });
    expect(await snapshot()).toBe(pii);
    expect(await digests()).toBe(phones);
  });

  it('after it, the old key can go: a host with the new key alone reads every member and binds by phone', async () => {
    const newOnly = createHostServices(t.host.services.db, { runtime: { isolation: 'in-process' }, hostKeys: k2 });
    try {
      for (const m of members) expect((await newOnly.members.pii('rot-a', m.memberId)).phone).toBe(`+86${m.phone}`);
      // Bound by the phone re-digested under k2: the same member, not a new one.
      expect(await newOnly.members.bind('rot-a', { crmMemberId: 'crm-after', phone: members[2]!.phone, consent })).toMatchObject({ code: 'BOUND', memberId: members[2]!.memberId, registered: false });
      // And the member bound mid-way is still bound (its binding is the same CRM member).
      expect(await newOnly.members.bind('rot-a', { crmMemberId: 'crm-mid', phone: members[0]!.phone, consent })).toMatchObject({ code: 'ALREADY_BOUND', memberId: members[0]!.memberId });
      // A host left on the old key alone cannot read what was re-made: the ring must move first.
      await expect(before.members.pii('rot-a', members[3]!.memberId)).rejects.toMatchObject({ code: 'TK_INTERNAL' });
    } finally {
      await newOnly.runtime.dispose();
    }
  });
});
