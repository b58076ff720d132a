import { TkError } from '@tongkit/sdk';
import type { Queryable } from '../storage/database.js';
import type { DeadLetter, ReplayedDelivery } from './schemas.js';

/** Dead letters: deliveries that exhausted their attempts, and putting one back in the queue. */

/** The merchant's dead-lettered deliveries, newest first (at most 200). */
export async function listDeadLetters(db: Queryable, merchantId: string): Promise<DeadLetter[]> {
  const { rows } = await db.query<{ event_id: string; install_id: string; type: string; attempts: number; last_error: unknown; created_at: Date }>(
    `SELECT d.event_id, d.install_id, e.type, d.attempts, d.last_error, d.created_at FROM deliveries d
     JOIN events e ON e.merchant_id = d.merchant_id AND e.id = d.event_id
     WHERE d.merchant_id = $1 AND d.status = 'dead' ORDER BY d.created_at DESC LIMIT 200`,
    [merchantId],
  );
  return rows.map((r) => ({ eventId: r.event_id, installId: r.install_id, type: r.type, attempts: r.attempts, lastError: r.last_error, createdAt: r.created_at.toISOString() }));
}

/** Puts a dead-lettered delivery back in the queue with fresh attempts. Idempotent: a delivery not dead stays as it is. */
export async function replayDeadLetter(db: Queryable, merchantId: string, eventId: string, installId: string): Promise<ReplayedDelivery> {
  const { rows } = await db.query<{ status: string }>(
    `UPDATE deliveries SET status = CASE WHEN status = 'dead' THEN 'pending' ELSE status END,
            attempts = CASE WHEN status = 'dead' THEN 0 ELSE attempts END, next_attempt_at = now()
     WHERE merchant_id = $1 AND event_id = $2 AND install_id = $3 RETURNING status`,
    [merchantId, eventId, installId],
  );
  if (!rows[0]) throw new TkError('TK_NOT_FOUND', `no delivery of ${eventId} to ${installId}`);
  return { eventId, installId, status: rows[0].status };
}
