import { randomBytes } from 'node:crypto';
import { TkError } from '@tongkit/sdk';
import type { Database, Queryable } from '../../platform/storage/database.js';
import { guideRow, noGuide } from './guides.js';

/** A guide's share link. */
export interface Share {
  id: string;
  guideId: string;
  channel: string;
  target: string;
  createdAt: string;
  clicks: number;
}

/** A click on a guide share inside an attribution window (what `guide.attribution` sees). */
export interface ShareClick {
  guideId: string;
  shareId: string;
  channel: string;
  clickedAt: string;
}

interface ShareRow {
  id: string;
  guide_id: string;
  channel: string;
  target: string;
  created_at: Date;
  clicks: number;
}
const toShare = (r: ShareRow): Share => ({ id: r.id, guideId: r.guide_id, channel: r.channel, target: r.target, createdAt: r.created_at.toISOString(), clicks: Number(r.clicks) });

/**
 * Shares and clicks: a guide (with their own staff token) records a share link; a member's click on it
 * is recorded once per click id and becomes a signal the attribution point sees in its window.
 */
export class Shares {
  constructor(
    private readonly db: Database,
    private readonly memberExists: ((tx: Queryable, merchantId: string, memberId: string) => Promise<boolean>) | undefined,
  ) {}

  /** Records a share of an active guide; idempotent by share id (the same id for another guide is TK_CONFLICT). */
  async create(merchantId: string, guideId: string, request: { shareId?: string | undefined; channel: string; target: string; at?: string | undefined }): Promise<{ result: 'applied' | 'duplicate'; share: Share }> {
    const guide = await guideRow(this.db, merchantId, guideId);
    if (!guide) throw noGuide(guideId);
    if (guide.status !== 'active') throw new TkError('TK_CONFLICT', `guide ${guideId} has left and shares nothing more`);
    const id = request.shareId ?? `shr_${randomBytes(12).toString('base64url')}`;
    const inserted = await this.db.query<ShareRow>(
      `INSERT INTO guide_shares (merchant_id, id, guide_id, channel, target, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING
       RETURNING id, guide_id, channel, target, created_at, 0 AS clicks`,
      [merchantId, id, guideId, request.channel, request.target, request.at === undefined ? new Date() : new Date(request.at)],
    );
    if (inserted.rows[0]) return { result: 'applied', share: toShare(inserted.rows[0]) };
    const existing = await this.get(merchantId, id);
    if (existing.guideId !== guideId || existing.target !== request.target || existing.channel !== request.channel) throw new TkError('TK_CONFLICT', `share ${id} was recorded with another guide, channel or target`, { path: '/shareId' });
    return { result: 'duplicate', share: existing };
  }

  async get(merchantId: string, shareId: string): Promise<Share> {
    const { rows } = await this.db.query<ShareRow>(
      `SELECT s.id, s.guide_id, s.channel, s.target, s.created_at, (SELECT count(*) FROM guide_share_clicks c WHERE c.merchant_id = s.merchant_id AND c.share_id = s.id) AS clicks
       FROM guide_shares s WHERE s.merchant_id = $1 AND s.id = $2`,
      [merchantId, shareId],
    );
    if (!rows[0]) throw new TkError('TK_NOT_FOUND', `no share ${shareId.slice(0, 64)}`);
    return toShare(rows[0]);
  }

  /** A guide's shares, newest first. */
  async ofGuide(merchantId: string, guideId: string): Promise<Share[]> {
    if (!(await guideRow(this.db, merchantId, guideId))) throw noGuide(guideId);
    const { rows } = await this.db.query<ShareRow>(
      `SELECT s.id, s.guide_id, s.channel, s.target, s.created_at, (SELECT count(*) FROM guide_share_clicks c WHERE c.merchant_id = s.merchant_id AND c.share_id = s.id) AS clicks
       FROM guide_shares s WHERE s.merchant_id = $1 AND s.guide_id = $2 ORDER BY s.created_at DESC, s.id LIMIT 500`,
      [merchantId, guideId],
    );
    return rows.map(toShare);
  }

  /** Records a member's click on a share, once per click id. */
  async click(merchantId: string, shareId: string, request: { clickId: string; memberId: string; clickedAt: string }): Promise<{ result: 'applied' | 'duplicate' }> {
    await this.get(merchantId, shareId);
    return this.db.transaction(async (tx) => {
      if (this.memberExists && !(await this.memberExists(tx, merchantId, request.memberId))) throw new TkError('TK_NOT_FOUND', `no member ${request.memberId}`, { path: '/memberId' });
      const inserted = await tx.query(`INSERT INTO guide_share_clicks (merchant_id, share_id, click_id, member_id, clicked_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, [
        merchantId, shareId, request.clickId, request.memberId, new Date(request.clickedAt),
      ]);
      return { result: inserted.rowCount === 1 ? 'applied' : 'duplicate' };
    });
  }

  /** A member's clicks on guide shares in [from, to], newest first (at most 100). */
  async clicksOf(merchantId: string, memberId: string, from: Date, to: Date, tx: Queryable = this.db): Promise<ShareClick[]> {
    const { rows } = await tx.query<{ guide_id: string; share_id: string; channel: string; clicked_at: Date }>(
      `SELECT s.guide_id, c.share_id, s.channel, c.clicked_at FROM guide_share_clicks c JOIN guide_shares s ON s.merchant_id = c.merchant_id AND s.id = c.share_id
       WHERE c.merchant_id = $1 AND c.member_id = $2 AND c.clicked_at BETWEEN $3 AND $4 ORDER BY c.clicked_at DESC LIMIT 100`,
      [merchantId, memberId, from, to],
    );
    return rows.map((r) => ({ guideId: r.guide_id, shareId: r.share_id, channel: r.channel, clickedAt: r.clicked_at.toISOString() }));
  }
}
