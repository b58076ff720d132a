import type { Queryable } from '../../platform/storage/database.js';
import type { StageState } from './stage-machine.js';

/** A row of `service_orders`. */
export interface ServiceOrderRow {
  merchant_id: string;
  id: string;
  member_id: string | null;
  total_fen: number;
  status: 'open' | 'completed' | 'cancelled';
  plan_source: 'plugin' | 'fallback' | 'platform';
  created_at: Date;
}

/** A row of `service_stages`. */
export interface StageRow {
  stage_no: number;
  kind: 'design_order' | 'measurement' | 'design_delivery' | 'install_appointment' | 'installation' | 'custom';
  label: string | null;
  ratio_bps: number;
  amount_fen: number;
  paid_fen: number;
  refunded_fen: number;
  needs_appointment: boolean;
  refundable: boolean;
  due: 'on_creation' | 'after_previous_completes' | 'after_completion';
  state: StageState;
}

/** A row of `service_stage_transitions`. */
export interface TransitionRow {
  stage_no: number;
  from_state: StageState;
  to_state: StageState;
  actor: string;
  reason: string;
  at: Date;
}

/** A row of `payment_intents`. */
export interface IntentRow {
  merchant_id: string;
  id: string;
  order_id: string;
  stage_no: number;
  amount_fen: number;
  status: 'open' | 'paid' | 'voided';
  created_at: Date;
}

/** A row of `payment_callbacks`. */
export interface CallbackRow {
  provider_payment_id: string;
  intent_id: string | null;
  amount_fen: number;
  outcome: 'applied' | 'unmatched';
  reason: string | null;
  refund_status: 'refunded' | 'pending' | null;
  received_at: Date;
}

const STAGE_COLUMNS = 'stage_no, kind, label, ratio_bps, amount_fen AS amount_fen, paid_fen, refunded_fen, needs_appointment, refundable, due, state';

/**
 * The SQL of service orders, stages, intents and callbacks: tenant-scoped (every statement names the
 * merchant), nothing else. Lock order: the service order's row first, then its stages and intents.
 */
export class ServiceStore {
  constructor(private readonly db: Queryable) {}

  /**
   * The member's prepaid money: stages paid for work not yet done (`paid`, `scheduled`) and not refunded,
   * on the member's open service orders. What blocks the member's erasure until it is refunded or done.
   */
  async prepaidOfMember(merchantId: string, memberId: string): Promise<{ fen: number; orderIds: string[] }> {
    const { rows } = await this.db.query<{ order_id: string; fen: string }>(
      `SELECT s.order_id, sum(s.paid_fen - s.refunded_fen)::text AS fen
       FROM service_orders o JOIN service_stages s ON s.merchant_id = o.merchant_id AND s.order_id = o.id
       WHERE o.merchant_id = $1 AND o.member_id = $2 AND o.status = 'open' AND s.state IN ('paid', 'scheduled') AND s.paid_fen > s.refunded_fen
       GROUP BY s.order_id ORDER BY s.order_id LIMIT 20`,
      [merchantId, memberId],
    );
    return { fen: rows.reduce((sum, r) => sum + Number(r.fen), 0), orderIds: rows.map((r) => r.order_id) };
  }

  async lockOrder(merchantId: string, id: string): Promise<ServiceOrderRow | undefined> {
    const { rows } = await this.db.query<ServiceOrderRow>(
      `SELECT merchant_id, id, member_id, total_fen, status, plan_source, created_at FROM service_orders WHERE merchant_id = $1 AND id = $2 FOR UPDATE`,
      [merchantId, id],
    );
    return rows[0];
  }

  async order(merchantId: string, id: string): Promise<ServiceOrderRow | undefined> {
    const { rows } = await this.db.query<ServiceOrderRow>(
      `SELECT merchant_id, id, member_id, total_fen, status, plan_source, created_at FROM service_orders WHERE merchant_id = $1 AND id = $2`,
      [merchantId, id],
    );
    return rows[0];
  }

  /** Inserts the order; false when it already exists (a concurrent create won). */
  async insertOrder(row: { merchantId: string; id: string; memberId: string | null; totalFen: number; planSource: ServiceOrderRow['plan_source']; planInstallId: string | null }): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `INSERT INTO service_orders (merchant_id, id, member_id, total_fen, plan_source, plan_install_id) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      [row.merchantId, row.id, row.memberId, row.totalFen, row.planSource, row.planInstallId],
    );
    return rowCount === 1;
  }

  async insertStages(merchantId: string, orderId: string, stages: readonly Omit<StageRow, 'paid_fen' | 'refunded_fen'>[]): Promise<void> {
    for (const s of stages) {
      await this.db.query(
        `INSERT INTO service_stages (merchant_id, order_id, stage_no, kind, label, ratio_bps, amount_fen, needs_appointment, refundable, due, state)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [merchantId, orderId, s.stage_no, s.kind, s.label, s.ratio_bps, s.amount_fen, s.needs_appointment, s.refundable, s.due, s.state],
      );
    }
  }

  async stages(merchantId: string, orderId: string): Promise<StageRow[]> {
    const { rows } = await this.db.query<StageRow>(`SELECT ${STAGE_COLUMNS} FROM service_stages WHERE merchant_id = $1 AND order_id = $2 ORDER BY stage_no`, [merchantId, orderId]);
    return rows;
  }

  async setState(merchantId: string, orderId: string, stageNo: number, from: StageState, to: StageState, money: { paidFen?: number; refundedFen?: number } = {}): Promise<void> {
    const { rowCount } = await this.db.query(
      `UPDATE service_stages SET state = $5, paid_fen = COALESCE($6, paid_fen), refunded_fen = COALESCE($7, refunded_fen)
       WHERE merchant_id = $1 AND order_id = $2 AND stage_no = $3 AND state = $4`,
      [merchantId, orderId, stageNo, from, to, money.paidFen ?? null, money.refundedFen ?? null],
    );
    // The order's row lock is held: a stage cannot have moved since it was read.
    if (rowCount !== 1) throw new Error(`stage ${stageNo} of ${orderId} was not ${from} under the order's lock`);
  }

  async setAmount(merchantId: string, orderId: string, stageNo: number, amountFen: number): Promise<void> {
    await this.db.query(`UPDATE service_stages SET amount_fen = $4 WHERE merchant_id = $1 AND order_id = $2 AND stage_no = $3 AND paid_fen = 0`, [merchantId, orderId, stageNo, amountFen]);
  }

  async setOrder(merchantId: string, id: string, change: { status?: ServiceOrderRow['status']; totalFen?: number }): Promise<void> {
    await this.db.query(`UPDATE service_orders SET status = COALESCE($3, status), total_fen = COALESCE($4, total_fen) WHERE merchant_id = $1 AND id = $2`, [
      merchantId,
      id,
      change.status ?? null,
      change.totalFen ?? null,
    ]);
  }

  async recordTransition(merchantId: string, orderId: string, t: { stageNo: number; from: StageState; to: StageState; actor: string; reason: string }): Promise<{ seq: number; at: Date }> {
    const { rows } = await this.db.query<{ seq: string; at: Date }>(
      `INSERT INTO service_stage_transitions (merchant_id, order_id, stage_no, from_state, to_state, actor, reason) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq, at`,
      [merchantId, orderId, t.stageNo, t.from, t.to, t.actor, t.reason],
    );
    return { seq: Number(rows[0]!.seq), at: rows[0]!.at };
  }

  async history(merchantId: string, orderId: string): Promise<TransitionRow[]> {
    const { rows } = await this.db.query<TransitionRow>(
      `SELECT stage_no, from_state, to_state, actor, reason, at FROM service_stage_transitions WHERE merchant_id = $1 AND order_id = $2 ORDER BY seq`,
      [merchantId, orderId],
    );
    return rows;
  }

  async openIntent(merchantId: string, orderId: string, stageNo: number): Promise<IntentRow | undefined> {
    const { rows } = await this.db.query<IntentRow>(
      `SELECT merchant_id, id, order_id, stage_no, amount_fen AS amount_fen, status, created_at FROM payment_intents WHERE merchant_id = $1 AND order_id = $2 AND stage_no = $3 AND status = 'open'`,
      [merchantId, orderId, stageNo],
    );
    return rows[0];
  }

  async insertIntent(merchantId: string, id: string, orderId: string, stageNo: number, amountFen: number): Promise<void> {
    await this.db.query(`INSERT INTO payment_intents (merchant_id, id, order_id, stage_no, amount_fen) VALUES ($1, $2, $3, $4, $5)`, [merchantId, id, orderId, stageNo, amountFen]);
  }

  /** An intent by ID within a merchant (another merchant's intent is no intent). */
  async intent(merchantId: string, id: string): Promise<IntentRow | undefined> {
    const { rows } = await this.db.query<IntentRow>(
      `SELECT merchant_id, id, order_id, stage_no, amount_fen AS amount_fen, status, created_at FROM payment_intents WHERE merchant_id = $1 AND id = $2`,
      [merchantId, id],
    );
    return rows[0];
  }

  async setIntentStatus(merchantId: string, id: string, status: IntentRow['status']): Promise<void> {
    await this.db.query(`UPDATE payment_intents SET status = $3 WHERE merchant_id = $1 AND id = $2`, [merchantId, id, status]);
  }

  /** Voids the open intents of some stages (a re-price changed their amounts, or the order was cancelled). */
  async voidOpenIntents(merchantId: string, orderId: string, stageNos: readonly number[]): Promise<void> {
    await this.db.query(`UPDATE payment_intents SET status = 'voided' WHERE merchant_id = $1 AND order_id = $2 AND stage_no = ANY($3::int[]) AND status = 'open'`, [
      merchantId,
      orderId,
      stageNos,
    ]);
  }

  async intents(merchantId: string, orderId: string): Promise<IntentRow[]> {
    const { rows } = await this.db.query<IntentRow>(
      `SELECT merchant_id, id, order_id, stage_no, amount_fen AS amount_fen, status, created_at FROM payment_intents WHERE merchant_id = $1 AND order_id = $2 ORDER BY created_at, id`,
      [merchantId, orderId],
    );
    return rows;
  }

  /** The provider payment that paid a stage (its applied callback), for refunds. */
  async paymentOfStage(merchantId: string, orderId: string, stageNo: number): Promise<string | undefined> {
    const { rows } = await this.db.query<{ provider_payment_id: string }>(
      `SELECT c.provider_payment_id FROM payment_callbacks c JOIN payment_intents i ON i.merchant_id = c.merchant_id AND i.id = c.intent_id
       WHERE c.merchant_id = $1 AND i.order_id = $2 AND i.stage_no = $3 AND c.outcome = 'applied'`,
      [merchantId, orderId, stageNo],
    );
    return rows[0]?.provider_payment_id;
  }

  /** Records a genuine callback; false when its provider payment ID was seen before (a replay). */
  async insertCallback(merchantId: string, c: { providerPaymentId: string; intentId: string | null; amountFen: number; outcome: CallbackRow['outcome']; reason: string | null; refundStatus: CallbackRow['refund_status'] }): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `INSERT INTO payment_callbacks (merchant_id, provider_payment_id, intent_id, amount_fen, outcome, reason, refund_status) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [merchantId, c.providerPaymentId, c.intentId, c.amountFen, c.outcome, c.reason, c.refundStatus],
    );
    return rowCount === 1;
  }

  async callbacksOfOrder(merchantId: string, orderId: string): Promise<CallbackRow[]> {
    const { rows } = await this.db.query<CallbackRow>(
      `SELECT c.provider_payment_id, c.intent_id, c.amount_fen AS amount_fen, c.outcome, c.reason, c.refund_status, c.received_at
       FROM payment_callbacks c JOIN payment_intents i ON i.merchant_id = c.merchant_id AND i.id = c.intent_id
       WHERE c.merchant_id = $1 AND i.order_id = $2 ORDER BY c.received_at, c.provider_payment_id`,
      [merchantId, orderId],
    );
    return rows;
  }

  /** The merchant's unmatched callbacks, newest first: what the operator acts on. */
  async unmatched(merchantId: string, limit = 100): Promise<CallbackRow[]> {
    const { rows } = await this.db.query<CallbackRow>(
      `SELECT provider_payment_id, intent_id, amount_fen AS amount_fen, outcome, reason, refund_status, received_at FROM payment_callbacks
       WHERE merchant_id = $1 AND outcome = 'unmatched' ORDER BY received_at DESC LIMIT $2`,
      [merchantId, limit],
    );
    return rows;
  }

  async insertRefund(merchantId: string, r: { id: string; providerPaymentId: string; orderId: string | null; stageNo: number | null; amountFen: number; reason: string }): Promise<void> {
    await this.db.query(
      `INSERT INTO payment_refunds (merchant_id, id, provider_payment_id, order_id, stage_no, amount_fen, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [merchantId, r.id, r.providerPaymentId, r.orderId, r.stageNo, r.amountFen, r.reason],
    );
  }

  async secret(kid: string): Promise<{ merchant_id: string; secret: Buffer } | undefined> {
    const { rows } = await this.db.query<{ merchant_id: string; secret: Buffer }>(`SELECT merchant_id, secret FROM payment_secrets WHERE kid = $1 AND retired_at IS NULL`, [kid]);
    return rows[0];
  }

  async insertSecret(merchantId: string, kid: string, secret: Buffer): Promise<void> {
    await this.db.query(`INSERT INTO payment_secrets (kid, merchant_id, secret) VALUES ($1, $2, $3)`, [kid, merchantId, secret]);
  }

  async retireSecrets(merchantId: string, exceptKid: string): Promise<void> {
    await this.db.query(`UPDATE payment_secrets SET retired_at = now() WHERE merchant_id = $1 AND kid <> $2 AND retired_at IS NULL`, [merchantId, exceptKid]);
  }

  async currentKid(merchantId: string): Promise<{ kid: string; secret: Buffer } | undefined> {
    const { rows } = await this.db.query<{ kid: string; secret: Buffer }>(
      `SELECT kid, secret FROM payment_secrets WHERE merchant_id = $1 AND retired_at IS NULL ORDER BY created_at DESC, kid DESC LIMIT 1`,
      [merchantId],
    );
    return rows[0];
  }

  async logRejection(kid: string | null, reason: 'bad_signature' | 'unknown_kid' | 'expired' | 'replayed' | 'malformed'): Promise<void> {
    await this.db.query(`INSERT INTO payment_callback_rejections (kid, reason) VALUES ($1, $2)`, [kid, reason]);
  }

  async isDevelopmentMerchant(merchantId: string): Promise<boolean> {
    const { rows } = await this.db.query<{ is_development: boolean }>(`SELECT is_development FROM merchants WHERE id = $1`, [merchantId]);
    return rows[0]?.is_development === true;
  }
}
