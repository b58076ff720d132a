import { TkError, type EventData, type EventName } from '@tongkit/sdk';
import { eventDataError } from '../platform/dispatch/event-data.js';
import type { HostPlatform } from '../platform/modules/host-module.js';
import type { Queryable } from '../platform/storage/database.js';

/** Writes an event to the outbox inside the caller's transaction (the platform's `publishIn`). */
export type PublishInTransaction = HostPlatform['publishIn'];

/**
 * Emits a domain event in the caller's transaction after checking its data against the SDK's payload
 * schema: what the host emits is what handlers are typed to receive. A payload that does not match is
 * the host's bug (TK_INTERNAL), and the transaction with the change it announces rolls back.
 */
export async function emitDomainEvent<E extends EventName>(
  publishIn: PublishInTransaction,
  tx: Queryable,
  merchantId: string,
  event: { id: string; type: E; data: EventData<E>; occurredAt: Date },
): Promise<{ id: string; duplicate: boolean }> {
  const invalid = eventDataError(event.type, event.data);
  if (invalid) {
    throw new TkError('TK_INTERNAL', `the host built an invalid ${event.type} event: ${invalid.message} at ${invalid.path || '/'}`, {
      details: { type: event.type, path: invalid.path },
    });
  }
  return publishIn(tx, merchantId, { id: event.id, type: event.type, data: event.data as Record<string, unknown>, occurredAt: event.occurredAt });
}
