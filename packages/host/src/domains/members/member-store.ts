import type { Queryable } from '../../platform/storage/database.js';
import type { PhoneDigest, SealedPii } from './member-crypto.js';

/** A member row with its binding, as the store reads it. */
export interface MemberRow {
  merchant_id: string;
  id: string;
  status: 'active' | 'deleted';
  channel: 'online' | 'store';
  store_id: string | null;
  registration_hash: string | null;
  phone_key_id: string | null;
  phone_digest: string | null;
  registered_at: Date;
  deleted_at: Date | null;
  crm_member_id: string | null;
  consent_version: string | null;
  consented_at: Date | null;
  bound_at: Date | null;
}

const MEMBER_COLUMNS = `m.merchant_id, m.id, m.status, m.channel, m.store_id, m.registration_hash, m.phone_key_id, m.phone_digest,
  m.registered_at, m.deleted_at, b.crm_member_id, b.consent_version, b.consented_at, b.bound_at`;

/**
 * SQL of the members' tables (members, member_pii, member_bindings), every statement scoped to one
 * merchant. Rows lock in one order: the phone's and the CRM ID's advisory locks, then members, then
 * bindings.
 */
export class MemberStore {
  constructor(private readonly tx: Queryable) {}

  /**
   * Serialises every change about one phone digest or CRM ID of a merchant (a transaction-level advisory
   * lock): two registrations or bindings of the same new phone cannot both create a member.
   */
  async lock(merchantId: string, scope: 'phone' | 'crm', value: string): Promise<void> {
    await this.tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 14))', [`${scope}|${merchantId}|${value}`]);
  }

  async get(merchantId: string, id: string, forUpdate = false): Promise<MemberRow | undefined> {
    const { rows } = await this.tx.query<MemberRow>(
      `SELECT ${MEMBER_COLUMNS} FROM members m LEFT JOIN member_bindings b ON b.merchant_id = m.merchant_id AND b.member_id = m.id
       WHERE m.merchant_id = $1 AND m.id = $2 ${forUpdate ? 'FOR UPDATE OF m' : ''}`,
      [merchantId, id],
    );
    return rows[0];
  }

  /**
   * Active members created (in this host) up to `createdUpTo`, after `afterId` in ID order (a keyset page): what
   * an install's backfill walks. Erased members are left out.
   */
  async activeIdsPage(merchantId: string, createdUpTo: Date, afterId: string | null, limit: number): Promise<string[]> {
    const { rows } = await this.tx.query<{ id: string }>(
      `SELECT id FROM members WHERE merchant_id = $1 AND status = 'active' AND created_at <= $2 AND ($3::text IS NULL OR id > $3)
       ORDER BY id LIMIT $4`,
      [merchantId, createdUpTo, afterId, limit],
    );
    return rows.map((row) => row.id);
  }

  /** How many active members created (in this host) up to `createdUpTo` (a backfill's total when it starts). */
  async countActive(merchantId: string, createdUpTo: Date): Promise<number> {
    const { rows } = await this.tx.query<{ n: string }>(`SELECT count(*) AS n FROM members WHERE merchant_id = $1 AND status = 'active' AND created_at <= $2`, [merchantId, createdUpTo]);
    return Number(rows[0]!.n);
  }

  async getByRegistrationKey(merchantId: string, key: string): Promise<MemberRow | undefined> {
    const { rows } = await this.tx.query<MemberRow>(
      `SELECT ${MEMBER_COLUMNS} FROM members m LEFT JOIN member_bindings b ON b.merchant_id = m.merchant_id AND b.member_id = m.id
       WHERE m.merchant_id = $1 AND m.registration_key = $2`,
      [merchantId, key],
    );
    return rows[0];
  }

  /** The member with this phone, matched under any key of the ring (a rotation may be under way). */
  async getByPhone(merchantId: string, digests: PhoneDigest[]): Promise<MemberRow | undefined> {
    const { rows } = await this.tx.query<MemberRow>(
      `SELECT ${MEMBER_COLUMNS} FROM members m LEFT JOIN member_bindings b ON b.merchant_id = m.merchant_id AND b.member_id = m.id
       WHERE m.merchant_id = $1 AND (m.phone_key_id, m.phone_digest) IN (SELECT * FROM unnest($2::text[], $3::text[]))
       FOR UPDATE OF m`,
      [merchantId, digests.map((d) => d.keyId), digests.map((d) => d.digest)],
    );
    return rows[0];
  }

  async getByCrmMemberId(merchantId: string, crmMemberId: string): Promise<MemberRow | undefined> {
    const { rows } = await this.tx.query<MemberRow>(
      `SELECT ${MEMBER_COLUMNS} FROM member_bindings b JOIN members m ON m.merchant_id = b.merchant_id AND m.id = b.member_id
       WHERE b.merchant_id = $1 AND b.crm_member_id = $2`,
      [merchantId, crmMemberId],
    );
    return rows[0];
  }

  async insert(member: {
    merchantId: string;
    id: string;
    channel: 'online' | 'store';
    storeId: string | null;
    registrationKey: string | null;
    registrationHash: string | null;
    phone: PhoneDigest | null;
    registeredAt: Date;
  }): Promise<void> {
    await this.tx.query(
      `INSERT INTO members (merchant_id, id, channel, store_id, registration_key, registration_hash, phone_key_id, phone_digest, registered_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [member.merchantId, member.id, member.channel, member.storeId, member.registrationKey, member.registrationHash, member.phone?.keyId ?? null, member.phone?.digest ?? null, member.registeredAt],
    );
  }

  async setPhone(merchantId: string, id: string, phone: PhoneDigest | null): Promise<void> {
    await this.tx.query('UPDATE members SET phone_key_id = $3, phone_digest = $4 WHERE merchant_id = $1 AND id = $2', [merchantId, id, phone?.keyId ?? null, phone?.digest ?? null]);
  }

  async getPii(merchantId: string, memberId: string): Promise<SealedPii | undefined> {
    const { rows } = await this.tx.query<{ key_id: string; iv: Buffer; tag: Buffer; ciphertext: Buffer }>(
      'SELECT key_id, iv, tag, ciphertext FROM member_pii WHERE merchant_id = $1 AND member_id = $2',
      [merchantId, memberId],
    );
    const row = rows[0];
    return row && { keyId: row.key_id, iv: row.iv, tag: row.tag, ciphertext: row.ciphertext };
  }

  async putPii(merchantId: string, memberId: string, sealed: SealedPii): Promise<void> {
    await this.tx.query(
      `INSERT INTO member_pii (merchant_id, member_id, key_id, iv, tag, ciphertext) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (merchant_id, member_id) DO UPDATE SET key_id = EXCLUDED.key_id, iv = EXCLUDED.iv, tag = EXCLUDED.tag,
         ciphertext = EXCLUDED.ciphertext, updated_at = now()`,
      [merchantId, memberId, sealed.keyId, sealed.iv, sealed.tag, sealed.ciphertext],
    );
  }

  async deletePii(merchantId: string, memberId: string): Promise<void> {
    await this.tx.query('DELETE FROM member_pii WHERE merchant_id = $1 AND member_id = $2', [merchantId, memberId]);
  }

  async insertBinding(binding: { merchantId: string; memberId: string; crmMemberId: string; consentVersion: string; consentedAt: Date; boundAt: Date }): Promise<void> {
    await this.tx.query(
      `INSERT INTO member_bindings (merchant_id, member_id, crm_member_id, consent_version, consented_at, bound_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [binding.merchantId, binding.memberId, binding.crmMemberId, binding.consentVersion, binding.consentedAt, binding.boundAt],
    );
  }

  async deleteBinding(merchantId: string, memberId: string): Promise<void> {
    await this.tx.query('DELETE FROM member_bindings WHERE merchant_id = $1 AND member_id = $2', [merchantId, memberId]);
  }

  async markDeleted(merchantId: string, memberId: string, at: Date): Promise<void> {
    await this.tx.query(
      `UPDATE members SET status = 'deleted', deleted_at = $3, phone_key_id = NULL, phone_digest = NULL WHERE merchant_id = $1 AND id = $2`,
      [merchantId, memberId, at],
    );
  }

  /**
   * Purges what the platform logged or stored about an erased member: its logged plugin inputs and
   * outputs (kept for replay), plugin log lines that name it, and the plugin KV entries stored with it.
   * Member IDs are random and 24+ characters, so a match on the ID's text finds that member only.
   */
  async purgeTraces(merchantId: string, memberId: string): Promise<{ invocations: number; logs: number; kvEntries: number }> {
    const invocations = await this.tx.query(
      `UPDATE invocations SET input = NULL, output = NULL
       WHERE merchant_id = $1 AND (strpos(input::text, $2) > 0 OR strpos(output::text, $2) > 0)`,
      [merchantId, memberId],
    );
    const logs = await this.tx.query(
      `DELETE FROM plugin_logs WHERE merchant_id = $1 AND (strpos(message, $2) > 0 OR strpos(coalesce(data::text, ''), $2) > 0)`,
      [merchantId, memberId],
    );
    const kv = await this.tx.query(
      `DELETE FROM plugin_kv k USING installs i WHERE k.install_id = i.id AND i.merchant_id = $1 AND k.member_id = $2`,
      [merchantId, memberId],
    );
    return { invocations: invocations.rowCount, logs: logs.rowCount, kvEntries: kv.rowCount };
  }

  /** Up to `limit` personal-data rows not sealed under `keyId` (for a rotation), locked in (merchant, member) order. */
  async piiNotUnder(keyId: string, limit: number): Promise<Array<{ merchantId: string; memberId: string; sealed: SealedPii }>> {
    const { rows } = await this.tx.query<{ merchant_id: string; member_id: string; key_id: string; iv: Buffer; tag: Buffer; ciphertext: Buffer }>(
      `SELECT merchant_id, member_id, key_id, iv, tag, ciphertext FROM member_pii WHERE key_id <> $1 ORDER BY merchant_id, member_id LIMIT $2 FOR UPDATE`,
      [keyId, limit],
    );
    return rows.map((r) => ({ merchantId: r.merchant_id, memberId: r.member_id, sealed: { keyId: r.key_id, iv: r.iv, tag: r.tag, ciphertext: r.ciphertext } }));
  }

  /** Up to `limit` members whose phone digest was made under another key than `keyId`, locked in (merchant, member) order. */
  async phonesNotUnder(keyId: string, limit: number): Promise<Array<{ merchantId: string; memberId: string }>> {
    const { rows } = await this.tx.query<{ merchant_id: string; id: string }>(
      `SELECT merchant_id, id FROM members WHERE phone_key_id <> $1 ORDER BY merchant_id, id LIMIT $2 FOR UPDATE`,
      [keyId, limit],
    );
    return rows.map((r) => ({ merchantId: r.merchant_id, memberId: r.id }));
  }
}
