import { randomBytes, randomUUID } from 'node:crypto';
import { TkError, type VoucherTemplate } from '@tongkit/sdk';
import type { Database, Queryable } from '../../platform/storage/database.js';
import { emitDomainEvent, type PublishInTransaction } from '../domain-events.js';

/** A voucher template: a free service (covering a stage kind) or a value, its uses, validity and stores (the SDK's schema). */
export type { VoucherTemplate };

/** A voucher with its counts: initial = available + locked + used. */
export interface Voucher {
  serial: string;
  templateId: string;
  memberId: string | null;
  orderId: string | null;
  stageNo: number | null;
  initial: number;
  available: number;
  locked: number;
  used: number;
  validUntil: string;
}

/** What a precheck at a store answers: whether the voucher can be redeemed there now, and for which stage. */
export type Precheck = { valid: true; voucher: Voucher; stage: { orderId: string; stageNo: number } | null } | { valid: false; code: 'not_found' | 'expired' | 'used_up' | 'not_valid_here'; voucher: Voucher | null };

/** The outcome of a redemption: `applied` once, `duplicate` for its request ID again, `rejected` with a code. */
export type RedemptionResult = { result: 'applied' | 'duplicate'; redemptionId: string; voucher: Voucher } | { result: 'rejected'; code: 'expired' | 'used_up' | 'not_valid_here'; voucher: Voucher };

interface VoucherRow {
  serial: string;
  template_id: string;
  member_id: string | null;
  order_id: string | null;
  stage_no: number | null;
  initial: number;
  available: number;
  locked: number;
  used: number;
  valid_until: Date;
}
const COLUMNS = 'serial, template_id, member_id, order_id, stage_no, initial, available, locked, used, valid_until';
const toVoucher = (r: VoucherRow): Voucher => ({ serial: r.serial, templateId: r.template_id, memberId: r.member_id, orderId: r.order_id, stageNo: r.stage_no, initial: r.initial, available: r.available, locked: r.locked, used: r.used, validUntil: r.valid_until.toISOString() });

/**
 * E-vouchers (电子凭证): templates, issue to a member (for a stage or as a gift), precheck at a store,
 * redeem by serial (a use is locked, then used, in one transaction), reverse a redemption, extend
 * validity. A use is taken from `available` by one conditional UPDATE: concurrent redemptions of the
 * last use at two stores redeem it once; a retried request ID is the same redemption.
 */
export class Vouchers {
  constructor(
    /** The host's database (routes check a member through it). */
    readonly db: Database,
    private readonly publishIn: PublishInTransaction,
  ) {}

  /** Creates or replaces a template. */
  async defineTemplate(merchantId: string, t: VoucherTemplate): Promise<void> {
    if ((t.kind === 'free_service') !== (t.serviceKind !== undefined)) throw new TkError('TK_VALIDATION', 'a free_service voucher names its serviceKind (and only it does)', { path: '/serviceKind' });
    if ((t.kind === 'value') !== (t.valueFen !== undefined)) throw new TkError('TK_VALIDATION', 'a value voucher has its valueFen (and only it does)', { path: '/valueFen' });
    await this.db.query(
      `INSERT INTO voucher_templates (merchant_id, id, title, kind, service_kind, value_fen, uses, valid_days, store_ids) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (merchant_id, id) DO UPDATE SET title = EXCLUDED.title, kind = EXCLUDED.kind, service_kind = EXCLUDED.service_kind, value_fen = EXCLUDED.value_fen,
         uses = EXCLUDED.uses, valid_days = EXCLUDED.valid_days, store_ids = EXCLUDED.store_ids`,
      [merchantId, t.id, t.title, t.kind, t.serviceKind ?? null, t.valueFen ?? null, t.uses ?? 1, t.validDays, t.storeIds ?? []],
    );
  }

  /** Issues a voucher of a template (idempotent by `issueKey`: the same key answers the same voucher). */
  async issue(merchantId: string, templateId: string, to: { memberId: string | null; orderId?: string | undefined; stageNo?: number | undefined }, issueKey: string, now = new Date(), db?: Queryable): Promise<{ result: 'applied' | 'duplicate'; voucher: Voucher }> {
    if ((to.orderId === undefined) !== (to.stageNo === undefined)) throw new TkError('TK_VALIDATION', 'a voucher for a stage names both orderId and stageNo (a gift names neither)', { path: to.orderId === undefined ? '/orderId' : '/stageNo' });
    return this.run(db, async (tx) => {
      const existing = await tx.query<VoucherRow>(`SELECT ${COLUMNS} FROM vouchers WHERE merchant_id = $1 AND issue_key = $2`, [merchantId, issueKey]);
      if (existing.rows[0]) return { result: 'duplicate', voucher: toVoucher(existing.rows[0]) };
      const template = await tx.query<{ uses: number; valid_days: number }>(`SELECT uses, valid_days FROM voucher_templates WHERE merchant_id = $1 AND id = $2`, [merchantId, templateId]);
      if (!template.rows[0]) throw new TkError('TK_NOT_FOUND', `no voucher template ${templateId.slice(0, 64)}`, { path: '/templateId' });
      const serial = `V${randomBytes(8).toString('hex').toUpperCase()}`;
      const { uses, valid_days: days } = template.rows[0];
      const { rows } = await tx.query<VoucherRow>(
        `INSERT INTO vouchers (merchant_id, serial, template_id, member_id, order_id, stage_no, initial, available, valid_until, issue_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9) ON CONFLICT (merchant_id, issue_key) DO NOTHING RETURNING ${COLUMNS}`,
        [merchantId, serial, templateId, to.memberId, to.orderId ?? null, to.stageNo ?? null, uses, new Date(now.getTime() + days * 86_400_000), issueKey],
      );
      if (!rows[0]) return { result: 'duplicate', voucher: toVoucher((await tx.query<VoucherRow>(`SELECT ${COLUMNS} FROM vouchers WHERE merchant_id = $1 AND issue_key = $2`, [merchantId, issueKey])).rows[0]!) };
      return { result: 'applied', voucher: toVoucher(rows[0]) };
    });
  }

  /** A voucher by serial; another merchant's is TK_NOT_FOUND. */
  async get(merchantId: string, serial: string, db: Queryable = this.db): Promise<Voucher> {
    const row = await this.row(db, merchantId, serial);
    if (!row) throw new TkError('TK_NOT_FOUND', `no voucher ${serial.slice(0, 64)}`, { path: '/serial' });
    return toVoucher(row);
  }

  /** Whether the voucher can be redeemed at the store now, and the stage it is for. Changes nothing. */
  async precheck(merchantId: string, serial: string, storeId: string, now = new Date()): Promise<Precheck> {
    const row = await this.row(this.db, merchantId, serial);
    if (!row) return { valid: false, code: 'not_found', voucher: null };
    const problem = await this.problem(this.db, merchantId, row, storeId, now);
    if (problem) return { valid: false, code: problem, voucher: toVoucher(row) };
    return { valid: true, voucher: toVoucher(row), stage: row.order_id !== null && row.stage_no !== null ? { orderId: row.order_id, stageNo: row.stage_no } : null };
  }

  /** Redeems one use at a store: locks it, then uses it, with `voucher.redeemed`, in one transaction. */
  async redeem(merchantId: string, serial: string, storeId: string, requestId: string, now = new Date(), db?: Queryable): Promise<RedemptionResult> {
    return this.run(db, async (tx) => {
      const earlier = await tx.query<{ id: string; serial: string }>(`SELECT id, serial FROM voucher_redemptions WHERE merchant_id = $1 AND request_id = $2`, [merchantId, requestId]);
      if (earlier.rows[0]) {
        if (earlier.rows[0].serial !== serial) throw new TkError('TK_CONFLICT', `request ${requestId.slice(0, 64)} redeemed another voucher`, { path: '/requestId' });
        return { result: 'duplicate', redemptionId: earlier.rows[0].id, voucher: await this.get(merchantId, serial, tx) };
      }
      const row = await this.row(tx, merchantId, serial);
      if (!row) throw new TkError('TK_NOT_FOUND', `no voucher ${serial.slice(0, 64)}`, { path: '/serial' });
      const problem = await this.problem(tx, merchantId, row, storeId, now);
      if (problem) return { result: 'rejected', code: problem, voucher: toVoucher(row) };
      // Lock one use: one statement, so two stores racing for the last use take it once.
      const lock = await tx.query(`UPDATE vouchers SET available = available - 1, locked = locked + 1 WHERE merchant_id = $1 AND serial = $2 AND available > 0 AND valid_until > $3`, [merchantId, serial, now]);
      if (lock.rowCount !== 1) return { result: 'rejected', code: 'used_up', voucher: await this.get(merchantId, serial, tx) };
      const id = `vr_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
      const inserted = await tx.query(`INSERT INTO voucher_redemptions (merchant_id, id, serial, store_id, request_id, status) VALUES ($1, $2, $3, $4, $5, 'used') ON CONFLICT (merchant_id, request_id) DO NOTHING`, [merchantId, id, serial, storeId, requestId]);
      if (inserted.rowCount !== 1) throw new TkError('TK_CONFLICT', `request ${requestId.slice(0, 64)} is being redeemed by another call; retry`, { path: '/requestId' });
      await tx.query(`UPDATE vouchers SET locked = locked - 1, used = used + 1 WHERE merchant_id = $1 AND serial = $2`, [merchantId, serial]);
      await emitDomainEvent(this.publishIn, tx, merchantId, {
        id: `voucher.redeemed:${id}`,
        type: 'voucher.redeemed',
        data: { serial, templateId: row.template_id, redemptionId: id, storeId, memberId: row.member_id, orderId: row.order_id, stageNo: row.stage_no, redeemedAt: now.toISOString() },
        occurredAt: now,
      });
      return { result: 'applied', redemptionId: id, voucher: await this.get(merchantId, serial, tx) };
    });
  }

  /** Reverses a redemption: the use is available again. Again: `duplicate`. */
  async reverse(merchantId: string, redemptionId: string): Promise<{ result: 'applied' | 'duplicate'; voucher: Voucher }> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ serial: string; status: string }>(`SELECT serial, status FROM voucher_redemptions WHERE merchant_id = $1 AND id = $2 FOR UPDATE`, [merchantId, redemptionId]);
      const redemption = rows[0];
      if (!redemption) throw new TkError('TK_NOT_FOUND', `no voucher redemption ${redemptionId.slice(0, 64)}`, { path: '/redemptionId' });
      if (redemption.status === 'reversed') return { result: 'duplicate', voucher: await this.get(merchantId, redemption.serial, tx) };
      await tx.query(`UPDATE voucher_redemptions SET status = 'reversed', reversed_at = now() WHERE merchant_id = $1 AND id = $2`, [merchantId, redemptionId]);
      await tx.query(`UPDATE vouchers SET used = used - 1, available = available + 1 WHERE merchant_id = $1 AND serial = $2`, [merchantId, redemption.serial]);
      return { result: 'applied', voucher: await this.get(merchantId, redemption.serial, tx) };
    });
  }

  /** Extends a voucher's validity (never shortens it). */
  async extend(merchantId: string, serial: string, validUntil: Date): Promise<Voucher> {
    const { rows } = await this.db.query<VoucherRow>(`UPDATE vouchers SET valid_until = GREATEST(valid_until, $3) WHERE merchant_id = $1 AND serial = $2 RETURNING ${COLUMNS}`, [merchantId, serial, validUntil]);
    if (!rows[0]) throw new TkError('TK_NOT_FOUND', `no voucher ${serial.slice(0, 64)}`, { path: '/serial' });
    return toVoucher(rows[0]);
  }

  /** The merchant's voucher templates. */
  async templates(merchantId: string): Promise<VoucherTemplate[]> {
    const { rows } = await this.db.query<{ id: string; title: string; kind: VoucherTemplate['kind']; service_kind: string | null; value_fen: string | null; uses: number; valid_days: number; store_ids: string[] }>(
      'SELECT id, title, kind, service_kind, value_fen, uses, valid_days, store_ids FROM voucher_templates WHERE merchant_id = $1 ORDER BY id',
      [merchantId],
    );
    return rows.map((r) => ({
      id: r.id,
      title: r.title,
      kind: r.kind,
      ...(r.service_kind === null ? {} : { serviceKind: r.service_kind }),
      ...(r.value_fen === null ? {} : { valueFen: Number(r.value_fen) }),
      uses: r.uses,
      validDays: r.valid_days,
      storeIds: r.store_ids,
    }));
  }

  /** A member's vouchers (or a service order's, by `orderId`), newest first. */
  async list(merchantId: string, by: { memberId?: string | undefined; orderId?: string | undefined }, db: Queryable = this.db): Promise<Voucher[]> {
    const { rows } = await db.query<VoucherRow>(
      `SELECT ${COLUMNS} FROM vouchers WHERE merchant_id = $1 AND ($2::text IS NULL OR member_id = $2) AND ($3::text IS NULL OR order_id = $3) ORDER BY issued_at DESC, serial LIMIT 200`,
      [merchantId, by.memberId ?? null, by.orderId ?? null],
    );
    return rows.map(toVoucher);
  }

  private run<T>(db: Queryable | undefined, work: (tx: Queryable) => Promise<T>): Promise<T> {
    return db ? work(db) : this.db.transaction(work);
  }

  private async problem(db: Queryable, merchantId: string, row: VoucherRow, storeId: string, now: Date): Promise<'expired' | 'used_up' | 'not_valid_here' | null> {
    if (row.valid_until <= now) return 'expired';
    if (row.available <= 0) return 'used_up';
    const { rows } = await db.query<{ ok: boolean }>(
      `SELECT (cardinality(t.store_ids) = 0 OR $3 = ANY(t.store_ids)) AND EXISTS (SELECT 1 FROM stores s WHERE s.merchant_id = $1 AND s.id = $3) AS ok
       FROM voucher_templates t WHERE t.merchant_id = $1 AND t.id = $2`,
      [merchantId, row.template_id, storeId],
    );
    return rows[0]?.ok ? null : 'not_valid_here';
  }

  private async row(db: Queryable, merchantId: string, serial: string): Promise<VoucherRow | undefined> {
    const { rows } = await db.query<VoucherRow>(`SELECT ${COLUMNS} FROM vouchers WHERE merchant_id = $1 AND serial = $2`, [merchantId, serial]);
    return rows[0];
  }
}
