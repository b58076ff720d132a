import { TkError, isTkError, type LedgerResultData } from '@tongkit/sdk';
import type { HostApiBinding, OwnHostCall } from '../../platform/modules/host-module.js';
import type { PointsLedger } from './ledger.js';
import type { LedgerResult, LedgerSource } from './types.js';

/**
 * The ledger's own checks name the service's fields (`/amount`); a plugin passed `ctx.points.<m>(request)`,
 * so its paths are `/0/…` and the amount is `points`.
 */
async function asHostCall<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isTkError(error) && error.code === 'TK_VALIDATION' && error.path !== undefined) {
      const path = `/0${error.path === '/amount' ? '/points' : error.path}`;
      throw new TkError('TK_VALIDATION', error.message, { fault: 'plugin', path });
    }
    throw error;
  }
}

/**
 * The install is the source of its changes and the scope of its keys. Its `points.changed` events are
 * one step deeper than the event whose handler made the call, so a grant → points.changed → grant loop
 * stops at the dispatcher's limit: the call scope carries the delivered event's depth.
 */
const sourceOf = (call: OwnHostCall): LedgerSource => ({ kind: 'install', id: call.installId, causationDepth: (call.causationDepth ?? 0) + 1 });
const reasonOf = (call: OwnHostCall, reason: string | undefined) => reason ?? `by ${call.plugin}`;
const toData = (result: LedgerResult): LedgerResultData => result as LedgerResultData;

/**
 * `ctx.points`, each mutation in its own short transaction (never the delivery batch's: a member's row
 * lock must not wait for 50 handlers while a till waits for it). The ledger claims the idempotency key
 * in that transaction itself, scoped to (merchant, install, key) like an operator's (merchant, operator,
 * key), and keeps rejections as results; so runHostCall's record would only duplicate it.
 */
export function pointsHostApi(ledger: PointsLedger): HostApiBinding<'points'> {
  return {
    transaction: 'own',
    handlers: {
      grant: (call, request) =>
        asHostCall(async () =>
          toData(
            await ledger.grant({
              merchantId: call.merchantId,
              memberId: request.memberId,
              amount: request.points,
              ...(request.account === undefined ? {} : { account: request.account }),
              expiresAt: request.expiresAt ?? null,
              reason: reasonOf(call, request.reason),
              source: sourceOf(call),
              idempotencyKey: request.idempotencyKey,
            }),
          ),
        ),
      freeze: (call, request) =>
        asHostCall(async () =>
          toData(
            await ledger.freeze({
              merchantId: call.merchantId,
              memberId: request.memberId,
              amount: request.points,
              ...(request.ttlMs === undefined ? {} : { ttlMs: request.ttlMs }),
              reason: reasonOf(call, request.reason),
              source: sourceOf(call),
              idempotencyKey: request.idempotencyKey,
            }),
          ),
        ),
      confirm: (call, request) => asHostCall(async () => toData(await ledger.confirm({ merchantId: call.merchantId, holdId: request.holdId, source: sourceOf(call), idempotencyKey: request.idempotencyKey }))),
      release: (call, request) => asHostCall(async () => toData(await ledger.release({ merchantId: call.merchantId, holdId: request.holdId, source: sourceOf(call), idempotencyKey: request.idempotencyKey }))),
      balance: (call, memberId) =>
        asHostCall(async () => {
          const { points, growth } = await ledger.memberPoints(call.merchantId, memberId);
          return { memberId, points, growth };
        }),
    },
  };
}
