import { TkError, type GuideRelation, type RelationSource } from '@tongkit/sdk';
import type { Database, Queryable } from '../../platform/storage/database.js';
import { emitDomainEvent, type PublishInTransaction } from '../domain-events.js';
import { guideRow, noGuide } from './guides.js';
import { relationSettingsOf } from './settings.js';

/** How a relation was asked for: the sources a bind may name (a hand-over is the leave rule's). */
export type BindSource = Exclude<RelationSource, 'handover'>;

/** A bind request: who takes which member, how and when; `override` is a manager's, inside the window. */
export interface BindRequest {
  memberId: string;
  guideId: string;
  source: BindSource;
  at?: string | undefined;
  override?: { managerId: string; reason: string } | undefined;
}

/** The stable codes of a bind. */
export type BindCode = 'BOUND' | 'REBOUND' | 'OVERRIDDEN' | 'ALREADY_BOUND' | 'PROTECTED' | 'GUIDE_LEFT';

export interface BindResult {
  result: 'applied' | 'duplicate' | 'rejected';
  code: BindCode;
  message?: string;
  relation: GuideRelation | null;
}

interface RelationRow {
  member_id: string;
  guide_id: string | null;
  source: string;
  bound_at: Date;
  protected_until: Date | null;
}

const toRelation = (row: RelationRow): GuideRelation | null =>
  row.guide_id === null ? null : { memberId: row.member_id, guideId: row.guide_id, source: row.source as RelationSource, boundAt: row.bound_at.toISOString(), protectedUntil: row.protected_until?.toISOString() ?? null };

/** One audited move of a member's relation. */
export interface RelationMove {
  action: string;
  fromGuideId: string | null;
  toGuideId: string | null;
  source: string | null;
  actor: string;
  reason: string | null;
  at: string;
}

/**
 * Member ↔ guide relations: one guide per member per merchant at a time (the relation row's primary
 * key), a protection window during which another guide cannot take the member unless an active manager
 * overrides (audited), every move audited and announced as `guide.relation.changed`. Concurrent binds of
 * one member serialise on the relation row: the first creates it, the others then see it.
 */
export class Relations {
  constructor(
    private readonly db: Database,
    private readonly publishIn: PublishInTransaction,
    private readonly memberExists: ((tx: Queryable, merchantId: string, memberId: string) => Promise<boolean>) | undefined,
  ) {}

  /** Binds a member to a guide. A rejected bind (protected, guide left) is a result, and audited. */
  async bind(merchantId: string, request: BindRequest, actor: string): Promise<BindResult> {
    const at = request.at === undefined ? new Date() : new Date(request.at);
    return this.db.transaction(async (tx) => {
      // Lock order: guides (share), then the relation row.
      const guide = await guideRow(tx, merchantId, request.guideId, 'share');
      if (!guide) throw noGuide(request.guideId, '/guideId');
      let manager: Awaited<ReturnType<typeof guideRow>>;
      if (request.override) {
        manager = await guideRow(tx, merchantId, request.override.managerId, 'share');
        if (!manager || manager.role === 'guide' || manager.status !== 'active') {
          throw new TkError('TK_VALIDATION', `${request.override.managerId} is not an active store or area manager of the merchant`, { path: '/override/managerId' });
        }
        if (manager.role === 'store_manager' && manager.store_id !== guide.store_id) {
          throw new TkError('TK_VALIDATION', `store manager ${manager.id} manages another store than guide ${guide.id}'s`, { path: '/override/managerId' });
        }
      }
      if (this.memberExists && !(await this.memberExists(tx, merchantId, request.memberId))) throw new TkError('TK_NOT_FOUND', `no member ${request.memberId}`, { path: '/memberId' });
      const audit = (action: string, from: string | null, to: string | null, reason: string | null) =>
        tx.query(`INSERT INTO guide_audit (merchant_id, action, member_id, from_guide_id, to_guide_id, source, actor, reason, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
          merchantId, action, request.memberId, from, to, request.source, request.override ? `${actor}/${request.override.managerId}` : actor, reason, at,
        ]);
      if (guide.status !== 'active') {
        await audit('refused', null, guide.id, 'guide left');
        return { result: 'rejected', code: 'GUIDE_LEFT', message: `guide ${guide.id} has left`, relation: null };
      }
      const settings = await relationSettingsOf(tx, merchantId);
      const protectedUntil = new Date(at.getTime() + settings.protectionDays * 86_400_000);
      const inserted = await tx.query<RelationRow>(
        `INSERT INTO guide_relations (merchant_id, member_id, guide_id, source, bound_at, protected_until) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT DO NOTHING RETURNING member_id, guide_id, source, bound_at, protected_until`,
        [merchantId, request.memberId, guide.id, request.source, at, protectedUntil],
      );
      const announce = async (row: RelationRow, from: string | null, override: boolean) => {
        await emitDomainEvent(this.publishIn, tx, merchantId, {
          id: `guide.relation.changed:${request.memberId}:${at.getTime()}:${guide.id}`,
          type: 'guide.relation.changed',
          data: { memberId: request.memberId, fromGuideId: from, toGuideId: guide.id, source: request.source, override, boundAt: row.bound_at.toISOString(), protectedUntil: row.protected_until?.toISOString() ?? null },
          occurredAt: at,
        });
      };
      if (inserted.rows[0]) {
        await audit('bind', null, guide.id, null);
        await announce(inserted.rows[0], null, false);
        return { result: 'applied', code: 'BOUND', relation: toRelation(inserted.rows[0]) };
      }
      // Someone else's bind committed first (or the member was bound before): decide against it.
      const { rows } = await tx.query<RelationRow>(
        'SELECT member_id, guide_id, source, bound_at, protected_until FROM guide_relations WHERE merchant_id = $1 AND member_id = $2 FOR UPDATE',
        [merchantId, request.memberId],
      );
      const current = rows[0]!;
      if (current.guide_id === guide.id) return { result: 'duplicate', code: 'ALREADY_BOUND', relation: toRelation(current) };
      const isProtected = current.guide_id !== null && current.protected_until !== null && current.protected_until > at;
      if (isProtected && !request.override) {
        await audit('refused', current.guide_id, guide.id, 'protected');
        return {
          result: 'rejected',
          code: 'PROTECTED',
          message: `member ${request.memberId} is protected for guide ${current.guide_id} until ${current.protected_until!.toISOString()}; a manager may override`,
          relation: toRelation(current),
        };
      }
      const { rows: updated } = await tx.query<RelationRow>(
        `UPDATE guide_relations SET guide_id = $3, source = $4, bound_at = $5, protected_until = $6 WHERE merchant_id = $1 AND member_id = $2
         RETURNING member_id, guide_id, source, bound_at, protected_until`,
        [merchantId, request.memberId, guide.id, request.source, at, protectedUntil],
      );
      const overridden = isProtected && request.override !== undefined;
      await audit(overridden ? 'override' : 'rebind', current.guide_id, guide.id, request.override?.reason ?? null);
      await announce(updated[0]!, current.guide_id, overridden);
      return { result: 'applied', code: overridden ? 'OVERRIDDEN' : 'REBOUND', relation: toRelation(updated[0]!) };
    });
  }

  /** TK_NOT_FOUND for a member the merchant does not have (another merchant's answers like none). */
  async requireMember(tx: Queryable, merchantId: string, memberId: string): Promise<void> {
    if (this.memberExists && !(await this.memberExists(tx, merchantId, memberId))) throw new TkError('TK_NOT_FOUND', `no member ${memberId.slice(0, 64)}`);
  }

  /** A member's current relation, or null (none, or released). */
  async relationOf(merchantId: string, memberId: string, tx: Queryable = this.db): Promise<GuideRelation | null> {
    const { rows } = await tx.query<RelationRow>('SELECT member_id, guide_id, source, bound_at, protected_until FROM guide_relations WHERE merchant_id = $1 AND member_id = $2', [merchantId, memberId]);
    return rows[0] ? toRelation(rows[0]) : null;
  }

  /** The audited moves of a member's relation, newest first (at most 50). */
  async history(merchantId: string, memberId: string, tx: Queryable = this.db): Promise<RelationMove[]> {
    await this.requireMember(tx, merchantId, memberId);
    const { rows } = await tx.query<{ action: string; from_guide_id: string | null; to_guide_id: string | null; source: string | null; actor: string; reason: string | null; at: Date }>(
      `SELECT action, from_guide_id, to_guide_id, source, actor, reason, at FROM guide_audit WHERE merchant_id = $1 AND member_id = $2 ORDER BY seq DESC LIMIT 50`,
      [merchantId, memberId],
    );
    return rows.map((r) => ({ action: r.action, fromGuideId: r.from_guide_id, toGuideId: r.to_guide_id, source: r.source, actor: r.actor, reason: r.reason, at: r.at.toISOString() }));
  }

  /** A guide's members (their current relations), by bound time. */
  async membersOf(merchantId: string, guideId: string): Promise<GuideRelation[]> {
    if (!(await guideRow(this.db, merchantId, guideId))) throw noGuide(guideId);
    const { rows } = await this.db.query<RelationRow>(
      'SELECT member_id, guide_id, source, bound_at, protected_until FROM guide_relations WHERE merchant_id = $1 AND guide_id = $2 ORDER BY bound_at, member_id LIMIT 1000',
      [merchantId, guideId],
    );
    return rows.map(toRelation).filter((r): r is GuideRelation => r !== null);
  }
}
