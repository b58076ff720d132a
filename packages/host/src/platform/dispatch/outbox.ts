import { randomUUID } from 'node:crypto';
import { TkError, type EventName } from '@tongkit/sdk';
import type { Queryable } from '../storage/database.js';
import { TIER_ALLOWS_PLUGIN } from '../tenancy/merchant-tier.js';
import type { PublishedEvent } from './schemas.js';

/** An event to publish: its id (generated when absent), type, data, and when its fact happened. */
export interface PublishableEvent {
  id?: string | undefined;
  type: EventName;
  data: Record<string, unknown>;
  /** When the fact happened (paidAt, refundedAt): handlers get it as occurredAt. Default: now. */
  occurredAt?: Date | undefined;
}

/**
 * Events the host sends to one install only (a cron slot, an install's own creation and backfill
 * pages): never fanned out to a merchant's installs, so nobody can publish them to all of them.
 */
export const INSTALL_SCOPED_EVENTS: readonly string[] = ['schedule.fired', 'install.created', 'install.backfill'];

/**
 * The outbox: publishes an event inside the caller's transaction, so it exists, with its deliveries to
 * every active install subscribed to it, only if the caller's domain write commits. Idempotent by the
 * event's id (per merchant); a chain of events caused by handlers stops at `maxCausationDepth`.
 */
export async function publishInOutbox(tx: Queryable, merchantId: string, event: PublishableEvent, causationDepth: number, maxCausationDepth: number): Promise<PublishedEvent> {
  if (causationDepth > maxCausationDepth) {
    throw new TkError('TK_CONFLICT', `event chain deeper than ${maxCausationDepth}: a plugin loop (e.g. grant → points.changed → grant) was stopped`, {
      fault: 'plugin',
    });
  }
  if (INSTALL_SCOPED_EVENTS.includes(event.type)) {
    throw new TkError('TK_VALIDATION', `${event.type} is sent by the host to one install only; it cannot be published to the merchant's installs`, {
      path: '/type',
      hint: 'Publish a domain event (order.paid, member.registered, …) or an event of your own type instead.',
    });
  }
  const id = event.id ?? `evt_${randomUUID().replaceAll('-', '')}`;
  // Event ids are the merchant's own: another merchant's use of an id neither blocks nor shows here.
  const inserted = await tx.query(
    `INSERT INTO events (merchant_id, id, type, data, causation_depth, occurred_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (merchant_id, id) DO NOTHING`,
    [merchantId, id, event.type, event.data, causationDepth, event.occurredAt ?? null],
  );
  if (inserted.rowCount === 0) {
    const { rows } = await tx.query<{ type: EventName; n: number }>(
      `SELECT e.type, (SELECT count(*)::int FROM deliveries d WHERE d.merchant_id = e.merchant_id AND d.event_id = e.id) AS n
       FROM events e WHERE e.merchant_id = $1 AND e.id = $2`,
      [merchantId, id],
    );
    if (rows[0]?.type !== event.type) {
      throw new TkError('TK_CONFLICT', `event id ${id} is already used by another of your events${rows[0] ? `, of type ${rows[0].type}` : ''}`, {
        path: '/id',
        hint: 'Publishing is idempotent by id: reuse an id only to resend the same event, or leave `id` out to have one generated.',
      });
    }
    return { id, type: event.type, merchantId, deliveries: rows[0].n, duplicate: true };
  }
  const deliveries = await tx.query(
    `INSERT INTO deliveries (merchant_id, event_id, install_id)
     SELECT merchant_id, $2, id FROM installs WHERE merchant_id = $1 AND status = 'active' AND $3 = ANY(enabled_events) AND ${TIER_ALLOWS_PLUGIN}
       -- A member's erasure goes to the installs that could read members (member:read), and only to them.
       AND ($3 <> 'member.redact' OR 'member:read' = ANY(granted_permissions))`,
    [merchantId, id, event.type],
  );
  return { id, type: event.type, merchantId, deliveries: deliveries.rowCount, duplicate: false };
}
