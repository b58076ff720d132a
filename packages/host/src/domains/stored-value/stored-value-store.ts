import type { Queryable } from '../../platform/storage/database.js';
import type { TopUpRule } from './types.js';

/** A lot as stored. */
export interface LotRow {
  id: string;
  seq: number;
  top_up_id: string;
  principal_fen: number;
  bonus_fen: number;
  principal_remaining: number;
  bonus_remaining: number;
  created_at: Date;
}

export interface TopUpRow {
  id: string;
  member_id: string;
  principal_fen: number;
  bonus_fen: number;
  status: 'pending' | 'paid' | 'refunded';
  provider_payment_id: string | null;
  created_at: Date;
  paid_at: Date | null;
}

export interface SpendRow {
  id: string;
  member_id: string;
  amount_fen: number;
  refunded_fen: number;
  store_id: string | null;
  order_id: string | null;
}

export interface TakeRow {
  draw_no: number;
  lot_id: string;
  principal_fen: number;
  bonus_fen: number;
  principal_refunded: number;
  bonus_refunded: number;
}

export interface EntryRow {
  id: string;
  kind: string;
  lot_id: string;
  principal_delta: number;
  bonus_delta: number;
  ref_id: string;
  created_at: Date;
}

/** SQL of the stored-value tables; every statement is scoped by the merchant. Nothing else. */
export class StoredValueStore {
  constructor(readonly tx: Queryable) {}

  async rules(merchantId: string): Promise<TopUpRule[]> {
    const { rows } = await this.tx.query<{ rules: TopUpRule[] }>('SELECT rules FROM stored_value_rules WHERE merchant_id = $1', [merchantId]);
    return rows[0]?.rules ?? [];
  }

  async setRules(merchantId: string, rules: TopUpRule[]): Promise<void> {
    await this.tx.query(
      `INSERT INTO stored_value_rules (merchant_id, rules) VALUES ($1, $2)
       ON CONFLICT (merchant_id) DO UPDATE SET rules = EXCLUDED.rules, updated_at = now()`,
      [merchantId, JSON.stringify(rules)],
    );
  }

  /** Lock order 2 (member): the account row, created empty on first use. */
  async lockAccount(merchantId: string, memberId: string): Promise<{ principal_fen: number; bonus_fen: number }> {
    await this.tx.query('INSERT INTO stored_value_accounts (merchant_id, member_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [merchantId, memberId]);
    const { rows } = await this.tx.query<{ principal_fen: number; bonus_fen: number }>(
      'SELECT principal_fen, bonus_fen FROM stored_value_accounts WHERE merchant_id = $1 AND member_id = $2 FOR UPDATE',
      [merchantId, memberId],
    );
    return rows[0]!;
  }

  async account(merchantId: string, memberId: string): Promise<{ principal_fen: number; bonus_fen: number } | undefined> {
    const { rows } = await this.tx.query<{ principal_fen: number; bonus_fen: number }>('SELECT principal_fen, bonus_fen FROM stored_value_accounts WHERE merchant_id = $1 AND member_id = $2', [merchantId, memberId]);
    return rows[0];
  }

  /** The account row locked, if the member has one (the members service's deletion guard, after the member row). */
  async lockedAccount(merchantId: string, memberId: string): Promise<{ principal_fen: number; bonus_fen: number } | undefined> {
    const { rows } = await this.tx.query<{ principal_fen: number; bonus_fen: number }>('SELECT principal_fen, bonus_fen FROM stored_value_accounts WHERE merchant_id = $1 AND member_id = $2 FOR UPDATE', [merchantId, memberId]);
    return rows[0];
  }

  async addToAccount(merchantId: string, memberId: string, principalDelta: number, bonusDelta: number): Promise<{ principal_fen: number; bonus_fen: number }> {
    const { rows } = await this.tx.query<{ principal_fen: number; bonus_fen: number }>(
      `UPDATE stored_value_accounts SET principal_fen = principal_fen + $3, bonus_fen = bonus_fen + $4
       WHERE merchant_id = $1 AND member_id = $2 RETURNING principal_fen, bonus_fen`,
      [merchantId, memberId, principalDelta, bonusDelta],
    );
    return rows[0]!;
  }

  /** Lock order 3: the member's lots with something left, oldest first, in one statement. */
  async lockOpenLots(merchantId: string, memberId: string): Promise<LotRow[]> {
    const { rows } = await this.tx.query<LotRow>(
      `SELECT id, seq, top_up_id, principal_fen, bonus_fen, principal_remaining, bonus_remaining, created_at FROM stored_value_lots
       WHERE merchant_id = $1 AND member_id = $2 AND principal_remaining + bonus_remaining > 0 ORDER BY seq FOR UPDATE`,
      [merchantId, memberId],
    );
    return rows;
  }

  /** Lock order 3: named lots of the member, by seq. */
  async lockLots(merchantId: string, memberId: string, lotIds: string[]): Promise<LotRow[]> {
    const { rows } = await this.tx.query<LotRow>(
      `SELECT id, seq, top_up_id, principal_fen, bonus_fen, principal_remaining, bonus_remaining, created_at FROM stored_value_lots
       WHERE merchant_id = $1 AND member_id = $2 AND id = ANY($3::text[]) ORDER BY seq FOR UPDATE`,
      [merchantId, memberId, lotIds],
    );
    return rows;
  }

  async lots(merchantId: string, memberId: string): Promise<LotRow[]> {
    const { rows } = await this.tx.query<LotRow>(
      `SELECT id, seq, top_up_id, principal_fen, bonus_fen, principal_remaining, bonus_remaining, created_at FROM stored_value_lots
       WHERE merchant_id = $1 AND member_id = $2 ORDER BY seq`,
      [merchantId, memberId],
    );
    return rows;
  }

  async insertLot(merchantId: string, lot: { id: string; memberId: string; topUpId: string; principalFen: number; bonusFen: number; at: Date }): Promise<void> {
    await this.tx.query(
      `INSERT INTO stored_value_lots (merchant_id, id, member_id, top_up_id, principal_fen, bonus_fen, principal_remaining, bonus_remaining, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $5, $6, $7)`,
      [merchantId, lot.id, lot.memberId, lot.topUpId, lot.principalFen, lot.bonusFen, lot.at],
    );
  }

  async moveLot(merchantId: string, lotId: string, principalDelta: number, bonusDelta: number): Promise<void> {
    await this.tx.query(
      'UPDATE stored_value_lots SET principal_remaining = principal_remaining + $3, bonus_remaining = bonus_remaining + $4 WHERE merchant_id = $1 AND id = $2',
      [merchantId, lotId, principalDelta, bonusDelta],
    );
  }

  async insertEntry(merchantId: string, entry: { id: string; memberId: string; kind: string; lotId: string; principalDelta: number; bonusDelta: number; refId: string; at: Date }): Promise<void> {
    await this.tx.query(
      `INSERT INTO stored_value_entries (merchant_id, id, member_id, kind, lot_id, principal_delta, bonus_delta, ref_id, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [merchantId, entry.id, entry.memberId, entry.kind, entry.lotId, entry.principalDelta, entry.bonusDelta, entry.refId, entry.at],
    );
  }

  async entries(merchantId: string, memberId: string, limit: number): Promise<EntryRow[]> {
    const { rows } = await this.tx.query<EntryRow>(
      `SELECT id, kind, lot_id, principal_delta, bonus_delta, ref_id, created_at FROM stored_value_entries
       WHERE merchant_id = $1 AND member_id = $2 ORDER BY seq LIMIT $3`,
      [merchantId, memberId, limit],
    );
    return rows;
  }

  async insertTopUp(merchantId: string, topUp: { id: string; memberId: string; principalFen: number; bonusFen: number; at: Date }): Promise<void> {
    await this.tx.query(
      `INSERT INTO stored_value_top_ups (merchant_id, id, member_id, principal_fen, bonus_fen, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [merchantId, topUp.id, topUp.memberId, topUp.principalFen, topUp.bonusFen, topUp.at],
    );
  }

  async topUp(merchantId: string, topUpId: string, lock = false): Promise<TopUpRow | undefined> {
    const { rows } = await this.tx.query<TopUpRow>(
      `SELECT id, member_id, principal_fen, bonus_fen, status, provider_payment_id, created_at, paid_at FROM stored_value_top_ups
       WHERE merchant_id = $1 AND id = $2${lock ? ' FOR UPDATE' : ''}`,
      [merchantId, topUpId],
    );
    return rows[0];
  }

  async markTopUp(merchantId: string, topUpId: string, status: 'paid' | 'refunded', paid?: { paymentId: string; at: Date }): Promise<void> {
    await this.tx.query(
      `UPDATE stored_value_top_ups SET status = $3, provider_payment_id = COALESCE($4, provider_payment_id), paid_at = COALESCE($5, paid_at) WHERE merchant_id = $1 AND id = $2`,
      [merchantId, topUpId, status, paid?.paymentId ?? null, paid?.at ?? null],
    );
  }

  /** True when a provider payment ID was already applied to some top-up (a replayed callback). */
  async paymentSeen(paymentId: string): Promise<boolean> {
    const { rowCount } = await this.tx.query('SELECT 1 FROM stored_value_top_ups WHERE provider_payment_id = $1', [paymentId]);
    return rowCount > 0;
  }

  async insertSpend(merchantId: string, spend: { id: string; memberId: string; amountFen: number; storeId: string | null; orderId: string | null; at: Date }): Promise<void> {
    await this.tx.query(
      `INSERT INTO stored_value_spends (merchant_id, id, member_id, amount_fen, store_id, order_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [merchantId, spend.id, spend.memberId, spend.amountFen, spend.storeId, spend.orderId, spend.at],
    );
  }

  async spend(merchantId: string, spendId: string, lock = false): Promise<SpendRow | undefined> {
    const { rows } = await this.tx.query<SpendRow>(
      `SELECT id, member_id, amount_fen, refunded_fen, store_id, order_id FROM stored_value_spends WHERE merchant_id = $1 AND id = $2${lock ? ' FOR UPDATE' : ''}`,
      [merchantId, spendId],
    );
    return rows[0];
  }

  async addSpendRefunded(merchantId: string, spendId: string, fen: number): Promise<void> {
    await this.tx.query('UPDATE stored_value_spends SET refunded_fen = refunded_fen + $3 WHERE merchant_id = $1 AND id = $2', [merchantId, spendId, fen]);
  }

  async insertTake(merchantId: string, spendId: string, drawNo: number, lotId: string, principalFen: number, bonusFen: number): Promise<void> {
    await this.tx.query(
      `INSERT INTO stored_value_spend_takes (merchant_id, spend_id, draw_no, lot_id, principal_fen, bonus_fen) VALUES ($1, $2, $3, $4, $5, $6)`,
      [merchantId, spendId, drawNo, lotId, principalFen, bonusFen],
    );
  }

  async takes(merchantId: string, spendId: string): Promise<TakeRow[]> {
    const { rows } = await this.tx.query<TakeRow>(
      `SELECT draw_no, lot_id, principal_fen, bonus_fen, principal_refunded, bonus_refunded FROM stored_value_spend_takes
       WHERE merchant_id = $1 AND spend_id = $2 ORDER BY draw_no`,
      [merchantId, spendId],
    );
    return rows;
  }

  async refundTake(merchantId: string, spendId: string, drawNo: number, principalFen: number, bonusFen: number): Promise<void> {
    await this.tx.query(
      `UPDATE stored_value_spend_takes SET principal_refunded = principal_refunded + $4, bonus_refunded = bonus_refunded + $5
       WHERE merchant_id = $1 AND spend_id = $2 AND draw_no = $3`,
      [merchantId, spendId, drawNo, principalFen, bonusFen],
    );
  }

  /** Lock order 1: the idempotency key; null when it was claimed before (then read {@link keyRecord}). */
  async claimKey(merchantId: string, scope: string, key: string, hash: string): Promise<boolean> {
    const { rowCount } = await this.tx.query(
      'INSERT INTO stored_value_idempotency (merchant_id, scope, key, request_hash) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
      [merchantId, scope, key, hash],
    );
    return rowCount === 1;
  }

  async keyRecord<R>(merchantId: string, scope: string, key: string): Promise<{ request_hash: string; result: R | null } | undefined> {
    const { rows } = await this.tx.query<{ request_hash: string; result: R | null }>('SELECT request_hash, result FROM stored_value_idempotency WHERE merchant_id = $1 AND scope = $2 AND key = $3', [merchantId, scope, key]);
    return rows[0];
  }

  async settleKey(merchantId: string, scope: string, key: string, result: unknown): Promise<void> {
    await this.tx.query('UPDATE stored_value_idempotency SET result = $4 WHERE merchant_id = $1 AND scope = $2 AND key = $3', [merchantId, scope, key, JSON.stringify(result)]);
  }
}
