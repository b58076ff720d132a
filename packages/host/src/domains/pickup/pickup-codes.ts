import { randomInt } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { TkError } from '@tongkit/sdk';
import type { Database, Queryable } from '../../platform/storage/database.js';

/** Wrong codes a store may enter per window before it is refused with TK_RATE_LIMITED. */
export const MAX_FAILURES = 10;
export const FAILURE_WINDOW_MS = 10 * 60_000;
/** How long a code is valid unless the request says (3 days). */
export const DEFAULT_VALID_MINUTES = 3 * 24 * 60;

export const IssuePickupCodeRequest = Type.Object(
  {
    orderId: Type.String({ minLength: 1, maxLength: 128 }),
    storeId: Type.String({ minLength: 1, maxLength: 64 }),
    validForMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 30 * 24 * 60 })),
  },
  { additionalProperties: false },
);
export const PickupCode = Type.Object({
  orderId: Type.String(),
  storeId: Type.String(),
  code: Type.String({ pattern: '^[0-9]{8}$' }),
  expiresAt: Type.String({ format: 'date-time' }),
  status: Type.Union([Type.Literal('applied'), Type.Literal('duplicate')]),
});
export const ConsumeResult = Type.Object({
  status: Type.Union([Type.Literal('applied'), Type.Literal('rejected')]),
  reason: Type.Optional(Type.Union([Type.Literal('unknown_code'), Type.Literal('expired')])),
  orderId: Type.Union([Type.String(), Type.Null()]),
});
type ConsumeResult = Static<typeof ConsumeResult>;

/**
 * Pickup codes: issued once per order (issuing again returns the same open code: a duplicate), consumed
 * once by the store the order was allocated to. A wrong, expired or already used code counts against the
 * store's window of wrong codes; past {@link MAX_FAILURES} the store is refused with TK_RATE_LIMITED.
 */
export class PickupCodes {
  /**
   * @param orderExists asked of the orders service in the issuing transaction: a code is issued only for
   *   an order the merchant has (another merchant's order answers like none). Absent: any order id.
   */
  constructor(
    private readonly db: Database,
    private readonly clock: () => Date = () => new Date(),
    private readonly orderExists?: (tx: Queryable, merchantId: string, orderId: string) => Promise<boolean>,
  ) {}

  async issue(merchantId: string, request: Static<typeof IssuePickupCodeRequest>): Promise<Static<typeof PickupCode>> {
    return this.db.transaction(async (tx) => {
      const store = await tx.query('SELECT 1 FROM stores WHERE merchant_id = $1 AND id = $2', [merchantId, request.storeId]);
      if (store.rowCount === 0) throw new TkError('TK_NOT_FOUND', `no store ${request.storeId}`, { path: '/storeId' });
      if (this.orderExists && !(await this.orderExists(tx, merchantId, request.orderId))) {
        throw new TkError('TK_NOT_FOUND', `no order ${request.orderId.slice(0, 64)}`, { path: '/orderId' });
      }
      const expiresAt = new Date(this.clock().getTime() + (request.validForMinutes ?? DEFAULT_VALID_MINUTES) * 60_000);
      for (let attempt = 0; attempt < 5; attempt++) {
        const code = String(randomInt(0, 100_000_000)).padStart(8, '0');
        // A draw that collides with another open code of the store inserts nothing; draw again.
        const inserted = await tx.query(
          `INSERT INTO pickup_codes (merchant_id, order_id, store_id, code, expires_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
          [merchantId, request.orderId, request.storeId, code, expiresAt],
        );
        if (inserted.rowCount === 1) return { orderId: request.orderId, storeId: request.storeId, code, expiresAt: expiresAt.toISOString(), status: 'applied' as const };
        const existing = await this.existing(tx, merchantId, request.orderId);
        if (existing) {
          if (existing.store_id !== request.storeId) throw new TkError('TK_CONFLICT', `order ${request.orderId} already has a pickup code at another store`, { path: '/storeId' });
          return { orderId: request.orderId, storeId: existing.store_id, code: existing.code, expiresAt: existing.expires_at.toISOString(), status: 'duplicate' as const };
        }
      }
      throw new TkError('TK_INTERNAL', 'could not draw a free pickup code in 5 attempts');
    });
  }

  /** The order's open (unconsumed, unexpired) pickup code, for the merchant to pass on to the customer; undefined when none. */
  async openCodeOf(merchantId: string, orderId: string): Promise<{ code: string; expiresAt: string } | undefined> {
    const { rows } = await this.db.query<{ code: string; expires_at: Date }>(
      'SELECT code, expires_at FROM pickup_codes WHERE merchant_id = $1 AND order_id = $2 AND consumed_at IS NULL AND expires_at > $3',
      [merchantId, orderId, this.clock()],
    );
    return rows[0] && { code: rows[0].code, expiresAt: rows[0].expires_at.toISOString() };
  }

  private async existing(tx: Queryable, merchantId: string, orderId: string) {
    const { rows } = await tx.query<{ store_id: string; code: string; expires_at: Date }>('SELECT store_id, code, expires_at FROM pickup_codes WHERE merchant_id = $1 AND order_id = $2', [
      merchantId,
      orderId,
    ]);
    return rows[0];
  }

  /** The store consumes a code the customer shows: once; unknown, used and expired codes are rejected and counted. */
  async consume(merchantId: string, storeId: string, code: string): Promise<ConsumeResult> {
    const now = this.clock();
    const window = new Date(Math.floor(now.getTime() / FAILURE_WINDOW_MS) * FAILURE_WINDOW_MS);
    const outcome = await this.db.transaction(async (tx) => {
      const store = await tx.query('SELECT 1 FROM stores WHERE merchant_id = $1 AND id = $2', [merchantId, storeId]);
      if (store.rowCount === 0) throw new TkError('TK_NOT_FOUND', `no store ${storeId}`, { path: '/params/storeId' });
      const failures = await tx.query<{ failures: number }>('SELECT failures FROM pickup_code_failures WHERE merchant_id = $1 AND store_id = $2 AND window_start = $3', [merchantId, storeId, window]);
      if ((failures.rows[0]?.failures ?? 0) >= MAX_FAILURES) return 'rate-limited' as const;
      // One statement: two tills entering the same code at once serialize on the row; the second finds it used.
      const consumed = await tx.query<{ order_id: string }>(
        `UPDATE pickup_codes SET consumed_at = $4 WHERE merchant_id = $1 AND store_id = $2 AND code = $3 AND consumed_at IS NULL AND expires_at > $4 RETURNING order_id`,
        [merchantId, storeId, code, now],
      );
      if (consumed.rows[0]) return { status: 'applied' as const, orderId: consumed.rows[0].order_id };
      const expired = await tx.query<{ order_id: string }>('SELECT order_id FROM pickup_codes WHERE merchant_id = $1 AND store_id = $2 AND code = $3 AND consumed_at IS NULL', [merchantId, storeId, code]);
      await tx.query(
        `INSERT INTO pickup_code_failures (merchant_id, store_id, window_start, failures) VALUES ($1, $2, $3, 1)
         ON CONFLICT (merchant_id, store_id, window_start) DO UPDATE SET failures = pickup_code_failures.failures + 1`,
        [merchantId, storeId, window],
      );
      // A used code says no more than an unknown one: the store learns nothing about other orders.
      return expired.rows[0] ? { status: 'rejected' as const, reason: 'expired' as const, orderId: expired.rows[0].order_id } : { status: 'rejected' as const, reason: 'unknown_code' as const, orderId: null };
    });
    if (outcome === 'rate-limited') {
      throw new TkError('TK_RATE_LIMITED', `more than ${MAX_FAILURES} wrong pickup codes at store ${storeId} in ${FAILURE_WINDOW_MS / 60_000} minutes`, {
        hint: 'Check the code with the customer; entering is possible again in the next window.',
      });
    }
    return outcome;
  }
}
