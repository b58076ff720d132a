import type { Queryable } from '../../platform/storage/database.js';
import { emitDomainEvent, type PublishInTransaction } from '../domain-events.js';
import { assertTransition, type StageState, type TransitionCause } from './stage-machine.js';
import { ServiceStore, type ServiceOrderRow, type StageRow } from './service-store.js';

/** One service order locked for a change: every transition happens under its row lock, in `tx`. */
export interface LockedOrder {
  readonly tx: Queryable;
  readonly store: ServiceStore;
  readonly publishIn: PublishInTransaction;
  readonly order: ServiceOrderRow;
  /** The order's stages, kept in step with each transition. */
  readonly stages: StageRow[];
}

/** Who made a transition and why: recorded with it and carried by its event. */
export interface TransitionBy {
  cause: TransitionCause;
  /** `merchant:<id>`, `plugin:<install>`, `provider:<payment>`, `buyer`, `host`. */
  actor: string;
  reason: string;
  /** The provider payment that paid the stage (payable → paid by a payment). */
  providerPaymentId?: string;
}

/**
 * Moves a stage to `to`: validated by the machine (TK_CONFLICT naming the current state), recorded with
 * who/when/why, and emitted — `service.stage.changed`, plus `service.stage.paid` / `.refunded` /
 * `.completed` for the money and work facts — in the same transaction.
 */
export async function moveStage(locked: LockedOrder, stage: StageRow, to: StageState, by: TransitionBy): Promise<void> {
  const from = stage.state;
  assertTransition(stage.stage_no, from, to, by.cause);
  const { merchant_id: merchantId, id: orderId } = locked.order;
  const money = to === 'paid' && from === 'payable' ? { paidFen: stage.amount_fen } : to === 'refunded' ? { refundedFen: stage.paid_fen } : {};
  await locked.store.setState(merchantId, orderId, stage.stage_no, from, to, money);
  stage.state = to;
  if (money.paidFen !== undefined) stage.paid_fen = money.paidFen;
  if (money.refundedFen !== undefined) stage.refunded_fen = money.refundedFen;
  const { seq, at } = await locked.store.recordTransition(merchantId, orderId, { stageNo: stage.stage_no, from, to, actor: by.actor, reason: by.reason });
  const facts = { orderId, stageNo: stage.stage_no, kind: stage.kind, memberId: locked.order.member_id, amountFen: stage.amount_fen };
  const idOf = (type: string) => `${type}:${orderId}:${stage.stage_no}:${seq}`;
  await emitDomainEvent(locked.publishIn, locked.tx, merchantId, {
    id: idOf('service.stage.changed'),
    type: 'service.stage.changed',
    data: { ...facts, from, to, actor: by.actor, reason: by.reason, at: at.toISOString() },
    occurredAt: at,
  });
  if (money.paidFen !== undefined) {
    await emitDomainEvent(locked.publishIn, locked.tx, merchantId, {
      id: idOf('service.stage.paid'),
      type: 'service.stage.paid',
      data: { ...facts, providerPaymentId: by.providerPaymentId ?? 'none', paidAt: at.toISOString() },
      occurredAt: at,
    });
  }
  if (to === 'refunded') {
    await emitDomainEvent(locked.publishIn, locked.tx, merchantId, {
      id: idOf('service.stage.refunded'),
      type: 'service.stage.refunded',
      data: { ...facts, amountFen: stage.refunded_fen, refundedAt: at.toISOString(), reason: by.reason },
      occurredAt: at,
    });
  }
  if (to === 'completed') {
    await emitDomainEvent(locked.publishIn, locked.tx, merchantId, { id: idOf('service.stage.completed'), type: 'service.stage.completed', data: { ...facts, completedAt: at.toISOString() }, occurredAt: at });
  }
}

/**
 * Makes the stages that fell due payable (`on_creation` at once, `after_previous_completes` when the
 * stage before is completed, `after_completion` — the final payment — when every earlier stage is),
 * pays the due stages with nothing to pay (a 0 % stage is never charged), and completes the order when
 * every stage is completed. Runs after every change, until nothing moves.
 */
export async function settleStages(locked: LockedOrder): Promise<void> {
  if (locked.order.status !== 'open') return;
  const host = (reason: string): TransitionBy => ({ cause: 'host', actor: 'host', reason });
  for (const [index, stage] of locked.stages.entries()) {
    const earlier = locked.stages.slice(0, index);
    if (stage.state === 'pending') {
      const due =
        stage.due === 'on_creation' ||
        (stage.due === 'after_previous_completes' && (index === 0 || earlier[index - 1]!.state === 'completed')) ||
        (stage.due === 'after_completion' && earlier.every((s) => s.state === 'completed'));
      if (due) await moveStage(locked, stage, 'payable', host(`due: ${stage.due}`));
    }
    if (stage.state === 'payable' && stage.amount_fen === 0) await moveStage(locked, stage, 'paid', host('nothing to pay: the stage amount is 0'));
  }
  if (locked.stages.every((s) => s.state === 'completed')) {
    await locked.store.setOrder(locked.order.merchant_id, locked.order.id, { status: 'completed' });
    locked.order.status = 'completed';
  }
}
