import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TkError } from '@tongkit/sdk';
import { createHostServices } from '../../src/testing.js';
import { generateHostKeyRing, loadHostKeys, parseHostKeyEnv } from '../../src/platform/host-keys.js';
import { MemberCrypto, normalisePhone } from '../../src/domains/members/member-crypto.js';
import { eventsOf, startDomainHost, type DomainHost } from './support.js';

let host: DomainHost;
beforeAll(async () => (host = await startDomainHost()));
afterAll(() => host.close());

const consent = { textVersion: 'crm-consent-v3', consentedAt: '2026-11-20T10:00:00Z' };
let phoneSeq = 0;
const newPhone = () => `138${String(10_000_000 + ++phoneSeq).slice(-8)}`;

const rejection = async (promise: Promise<unknown>): Promise<TkError> => {
  try {
    await promise;
  } catch (error) {
    return error as TkError;
  }
  throw new Error('expected a rejection');
};

describe('registration', () => {
  it('registers a platform member with an opaque ID and keeps its personal data encrypted apart', async () => {
    const phone = newPhone();
    const registered = await host.services.members.register('acme', { channel: 'store', storeId: 'acme-sh', pii: { phone, name: '张三', birthday: '1990-12-05' } });
    expect(registered).toMatchObject({ result: 'applied', code: 'REGISTERED' });
    expect(registered.memberId).toMatch(/^mem_[0-9a-v]{26}$/);
    expect(registered.member).toMatchObject({ status: 'active', hasPhone: true, binding: null });
    expect(JSON.stringify(registered.member)).not.toContain(phone.slice(3));
    const pii = await host.services.members.pii('acme', registered.memberId);
    expect(pii).toEqual({ memberId: registered.memberId, phone: `+86${phone}`, name: '张三', birthday: '1990-12-05' });
    // Nothing in the database holds the phone or the name in clear.
    const { rows } = await host.database.db.query<{ dump: string }>(
      `SELECT (SELECT string_agg(m::text, ' ') FROM members m) || (SELECT string_agg(encode(ciphertext, 'escape'), ' ') FROM member_pii) AS dump`,
    );
    expect(rows[0]!.dump).not.toContain(phone);
    expect(rows[0]!.dump).not.toContain('张三');
    const [event] = (await eventsOf(host, 'acme', 'member.registered')).filter((e) => e.data['memberId'] === registered.memberId);
    expect(event!.data).toMatchObject({ channel: 'store', storeId: 'acme-sh' });
  });

  it('is idempotent by its key: the same request is a duplicate, another TK_CONFLICT', async () => {
    const first = await host.services.members.register('acme', { idempotencyKey: 'reg-1', channel: 'online' });
    const again = await host.services.members.register('acme', { idempotencyKey: 'reg-1', channel: 'online' });
    expect(again).toMatchObject({ result: 'duplicate', code: 'ALREADY_REGISTERED', memberId: first.memberId });
    expect(await rejection(host.services.members.register('acme', { idempotencyKey: 'reg-1', channel: 'store', storeId: 'acme-sh' }))).toMatchObject({ code: 'TK_CONFLICT', path: '/idempotencyKey' });
  });

  it('keeps one member per phone and merchant', async () => {
    const phone = newPhone();
    const first = await host.services.members.register('acme', { channel: 'online', pii: { phone } });
    const second = await host.services.members.register('acme', { channel: 'online', pii: { phone: `+86 ${phone.slice(0, 3)}-${phone.slice(3, 7)}-${phone.slice(7)}` } });
    expect(second).toMatchObject({ result: 'rejected', code: 'PHONE_ALREADY_REGISTERED', memberId: first.memberId });
  });

  it('refuses a malformed phone with its path', async () => {
    expect(await rejection(host.services.members.register('acme', { channel: 'online', pii: { phone: '12345' } }))).toMatchObject({ code: 'TK_VALIDATION', path: '/pii/phone' });
  });
});

describe('binding a brand CRM member', () => {
  it('refuses without consent, and changes nothing', async () => {
    const phone = newPhone();
    const result = await host.services.members.bind('acme', { crmMemberId: 'crm-no-consent', phone });
    expect(result).toEqual({ result: 'rejected', code: 'CONSENT_MISSING', memberId: null, registered: false });
    expect(await rejection(host.services.members.resolveCrmMember('acme', 'crm-no-consent'))).toMatchObject({ code: 'TK_NOT_FOUND' });
  });

  it('binds the member registered with the phone (platform-first), keeping its history', async () => {
    const phone = newPhone();
    const { memberId } = await host.services.members.register('acme', { channel: 'online', pii: { phone } });
    const bound = await host.services.members.bind('acme', { crmMemberId: 'crm-1001', phone: `+86${phone}`, consent });
    expect(bound).toEqual({ result: 'applied', code: 'BOUND', memberId, registered: false });
    expect((await host.services.members.get('acme', memberId)).binding).toMatchObject({ crmMemberId: 'crm-1001', consentVersion: 'crm-consent-v3', consentedAt: '2026-11-20T10:00:00.000Z' });
    expect((await host.services.members.resolveCrmMember('acme', 'crm-1001')).id).toBe(memberId);
    const [event] = (await eventsOf(host, 'acme', 'member.bound')).filter((e) => e.data['memberId'] === memberId);
    expect(event!.data).toMatchObject({ crmMemberId: 'crm-1001', consentVersion: 'crm-consent-v3' });
  });

  it('answers with stable codes: already bound, phone bound to another CRM member, CRM member bound to another', async () => {
    const phone = newPhone();
    const bound = await host.services.members.bind('acme', { crmMemberId: 'crm-2001', phone, consent });
    expect(bound).toMatchObject({ result: 'applied', code: 'BOUND', registered: true });
    expect(await host.services.members.bind('acme', { crmMemberId: 'crm-2001', phone, consent })).toMatchObject({ result: 'duplicate', code: 'ALREADY_BOUND', memberId: bound.memberId });
    expect(await host.services.members.bind('acme', { crmMemberId: 'crm-2002', phone, consent })).toMatchObject({ result: 'rejected', code: 'PHONE_BOUND_TO_OTHER', memberId: bound.memberId });
    expect(await host.services.members.bind('acme', { crmMemberId: 'crm-2001', phone: newPhone(), consent })).toMatchObject({ result: 'rejected', code: 'CRM_MEMBER_BOUND_TO_OTHER' });
    expect((await eventsOf(host, 'acme', 'member.bound')).filter((e) => e.data['crmMemberId'] === 'crm-2001')).toHaveLength(1);
  });

  it('gives the same phone unrelated digests at two merchants', async () => {
    const phone = newPhone();
    const a = await host.services.members.bind('acme', { crmMemberId: 'crm-x', phone, consent });
    const b = await host.services.members.bind('globex', { crmMemberId: 'crm-x', phone, consent });
    const { rows } = await host.database.db.query<{ merchant_id: string; phone_digest: string }>(
      'SELECT merchant_id, phone_digest FROM members WHERE (merchant_id, id) IN ((\'acme\', $1), (\'globex\', $2))',
      [a.memberId, b.memberId],
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]!.phone_digest).not.toBe(rows[1]!.phone_digest);
    expect(a.memberId).not.toBe(b.memberId);
  });

  it('binds concurrently without two members for one new phone', async () => {
    const phone = newPhone();
    const results = await Promise.all([1, 2, 3, 4].map(() => host.services.members.bind('acme', { crmMemberId: 'crm-race', phone, consent })));
    expect(results.filter((r) => r.code === 'BOUND')).toHaveLength(1);
    expect(results.filter((r) => r.code === 'ALREADY_BOUND')).toHaveLength(3);
    expect(new Set(results.map((r) => r.memberId)).size).toBe(1);
  });
});

describe('unbind and delete', () => {
  it('unbind removes the binding only: the member and its personal data stay', async () => {
    const phone = newPhone();
    const { memberId } = await host.services.members.bind('acme', { crmMemberId: 'crm-3001', phone, consent });
    expect(await host.services.members.unbind('acme', { crmMemberId: 'crm-3001' })).toEqual({ result: 'applied', code: 'UNBOUND', memberId });
    expect(await host.services.members.unbind('acme', { memberId: memberId! })).toEqual({ result: 'duplicate', code: 'NOT_BOUND', memberId });
    expect((await host.services.members.get('acme', memberId!)).binding).toBeNull();
    expect((await host.services.members.pii('acme', memberId!)).phone).toBe(`+86${phone}`);
    expect((await eventsOf(host, 'acme', 'member.unbound')).filter((e) => e.data['memberId'] === memberId)).toHaveLength(1);
  });

  it('delete erases binding and personal data, keeps orders on the opaque ID, purges traces, emits member.redact', async () => {
    const phone = newPhone();
    const { memberId } = await host.services.members.bind('acme', { crmMemberId: 'crm-4001', phone, consent });
    await host.services.orders.create('acme', {
      id: 'del-1', kind: 'goods', channel: 'online', member: { crmMemberId: 'crm-4001' },
      lines: [{ sku: 's', title: 't', category: 'c', quantity: 1, unitPriceFen: 100 }], payments: [{ method: 'cash', amountFen: 100 }], paidAt: '2026-11-01T00:00:00Z',
    });
    await host.database.db.query(`INSERT INTO invocations (id, merchant_id, point, ok, input) VALUES ('inv-del', 'acme', 'member.tier.compute', true, $1)`, [{ member: { id: memberId } }]);
    const deleted = await host.services.members.delete('acme', memberId!);
    expect(deleted).toMatchObject({ result: 'applied', code: 'DELETED', purged: { invocations: 1 } });
    expect(await host.services.members.get('acme', memberId!)).toMatchObject({ status: 'deleted', binding: null, hasPhone: false });
    expect(await host.services.members.pii('acme', memberId!)).toEqual({ memberId, phone: null, name: null, birthday: null });
    expect((await host.services.orders.get('acme', 'del-1')).memberId).toBe(memberId);
    const { rows } = await host.database.db.query(`SELECT input FROM invocations WHERE id = 'inv-del'`);
    expect(rows[0]).toEqual({ input: null });
    expect((await eventsOf(host, 'acme', 'member.redact')).filter((e) => e.data['memberId'] === memberId)).toHaveLength(1);
    expect(await host.services.members.delete('acme', memberId!)).toMatchObject({ result: 'duplicate', code: 'ALREADY_DELETED' });
    // The phone is free again: erasure left no digest behind.
    expect((await host.services.members.register('acme', { channel: 'online', pii: { phone } })).result).toBe('applied');
  });

  it('refuses deletion while a guard objects (unrefunded prepaid money), saying what to do', async () => {
    const { memberId } = await host.services.members.register('acme', { channel: 'online' });
    host.services.members.addDeletionGuard(async (_tx, _merchant, id) =>
      id === memberId ? { code: 'PREPAID_BALANCE_OUTSTANDING', message: 'refund the member’s stored value first' } : undefined,
    );
    expect(await host.services.members.delete('acme', memberId)).toMatchObject({ result: 'rejected', code: 'PREPAID_BALANCE_OUTSTANDING', message: 'refund the member’s stored value first' });
    expect((await host.services.members.get('acme', memberId)).status).toBe('active');
  });
});

describe('tenant isolation', () => {
  it('answers another merchant’s member exactly like one that does not exist', async () => {
    const { memberId } = await host.services.members.register('acme', { channel: 'online', pii: { name: '李四' } });
    for (const call of [
      () => host.services.members.get('globex', memberId),
      () => host.services.members.pii('globex', memberId),
      () => host.services.members.delete('globex', memberId),
      () => host.services.members.unbind('globex', { memberId }),
      () => host.services.orders.byMember('globex', memberId),
      () => host.services.members.get('acme', 'mem_00000000000000000000000000'),
    ]) {
      expect(await rejection(call())).toMatchObject({ code: 'TK_NOT_FOUND' });
    }
    const order = { id: 'iso-1', kind: 'goods' as const, channel: 'online' as const, member: { id: memberId }, lines: [], payments: [], paidAt: '2026-11-01T00:00:00Z' };
    expect(await rejection(host.services.orders.create('globex', order))).toMatchObject({ code: 'TK_NOT_FOUND', path: '/member/id' });
  });
});

describe('keys', () => {
  it('normalises phone numbers to E.164', () => {
    for (const phone of ['13800138000', '+86 138-0013-8000', '008613800138000', '(138) 0013 8000']) expect(normalisePhone(phone)).toBe('+8613800138000');
    expect(normalisePhone('+49 30 1234567')).toBe('+49301234567');
  });

  it('creates the key file beside the PostgreSQL data folder, mode 0600, and reads it back', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tongkit-keys-'));
    try {
      const file = join(dataDir, 'host-key.json');
      const ring = await loadHostKeys(file, {});
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ activeKeyId: 'k1' });
      const again = await loadHostKeys(file, {});
      expect(again.keys.get('k1')!.equals(ring.keys.get('k1')!)).toBe(true);
      // Configuration wins over the file.
      const env = parseHostKeyEnv(`k9:${Buffer.alloc(32, 7).toString('base64')}`);
      expect((await loadHostKeys(file, { TONGKIT_HOST_KEY: `k9:${Buffer.alloc(32, 7).toString('base64')}` })).activeKeyId).toBe(env.activeKeyId);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('rotates: data made under the old key still opens, and rotateKeys re-makes it under the new one', async () => {
    const old = host.keys;
    const phone = newPhone();
    const { memberId } = await host.services.members.register('acme', { channel: 'online', pii: { phone, name: '王五' } });
    const rotated = { activeKeyId: 'k2', keys: new Map([...old.keys, ['k2', generateHostKeyRing('k2').keys.get('k2')!]]) };
    const services = createHostServices(host.database.db, { runtime: { isolation: 'in-process' }, hostKeys: rotated });
    try {
      expect((await services.members.pii('acme', memberId)).name).toBe('王五');
      // A lookup during the rotation still finds the phone under the old key.
      expect(await services.members.register('acme', { channel: 'online', pii: { phone } })).toMatchObject({ code: 'PHONE_ALREADY_REGISTERED', memberId });
      const { rotated: counts } = await services.members.rotateKeys({ batchSize: 2 });
      expect(counts.pii).toBeGreaterThan(0);
      expect(counts.digests).toBeGreaterThan(0);
      const { rows } = await host.database.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM member_pii WHERE key_id <> 'k2'`);
      expect(rows[0]!.n).toBe(0);
      // The old key can go now.
      const newOnly = createHostServices(host.database.db, { runtime: { isolation: 'in-process' }, hostKeys: { activeKeyId: 'k2', keys: new Map([['k2', rotated.keys.get('k2')!]]) } });
      try {
        expect((await newOnly.members.pii('acme', memberId)).phone).toBe(`+86${phone}`);
        expect(await newOnly.members.bind('acme', { crmMemberId: 'crm-rot', phone, consent })).toMatchObject({ code: 'BOUND', memberId });
      } finally {
        await newOnly.runtime.dispose();
      }
    } finally {
      await services.runtime.dispose();
    }
  });

  it('derives per-merchant keys: one merchant’s ciphertext does not open as another’s', () => {
    const crypto = new MemberCrypto(generateHostKeyRing());
    const sealed = crypto.seal('acme', 'mem_1', { phone: '+8613800138000', name: null, birthday: null });
    expect(() => crypto.open('globex', 'mem_1', sealed)).toThrow(/does not decrypt/);
    expect(() => crypto.open('acme', 'mem_2', sealed)).toThrow(/does not decrypt/);
  });
});
