import type { Queryable } from '../../platform/storage/database.js';
import type { LadderRules, StoredTier } from './tier-rules.js';
import type { TierChange, TierLadder } from './schemas.js';

interface LadderRow {
  tiers: LadderRules['tiers'];
  validity_months: number | null;
  downgrade_protection_days: number;
  revision: number;
  updated_at: Date;
}

interface TierRow {
  tier_id: string | null;
  since: Date | null;
  expires_at: Date | null;
  protected_until: Date | null;
  review_at: Date | null;
  revision: number;
}

interface HistoryRow {
  id: string;
  seq: string;
  member_id: string;
  from_tier: string | null;
  to_tier: string;
  direction: 'up' | 'down';
  reason: string;
  trigger: TierChange['trigger'];
  install_id: string | null;
  version: string | null;
  invocation_id: string;
  event_id: string;
  expires_at: Date | null;
  changed_at: Date;
}

/** A member's stored tier with the revision a decision is computed from. */
export type StoredTierRow = StoredTier & { revision: number; reviewAt: Date | null };

const toStored = (row: TierRow): StoredTierRow => ({ tierId: row.tier_id, since: row.since, expiresAt: row.expires_at, protectedUntil: row.protected_until, reviewAt: row.review_at, revision: row.revision });

/** SQL of the tiers module's tables; every query is scoped by the merchant. */
export class TierStore {
  constructor(private readonly tx: Queryable) {}

  async ladder(merchantId: string): Promise<TierLadder | undefined> {
    const { rows } = await this.tx.query<LadderRow>('SELECT tiers, validity_months, downgrade_protection_days, revision, updated_at FROM tier_ladders WHERE merchant_id = $1', [merchantId]);
    const row = rows[0];
    return row && { tiers: row.tiers, validityMonths: row.validity_months, downgradeProtectionDays: row.downgrade_protection_days, revision: row.revision, updatedAt: row.updated_at.toISOString() };
  }

  async putLadder(merchantId: string, ladder: LadderRules): Promise<void> {
    await this.tx.query(
      `INSERT INTO tier_ladders (merchant_id, tiers, validity_months, downgrade_protection_days) VALUES ($1, $2, $3, $4)
       ON CONFLICT (merchant_id) DO UPDATE SET tiers = $2, validity_months = $3, downgrade_protection_days = $4, revision = tier_ladders.revision + 1, updated_at = now()`,
      [merchantId, JSON.stringify(ladder.tiers), ladder.validityMonths, ladder.downgradeProtectionDays],
    );
  }

  async tierOf(merchantId: string, memberId: string): Promise<StoredTierRow | undefined> {
    const { rows } = await this.tx.query<TierRow>('SELECT tier_id, since, expires_at, protected_until, review_at, revision FROM member_tiers WHERE merchant_id = $1 AND member_id = $2', [merchantId, memberId]);
    return rows[0] && toStored(rows[0]);
  }

  /** Locks the member's tier row, creating it (entry tier, revision 0) when new; one round trip. */
  async lockTier(merchantId: string, memberId: string): Promise<StoredTierRow> {
    const { rows } = await this.tx.query<TierRow>(
      `INSERT INTO member_tiers (merchant_id, member_id) VALUES ($1, $2)
       ON CONFLICT (merchant_id, member_id) DO UPDATE SET revision = member_tiers.revision
       RETURNING tier_id, since, expires_at, protected_until, review_at, revision`,
      [merchantId, memberId],
    );
    return toStored(rows[0]!);
  }

  async writeTier(merchantId: string, memberId: string, tier: StoredTier & { reviewAt: Date | null }): Promise<void> {
    await this.tx.query(
      `UPDATE member_tiers SET tier_id = $3, since = $4, expires_at = $5, protected_until = $6, review_at = $7, revision = revision + 1, updated_at = now()
       WHERE merchant_id = $1 AND member_id = $2`,
      [merchantId, memberId, tier.tierId, tier.since, tier.expiresAt, tier.protectedUntil, tier.reviewAt],
    );
  }

  async insertChange(merchantId: string, change: Omit<TierChange, 'expiresAt' | 'changedAt'> & { expiresAt: Date | null; changedAt: Date }): Promise<void> {
    await this.tx.query(
      `INSERT INTO member_tier_history (merchant_id, id, member_id, from_tier, to_tier, direction, reason, trigger, install_id, version, invocation_id, event_id, expires_at, changed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [merchantId, change.id, change.memberId, change.fromTierId, change.toTierId, change.direction, change.reason, change.trigger, change.installId, change.version, change.invocationId, change.eventId, change.expiresAt, change.changedAt],
    );
  }

  async history(merchantId: string, memberId: string, after: string | undefined, limit: number): Promise<{ items: TierChange[]; next: string | null }> {
    const { rows } = await this.tx.query<HistoryRow>(
      `SELECT id, seq::text, member_id, from_tier, to_tier, direction, reason, trigger, install_id, version, invocation_id, event_id, expires_at, changed_at
       FROM member_tier_history WHERE merchant_id = $1 AND member_id = $2 AND ($3::bigint IS NULL OR seq > $3::bigint) ORDER BY seq LIMIT $4`,
      [merchantId, memberId, after ?? null, limit + 1],
    );
    const page = rows.slice(0, limit);
    return {
      items: page.map((row) => ({
        id: row.id,
        memberId: row.member_id,
        fromTierId: row.from_tier,
        toTierId: row.to_tier,
        direction: row.direction,
        reason: row.reason,
        trigger: row.trigger,
        installId: row.install_id,
        version: row.version,
        invocationId: row.invocation_id,
        eventId: row.event_id,
        expiresAt: row.expires_at?.toISOString() ?? null,
        changedAt: row.changed_at.toISOString(),
      })),
      next: rows.length > limit ? page[page.length - 1]!.seq : null,
    };
  }
}
