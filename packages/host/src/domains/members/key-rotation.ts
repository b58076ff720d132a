import { TkError } from '@tongkit/sdk';
import type { Database, Queryable } from '../../platform/storage/database.js';
import type { MemberCrypto } from './member-crypto.js';
import { MemberStore } from './member-store.js';

/** How many personal-data ciphertexts and phone digests one host key made. */
export interface KeyUse {
  keyId: string;
  pii: number;
  digests: number;
}

/** Where a key rotation stands: what a run re-made, what is left under older keys, and the use of every key. */
export interface KeyRotationReport {
  /** The key everything is re-made under: the ring's active key. */
  activeKeyId: string;
  /** Re-made by this run (0 and 0 for a status read, or when nothing was left). */
  rotated: { pii: number; digests: number };
  /** Still made under another key than the active one. */
  remaining: { pii: number; digests: number };
  /** Nothing is left under an older key: the older keys can be removed from the ring. */
  done: boolean;
  /** Rows per key ID, the active key first. */
  keys: KeyUse[];
}

/** Options of a rotation run. */
export interface KeyRotationOptions {
  /** Rows re-made per transaction (default 200): a batch holds its rows' locks only while it runs. */
  batchSize?: number | undefined;
  /** Stop after this many batches (default: until nothing is left), so an HTTP call stays short. */
  maxBatches?: number | undefined;
}

export const DEFAULT_ROTATION_BATCH = 200;

/**
 * Re-encrypts members' personal data and re-makes their phone digests under the active host key, after
 * a new key was made active with the old one still in the ring (docs/members.md, "Rotation").
 *
 * - **Batches**: each batch is its own short transaction over at most `batchSize` rows, so the tables stay
 *   usable while a large rotation runs. Ciphertexts go first, then digests (a digest is re-made from the
 *   phone in the personal data).
 * - **Resumable and idempotent**: what a batch picks is "made under another key than the active one", so a
 *   run stopped anywhere (a crash, `maxBatches`) goes on where it stopped, and a run with nothing left
 *   changes nothing. Every row keeps the ID of the key that made it, so a row of either key reads during
 *   the rotation: ciphertexts open with their own key, phone lookups match the digest under every key of
 *   the ring.
 * - **Locks**: a ciphertext batch locks `member_pii` rows only; a digest batch locks `members` rows and
 *   reads `member_pii` unlocked — bindings and erasure take `members` before `member_pii`, so no batch
 *   waits on them in a cycle. Rows are taken in (merchant, member) order and waited for, never skipped,
 *   so "nothing left" is true when a run reports it.
 */
export class MemberKeyRotation {
  constructor(
    private readonly db: Database,
    private readonly crypto: MemberCrypto,
  ) {}

  /** Runs the rotation (see the class); returns what it did and what is left. */
  async rotate(options: KeyRotationOptions = {}): Promise<KeyRotationReport> {
    const batchSize = options.batchSize ?? DEFAULT_ROTATION_BATCH;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 5_000) throw new TkError('TK_VALIDATION', 'batchSize is 1–5000 rows', { path: '/batchSize' });
    let batches = options.maxBatches ?? Number.POSITIVE_INFINITY;
    const active = this.crypto.activeKeyId;
    const rotated = { pii: 0, digests: 0 };
    while (batches > 0) {
      const done = await this.db.transaction((tx) => this.resealBatch(tx, active, batchSize));
      rotated.pii += done;
      batches--;
      if (done < batchSize) break;
    }
    while (batches > 0) {
      const done = await this.db.transaction((tx) => this.redigestBatch(tx, active, batchSize));
      rotated.digests += done;
      batches--;
      if (done < batchSize) break;
    }
    return { ...(await this.status()), rotated };
  }

  /** Where the rotation stands, changing nothing. */
  async status(): Promise<KeyRotationReport> {
    const active = this.crypto.activeKeyId;
    const { rows } = await this.db.query<{ key_id: string; pii: number; digests: number }>(
      `SELECT key_id, sum(pii)::int AS pii, sum(digests)::int AS digests FROM (
         SELECT key_id, count(*) AS pii, 0 AS digests FROM member_pii GROUP BY key_id
         UNION ALL
         SELECT phone_key_id, 0, count(*) FROM members WHERE phone_key_id IS NOT NULL GROUP BY phone_key_id
       ) uses GROUP BY key_id ORDER BY key_id`,
    );
    const keys: KeyUse[] = rows.map((r) => ({ keyId: r.key_id, pii: r.pii, digests: r.digests }));
    if (!keys.some((k) => k.keyId === active)) keys.push({ keyId: active, pii: 0, digests: 0 });
    keys.sort((a, b) => Number(b.keyId === active) - Number(a.keyId === active));
    const older = keys.filter((k) => k.keyId !== active);
    const remaining = { pii: older.reduce((n, k) => n + k.pii, 0), digests: older.reduce((n, k) => n + k.digests, 0) };
    return { activeKeyId: active, rotated: { pii: 0, digests: 0 }, remaining, done: remaining.pii === 0 && remaining.digests === 0, keys };
  }

  private async resealBatch(tx: Queryable, active: string, limit: number): Promise<number> {
    const store = new MemberStore(tx);
    const rows = await store.piiNotUnder(active, limit);
    for (const row of rows) {
      const opened = this.crypto.open(row.merchantId, row.memberId, row.sealed);
      await store.putPii(row.merchantId, row.memberId, this.crypto.seal(row.merchantId, row.memberId, opened));
    }
    return rows.length;
  }

  private async redigestBatch(tx: Queryable, active: string, limit: number): Promise<number> {
    const store = new MemberStore(tx);
    const rows = await store.phonesNotUnder(active, limit);
    for (const row of rows) {
      // The phone itself is only in the personal data (re-sealed by now; either key opens it).
      const sealed = await store.getPii(row.merchantId, row.memberId);
      const phone = sealed ? this.crypto.open(row.merchantId, row.memberId, sealed).phone : null;
      if (phone === null) {
        // A digest always comes with the phone sealed beside it; dropping the digest would silently
        // stop the member's phone from matching, so the run stops and says which member to look at.
        throw new TkError('TK_INTERNAL', `member ${row.memberId} of merchant ${row.merchantId} has a phone digest but no phone in its personal data`, {
          hint: 'Restore its personal data from a backup, or erase the member, then run the rotation again.',
        });
      }
      await store.setPhone(row.merchantId, row.memberId, this.crypto.digestPhone(row.merchantId, phone));
    }
    return rows.length;
  }
}
