import { TkError, type Guide } from '@tongkit/sdk';
import type { Database, Queryable } from '../../platform/storage/database.js';
import { emitDomainEvent, type PublishInTransaction } from '../domain-events.js';
import { relationSettingsOf, type GuideSettings } from './settings.js';

export type GuideRole = Guide['role'];

export interface GuideRow {
  id: string;
  store_id: string | null;
  role: GuideRole;
  status: 'active' | 'left';
  member_id: string | null;
  left_at: Date | null;
}

/** A guide as the API shows it. */
export const toGuide = (row: GuideRow): Guide => ({ id: row.id, storeId: row.store_id, role: row.role, status: row.status, leftAt: row.left_at?.toISOString() ?? null });

export const noGuide = (id: string, path?: string) => new TkError('TK_NOT_FOUND', `no guide ${id.slice(0, 64)}`, path ? { path } : {});

const COLUMNS = 'id, store_id, role, status, member_id, left_at';

/** A guide row of the merchant, optionally locked (`share`: a bind; `update`: a leave). */
export async function guideRow(tx: Queryable, merchantId: string, guideId: string, lock?: 'share' | 'update'): Promise<GuideRow | undefined> {
  const suffix = lock === 'share' ? ' FOR SHARE' : lock === 'update' ? ' FOR UPDATE' : '';
  const { rows } = await tx.query<GuideRow>(`SELECT ${COLUMNS} FROM guides WHERE merchant_id = $1 AND id = $2${suffix}`, [merchantId, guideId]);
  return rows[0];
}

/** The outcome of a guide leaving: who took their members, and how many. */
export interface LeaveResult {
  result: 'applied' | 'duplicate';
  guide: Guide;
  handedOverTo: string | null;
  rule: 'named_guide' | 'store_manager' | 'released';
  members: number;
}

/**
 * Store guides: staff members (migration 006) with a store and a role. A guide who leaves hands their
 * members over by one documented rule: to the guide a manager names, else to the active store manager
 * of their store (lowest id), else the relations are released; every move is audited and announced.
 */
export class Guides {
  constructor(
    private readonly db: Database,
    private readonly publishIn: PublishInTransaction,
    private readonly memberExists: ((tx: Queryable, merchantId: string, memberId: string) => Promise<boolean>) | undefined,
  ) {}

  /** Creates or updates a guide record for a staff member of the merchant (TK_NOT_FOUND for an unknown staff member, store or member). */
  async upsert(merchantId: string, request: { id: string; role: GuideRole; storeId?: string | null | undefined; memberId?: string | null | undefined }): Promise<Guide> {
    return this.db.transaction(async (tx) => {
      const staff = await tx.query<{ store_id: string | null }>('SELECT store_id FROM staff WHERE merchant_id = $1 AND id = $2', [merchantId, request.id]);
      if (!staff.rows[0]) throw new TkError('TK_NOT_FOUND', `no staff member ${request.id}: create it with POST /v1/staff first`, { path: '/id' });
      const storeId = request.storeId === undefined ? staff.rows[0].store_id : request.storeId;
      if (storeId !== null) {
        const store = await tx.query('SELECT 1 FROM stores WHERE merchant_id = $1 AND id = $2', [merchantId, storeId]);
        if (store.rowCount === 0) throw new TkError('TK_NOT_FOUND', `no store ${storeId}`, { path: '/storeId' });
      }
      const memberId = request.memberId ?? null;
      if (memberId !== null && this.memberExists && !(await this.memberExists(tx, merchantId, memberId))) throw new TkError('TK_NOT_FOUND', `no member ${memberId}`, { path: '/memberId' });
      const other = memberId === null ? undefined : (await tx.query<{ id: string }>('SELECT id FROM guides WHERE merchant_id = $1 AND member_id = $2 AND id <> $3', [merchantId, memberId, request.id])).rows[0];
      if (other) throw new TkError('TK_CONFLICT', `member ${memberId} is already guide ${other.id}'s own account`, { path: '/memberId' });
      const { rows } = await tx.query<GuideRow>(
        `INSERT INTO guides (merchant_id, id, store_id, role, member_id) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (merchant_id, id) DO UPDATE SET store_id = $3, role = $4, member_id = $5 RETURNING ${COLUMNS}`,
        [merchantId, request.id, storeId, request.role, memberId],
      );
      return toGuide(rows[0]!);
    });
  }

  /** A guide of the merchant; another merchant's answers like none. */
  async get(merchantId: string, guideId: string, tx: Queryable = this.db): Promise<Guide> {
    const row = await guideRow(tx, merchantId, guideId);
    if (!row) throw noGuide(guideId);
    return toGuide(row);
  }

  /** The merchant's guides, by id. */
  async list(merchantId: string, filter: { storeId?: string | undefined; status?: 'active' | 'left' | undefined } = {}): Promise<Guide[]> {
    if (filter.storeId !== undefined) {
      const store = await this.db.query('SELECT 1 FROM stores WHERE merchant_id = $1 AND id = $2', [merchantId, filter.storeId]);
      if (store.rowCount === 0) throw new TkError('TK_NOT_FOUND', `no store ${filter.storeId.slice(0, 64)}`, { path: '/querystring/storeId' });
    }
    const { rows } = await this.db.query<GuideRow>(
      `SELECT ${COLUMNS} FROM guides WHERE merchant_id = $1 AND ($2::text IS NULL OR store_id = $2) AND ($3::text IS NULL OR status = $3) ORDER BY id LIMIT 1000`,
      [merchantId, filter.storeId ?? null, filter.status ?? null],
    );
    return rows.map(toGuide);
  }

  /**
   * A guide leaves: their members go to `handoverTo` (an active guide of the merchant), else to the
   * active store manager of their store, else are released. Leaving twice is a duplicate.
   */
  async leave(merchantId: string, guideId: string, request: { handoverTo?: string | undefined; actor: string; at?: Date | undefined }): Promise<LeaveResult> {
    const at = request.at ?? new Date();
    return this.db.transaction(async (tx) => {
      const guide = await guideRow(tx, merchantId, guideId, 'update');
      if (!guide) throw noGuide(guideId);
      if (guide.status === 'left') return { result: 'duplicate', guide: toGuide(guide), handedOverTo: null, rule: 'released', members: 0 };
      let target: GuideRow | undefined;
      let rule: LeaveResult['rule'] = 'released';
      if (request.handoverTo !== undefined) {
        if (request.handoverTo === guideId) throw new TkError('TK_VALIDATION', 'a leaving guide cannot take their own members', { path: '/handoverTo' });
        target = await guideRow(tx, merchantId, request.handoverTo, 'share');
        if (!target || target.status !== 'active') throw noGuide(request.handoverTo, '/handoverTo');
        rule = 'named_guide';
      } else if (guide.store_id !== null) {
        const { rows } = await tx.query<GuideRow>(
          `SELECT ${COLUMNS} FROM guides WHERE merchant_id = $1 AND store_id = $2 AND role = 'store_manager' AND status = 'active' AND id <> $3 ORDER BY id LIMIT 1 FOR SHARE`,
          [merchantId, guide.store_id, guideId],
        );
        target = rows[0];
        if (target) rule = 'store_manager';
      }
      const { rows: left } = await tx.query<GuideRow>(`UPDATE guides SET status = 'left', left_at = $3 WHERE merchant_id = $1 AND id = $2 RETURNING ${COLUMNS}`, [merchantId, guideId, at]);
      await tx.query(`INSERT INTO guide_audit (merchant_id, action, from_guide_id, to_guide_id, actor, reason, at) VALUES ($1, 'guide_left', $2, $3, $4, $5, $6)`, [merchantId, guideId, target?.id ?? null, request.actor, rule, at]);
      const settings = await relationSettingsOf(tx, merchantId);
      const members = await this.handOver(tx, merchantId, guideId, target?.id ?? null, request.actor, at, settings);
      return { result: 'applied', guide: toGuide(left[0]!), handedOverTo: target?.id ?? null, rule, members };
    });
  }

  private async handOver(tx: Queryable, merchantId: string, from: string, to: string | null, actor: string, at: Date, settings: GuideSettings): Promise<number> {
    const protectedUntil = to === null ? null : new Date(at.getTime() + settings.protectionDays * 86_400_000);
    const { rows } = await tx.query<{ member_id: string }>(
      `SELECT member_id FROM guide_relations WHERE merchant_id = $1 AND guide_id = $2 ORDER BY member_id FOR UPDATE`,
      [merchantId, from],
    );
    for (const { member_id: memberId } of rows) {
      await tx.query(
        `UPDATE guide_relations SET guide_id = $3, source = $4, bound_at = $5, protected_until = $6 WHERE merchant_id = $1 AND member_id = $2`,
        [merchantId, memberId, to, to === null ? 'released' : 'handover', at, protectedUntil],
      );
      await tx.query(`INSERT INTO guide_audit (merchant_id, action, member_id, from_guide_id, to_guide_id, source, actor, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
        merchantId, to === null ? 'release' : 'handover', memberId, from, to, to === null ? 'released' : 'handover', actor, at,
      ]);
      await emitDomainEvent(this.publishIn, tx, merchantId, {
        id: `guide.relation.changed:${memberId}:${at.getTime()}:${to ?? 'released'}`,
        type: 'guide.relation.changed',
        data: { memberId, fromGuideId: from, toGuideId: to, source: to === null ? 'released' : 'handover', override: false, boundAt: at.toISOString(), protectedUntil: protectedUntil?.toISOString() ?? null },
        occurredAt: at,
      });
    }
    return rows.length;
  }
}
