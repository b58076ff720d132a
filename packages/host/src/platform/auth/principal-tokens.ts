import { randomBytes } from 'node:crypto';
import { TkError } from '@tongkit/sdk';
import type { Database } from '../storage/database.js';
import type { MerchantIssuedRole } from './principal.js';
import { hash } from './tokens.js';
import { announceTokenChange } from './token-cache.js';

/** A store, staff or integration token as its merchant lists it (never the token itself). */
export interface PrincipalToken {
  id: string;
  role: MerchantIssuedRole;
  storeId: string | null;
  staffId: string | null;
  /** The name an integration token was given (`pos-main`); null for store and staff tokens. */
  name: string | null;
  createdAt: string;
  revokedAt: string | null;
}

/** What a merchant asks to issue: a token for a store, a staff member, or one of its systems (an integration). */
export type IssueTokenRequest = { role: 'store'; storeId: string } | { role: 'staff'; staffId: string } | { role: 'integration'; name: string };

interface TokenRow {
  id: string;
  role: MerchantIssuedRole;
  store_id: string | null;
  staff_id: string | null;
  name: string | null;
  created_at: Date;
  revoked_at: Date | null;
}

const TOKEN_COLUMNS = 'id, role, store_id, staff_id, name, created_at, revoked_at';
/** The roles of the tokens a merchant issues, as SQL: the only ones it lists and revokes. */
const MERCHANT_ISSUED = "role IN ('store', 'staff', 'integration')";

const toToken = (r: TokenRow): PrincipalToken => ({
  id: r.id,
  role: r.role,
  storeId: r.store_id,
  staffId: r.staff_id,
  name: r.name,
  createdAt: r.created_at.toISOString(),
  revokedAt: r.revoked_at?.toISOString() ?? null,
});

/** A staff member of a merchant. */
export interface StaffMember {
  id: string;
  name: string;
  storeId: string | null;
}

/**
 * The merchant's own principals: its staff members, and the store, staff and integration tokens it
 * issues and revokes. Every query is scoped by the merchant; a store or staff member of another merchant answers
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
    announceTokenChange(this.db);
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

  /**
   * Issues a token for one of the merchant's stores or staff members, or for one of its systems (an
   * `integration`: a POS or ERP that records the merchant's orders and refunds); the plaintext is
   * returned once.
   */
  async issue(merchantId: string, request: IssueTokenRequest): Promise<PrincipalToken & { token: string }> {
    if (request.role === 'store') await this.requireStore(merchantId, request.storeId, '/storeId');
    else if (request.role === 'staff') await this.staffMember(merchantId, request.staffId).catch((error: unknown) => {
      throw new TkError('TK_NOT_FOUND', (error as Error).message, { path: '/staffId' });
    });
    const id = `tok_${randomBytes(12).toString('base64url')}`;
    const token = `tk_${request.role}_${randomBytes(24).toString('base64url')}`;
    const storeId = request.role === 'store' ? request.storeId : null;
    const staffId = request.role === 'staff' ? request.staffId : null;
    const name = request.role === 'integration' ? request.name : null;
    const { rows } = await this.db.query<TokenRow>(
      `INSERT INTO api_tokens (token_hash, role, subject_id, id, merchant_id, store_id, staff_id, name) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${TOKEN_COLUMNS}`,
      [hash(token), request.role, storeId ?? staffId ?? id, id, merchantId, storeId, staffId, name],
    );
    return { ...toToken(rows[0]!), token };
  }

  /** The merchant's store, staff and integration tokens, newest first. */
  async list(merchantId: string): Promise<PrincipalToken[]> {
    const { rows } = await this.db.query<TokenRow>(
      `SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE merchant_id = $1 AND ${MERCHANT_ISSUED} ORDER BY created_at DESC, id LIMIT 500`,
      [merchantId],
    );
    return rows.map(toToken);
  }

  /** Revokes one of the merchant's tokens (idempotent: revoking again keeps the first time). */
  async revoke(merchantId: string, tokenId: string): Promise<PrincipalToken> {
    const { rows } = await this.db.query<TokenRow>(
      `UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE merchant_id = $1 AND id = $2 AND ${MERCHANT_ISSUED} RETURNING ${TOKEN_COLUMNS}`,
      [merchantId, tokenId],
    );
    if (!rows[0]) throw new TkError('TK_NOT_FOUND', `no token ${tokenId}`);
    announceTokenChange(this.db);
    return toToken(rows[0]);
  }

  private async requireStore(merchantId: string, storeId: string, path: string): Promise<void> {
    const { rowCount } = await this.db.query('SELECT 1 FROM stores WHERE merchant_id = $1 AND id = $2', [merchantId, storeId]);
    if (rowCount === 0) throw new TkError('TK_NOT_FOUND', `no store ${storeId}`, { path });
  }
}
