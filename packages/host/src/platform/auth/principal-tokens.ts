import { randomBytes } from 'node:crypto';
import { TkError } from '@tongkit/sdk';
import type { Database } from '../storage/database.js';
import { hash } from './tokens.js';

/** A store or staff token as its merchant lists it (never the token itself). */
export interface PrincipalToken {
  id: string;
  role: 'store' | 'staff';
  storeId: string | null;
  staffId: string | null;
  createdAt: string;
  revokedAt: string | null;
}

/** A staff member of a merchant. */
export interface StaffMember {
  id: string;
  name: string;
  storeId: string | null;
}

/**
 * The merchant's own principals: its staff members, and the store and staff tokens it issues and
 * revokes. Every query is scoped by the merchant; a store or staff member of another merchant answers
 * like one that does not exist.
 */
export class PrincipalTokens {
  constructor(private readonly db: Database) {}

  /** Creates or updates a staff member (idempotent by id). */
  async upsertStaff(merchantId: string, staff: { id: string; name: string; storeId?: string | null | undefined }): Promise<StaffMember> {
    const storeId = staff.storeId ?? null;
    if (storeId !== null) await this.requireStore(merchantId, storeId, '/storeId');
    await this.db.query(
      `INSERT INTO staff (merchant_id, id, name, store_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (merchant_id, id) DO UPDATE SET name = EXCLUDED.name, store_id = EXCLUDED.store_id`,
      [merchantId, staff.id, staff.name, storeId],
    );
    return { id: staff.id, name: staff.name, storeId };
  }

  /** A staff member of the merchant; TK_NOT_FOUND otherwise. */
  async staffMember(merchantId: string, staffId: string): Promise<StaffMember> {
    const { rows } = await this.db.query<{ id: string; name: string; store_id: string | null }>('SELECT id, name, store_id FROM staff WHERE merchant_id = $1 AND id = $2', [merchantId, staffId]);
    if (!rows[0]) throw new TkError('TK_NOT_FOUND', `no staff member ${staffId}`);
    return { id: rows[0].id, name: rows[0].name, storeId: rows[0].store_id };
  }

  /** A store of the merchant; TK_NOT_FOUND otherwise (also for another merchant's store). */
  async store(merchantId: string, storeId: string): Promise<{ id: string; name: string; channel: string }> {
    const { rows } = await this.db.query<{ id: string; name: string; channel: string }>('SELECT id, name, channel FROM stores WHERE merchant_id = $1 AND id = $2', [merchantId, storeId]);
    if (!rows[0]) throw new TkError('TK_NOT_FOUND', `no store ${storeId}`);
    return rows[0];
  }

  /** Issues a token for one of the merchant's stores or staff members; the plaintext is returned once. */
  async issue(merchantId: string, request: { role: 'store'; storeId: string } | { role: 'staff'; staffId: string }): Promise<PrincipalToken & { token: string }> {
    if (request.role === 'store') await this.requireStore(merchantId, request.storeId, '/storeId');
    else await this.staffMember(merchantId, request.staffId).catch((error: unknown) => {
      throw new TkError('TK_NOT_FOUND', (error as Error).message, { path: '/staffId' });
    });
    const id = `tok_${randomBytes(12).toString('base64url')}`;
    const token = `tk_${request.role}_${randomBytes(24).toString('base64url')}`;
    const storeId = request.role === 'store' ? request.storeId : null;
    const staffId = request.role === 'staff' ? request.staffId : null;
    const { rows } = await this.db.query<{ created_at: Date }>(
      `INSERT INTO api_tokens (token_hash, role, subject_id, id, merchant_id, store_id, staff_id) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING created_at`,
      [hash(token), request.role, storeId ?? staffId, id, merchantId, storeId, staffId],
    );
    return { id, role: request.role, storeId, staffId, createdAt: rows[0]!.created_at.toISOString(), revokedAt: null, token };
  }

  /** The merchant's store and staff tokens, newest first. */
  async list(merchantId: string): Promise<PrincipalToken[]> {
    const { rows } = await this.db.query<{ id: string; role: 'store' | 'staff'; store_id: string | null; staff_id: string | null; created_at: Date; revoked_at: Date | null }>(
      `SELECT id, role, store_id, staff_id, created_at, revoked_at FROM api_tokens WHERE merchant_id = $1 AND role IN ('store', 'staff') ORDER BY created_at DESC, id LIMIT 500`,
      [merchantId],
    );
    return rows.map((r) => ({ id: r.id, role: r.role, storeId: r.store_id, staffId: r.staff_id, createdAt: r.created_at.toISOString(), revokedAt: r.revoked_at?.toISOString() ?? null }));
  }

  /** Revokes one of the merchant's tokens (idempotent: revoking again keeps the first time). */
  async revoke(merchantId: string, tokenId: string): Promise<PrincipalToken> {
    await this.db.query(`UPDATE api_tokens SET revoked_at = now() WHERE merchant_id = $1 AND id = $2 AND role IN ('store', 'staff') AND revoked_at IS NULL`, [merchantId, tokenId]);
    const { rows } = await this.db.query<{ id: string; role: 'store' | 'staff'; store_id: string | null; staff_id: string | null; created_at: Date; revoked_at: Date | null }>(
      `SELECT id, role, store_id, staff_id, created_at, revoked_at FROM api_tokens WHERE merchant_id = $1 AND id = $2 AND role IN ('store', 'staff')`,
      [merchantId, tokenId],
    );
    const r = rows[0];
    if (!r) throw new TkError('TK_NOT_FOUND', `no token ${tokenId}`);
    return { id: r.id, role: r.role, storeId: r.store_id, staffId: r.staff_id, createdAt: r.created_at.toISOString(), revokedAt: r.revoked_at?.toISOString() ?? null };
  }

  private async requireStore(merchantId: string, storeId: string, path: string): Promise<void> {
    const { rowCount } = await this.db.query('SELECT 1 FROM stores WHERE merchant_id = $1 AND id = $2', [merchantId, storeId]);
    if (rowCount === 0) throw new TkError('TK_NOT_FOUND', `no store ${storeId}`, { path });
  }
}
