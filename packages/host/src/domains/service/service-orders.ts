import { randomUUID } from 'node:crypto';
import { checkServicePlan, repriceStages, singleFullPaymentPlan, stageAmounts, TkError, withinDepositLimit, type ServiceMutationResult, type ServiceOrder, type ServiceStagePlan } from '@tongkit/sdk';
import type { Database, Queryable } from '../../platform/storage/database.js';
import type { PublishInTransaction } from '../domain-events.js';
import type { Orders } from '../orders/orders.js';
import { isPaidState } from './stage-machine.js';
import { ServiceStore, type ServiceOrderRow } from './service-store.js';
import { moveStage, settleStages, type LockedOrder, type TransitionBy } from './stage-transitions.js';

/** The decision of the `service.plan` point for an order (the plugin's, or the fallback's). */
export interface PlanDecision {
  stages: ServiceStagePlan[];
  source: ServiceOrderRow['plan_source'];
  installId: string | null;
}

/** Asks the `service.plan` point for an order's stages (the host's extension invoker in production). */
export type ServicePlanner = (merchantId: string, input: Record<string, unknown>, storeId: string | undefined) => Promise<PlanDecision>;

/** Who cancels: the buyer forfeits non-refundable paid stages; the merchant refunds every paid stage. */
export type CancelledBy = 'buyer' | 'merchant';

const notFound = (id: string) => new TkError('TK_NOT_FOUND', `no service order ${id.slice(0, 64)}`);
const rejected = (code: string, message: string, order: ServiceOrder): ServiceMutationResult => ({ result: 'rejected', code, message, order });

/**
 * Service orders (服务通): an order of kind `service` split into payment stages by the `service.plan`
 * point; the stage state machine, re-pricing, cancellation and payment intents. Every change locks the
 * service order's row first, so two requests on one order apply one after the other, and writes its
 * transitions and events in the same transaction. Payments arrive through {@link PaymentCallbacks}.
 */
export class ServiceOrders {
  constructor(
    private readonly db: Database,
    private readonly orders: Orders,
    private readonly publishIn: PublishInTransaction,
    private readonly planner: ServicePlanner,
  ) {}

  /**
   * Makes the service order of an order of kind `service` (TK_NOT_FOUND for another merchant's order,
   * TK_VALIDATION for a goods order). Its stages come from `service.plan`; a plan that fails the checks
   * is replaced by the single full payment (logged by the invoker). Again for the same order: `duplicate`.
   */
  async create(merchantId: string, orderId: string): Promise<ServiceMutationResult> {
    const order = await this.orders.get(merchantId, orderId);
    if (order.kind !== 'service') throw new TkError('TK_VALIDATION', `order ${orderId} is a ${order.kind} order, not a service order`, { path: '/orderId' });
    const existing = await new ServiceStore(this.db).order(merchantId, orderId);
    if (existing) return { result: 'duplicate', order: await this.get(merchantId, orderId) };
    const largest = [...order.lines].sort((a, b) => b.netFen - a.netFen)[0];
    const decision = await this.planner(
      merchantId,
      {
        order: {
          id: order.id,
          totalFen: order.totalFen,
          channel: order.channel,
          storeId: order.storeId,
          lines: order.lines.map((l) => ({ sku: l.sku, category: l.category, quantity: l.quantity, netFen: l.netFen })),
          category: largest?.category ?? '',
        },
        member: order.memberId === null ? null : { id: order.memberId, tierId: null },
        now: new Date().toISOString(),
      },
      order.storeId ?? undefined,
    );
    // The runtime checked the plugin's output already; checked again so no path can store a bad plan.
    const plan = checkServicePlan(decision.stages, order.totalFen).length === 0 ? decision : { stages: singleFullPaymentPlan(), source: 'fallback' as const, installId: decision.installId };
    const amounts = stageAmounts(order.totalFen, plan.stages.map((s) => s.ratioBps));
    return this.db.transaction(async (tx) => {
      const store = new ServiceStore(tx);
      const inserted = await store.insertOrder({ merchantId, id: orderId, memberId: order.memberId, totalFen: order.totalFen, planSource: plan.source, planInstallId: plan.installId });
      if (!inserted) return { result: 'duplicate', order: await this.read(tx, merchantId, orderId) };
      await store.insertStages(
        merchantId,
        orderId,
        plan.stages.map((s, i) => ({
          stage_no: i + 1,
          kind: s.kind,
          label: s.label ?? null,
          ratio_bps: s.ratioBps,
          amount_fen: amounts[i]!,
          needs_appointment: s.needsAppointment,
          refundable: s.refundable,
          due: s.due,
          state: 'pending',
        })),
      );
      const locked = await this.lock(tx, merchantId, orderId);
      await settleStages(locked);
      return { result: 'applied', order: await this.read(tx, merchantId, orderId) };
    });
  }

  /** A service order with its stages, intents, callbacks and history; another merchant's is TK_NOT_FOUND. */
  async get(merchantId: string, orderId: string, db: Queryable = this.db): Promise<ServiceOrder> {
    return this.read(db, merchantId, orderId);
  }

  /**
   * Moves a stage to `scheduled` or `completed` (a merchant, or a plugin through `ctx.service.advance`).
   * Never to `paid`: only a verified payment does. An illegal move is TK_CONFLICT naming the current
   * state; a stage already in the target state is `duplicate`.
   */
  async advance(merchantId: string, orderId: string, stageNo: number, to: 'scheduled' | 'completed', by: TransitionBy, tx?: Queryable): Promise<ServiceMutationResult> {
    if ((to as string) === 'paid') throw new TkError('TK_FORBIDDEN', 'only a verified payment moves a stage to paid', { path: '/to' });
    return this.inOrder(merchantId, orderId, tx, async (locked) => {
      const stage = locked.stages.find((s) => s.stage_no === stageNo);
      if (!stage) throw new TkError('TK_NOT_FOUND', `service order ${orderId} has no stage ${stageNo}`, { path: '/stageNo' });
      if (stage.state === to) return 'duplicate';
      if (to === 'scheduled' && !stage.needs_appointment) {
        throw new TkError('TK_CONFLICT', `stage ${stageNo} needs no appointment: it cannot be scheduled`, { path: '/to', details: { stageNo, state: stage.state } });
      }
      await moveStage(locked, stage, to, by);
      await settleStages(locked);
      return 'applied';
    });
  }

  /**
   * Re-prices the order (after measurement): only unpaid stages change (see `repriceStages`), their open
   * payment intents are voided, and the deposit limit is kept. Refused (a result, not an error) below
   * what is paid, when everything is paid, or when the deposit would pass 20 % of the new total.
   */
  async reprice(merchantId: string, orderId: string, totalFen: number, reason: string, actor: string): Promise<ServiceMutationResult> {
    return this.db.transaction(async (tx) => {
      const locked = await this.lock(tx, merchantId, orderId);
      if (locked.order.status !== 'open') return rejected('order_closed', `service order ${orderId} is ${locked.order.status}`, await this.read(tx, merchantId, orderId));
      const outcome = repriceStages(
        locked.stages.map((s) => ({ ratioBps: s.ratio_bps, amountFen: s.amount_fen, paid: isPaidState(s.state) || s.state === 'refunded' || s.state === 'cancelled' })),
        totalFen,
      );
      if (!outcome.ok) return rejected(outcome.reason, outcome.message, await this.read(tx, merchantId, orderId));
      const nonRefundableFen = locked.stages.reduce((sum, s, i) => sum + (s.refundable ? 0 : outcome.amountsFen[i]!), 0);
      if (!withinDepositLimit(totalFen, nonRefundableFen)) {
        return rejected('deposit_over_limit', `non-refundable stages would be ${nonRefundableFen} fen, above 20 % of ${totalFen} fen`, await this.read(tx, merchantId, orderId));
      }
      const changed = locked.stages.filter((s, i) => s.amount_fen !== outcome.amountsFen[i]);
      if (changed.length === 0 && locked.order.total_fen === totalFen) return { result: 'duplicate', order: await this.read(tx, merchantId, orderId) };
      for (const stage of changed) await locked.store.setAmount(merchantId, orderId, stage.stage_no, outcome.amountsFen[locked.stages.indexOf(stage)]!);
      await locked.store.voidOpenIntents(merchantId, orderId, changed.map((s) => s.stage_no));
      await locked.store.setOrder(merchantId, orderId, { totalFen });
      await tx.query(
        `INSERT INTO service_stage_transitions (merchant_id, order_id, stage_no, from_state, to_state, actor, reason)
         SELECT merchant_id, order_id, stage_no, state, state, $3, $4 FROM service_stages WHERE merchant_id = $1 AND order_id = $2 AND stage_no = ANY($5::int[])`,
        [merchantId, orderId, actor, `re-priced to ${totalFen} fen: ${reason}`, changed.map((s) => s.stage_no)],
      );
      for (const stage of changed) stage.amount_fen = outcome.amountsFen[locked.stages.indexOf(stage)]!;
      await settleStages(locked);
      return { result: 'applied', order: await this.read(tx, merchantId, orderId) };
    });
  }

  /**
   * Cancels the order. By the buyer: refundable paid stages are refunded, non-refundable ones forfeited
   * (cancelled, money kept). By the merchant: every paid stage is refunded. Unpaid stages are cancelled,
   * completed ones stay; open intents are voided. Again: `duplicate`.
   */
  async cancel(merchantId: string, orderId: string, by: CancelledBy, reason: string, actor: string): Promise<ServiceMutationResult> {
    return this.inOrder(merchantId, orderId, undefined, async (locked) => {
      if (locked.order.status === 'cancelled') return 'duplicate';
      if (locked.order.status === 'completed') throw new TkError('TK_CONFLICT', `service order ${orderId} is completed: it cannot be cancelled`, { path: '/by' });
      const cancellation = (why: string): TransitionBy => ({ cause: 'cancellation', actor, reason: `cancelled by the ${by}: ${reason}${why}` });
      for (const stage of locked.stages) {
        if (stage.state === 'pending' || stage.state === 'payable') await moveStage(locked, stage, 'cancelled', cancellation(''));
        else if (stage.state === 'paid' || stage.state === 'scheduled') {
          if (by === 'merchant' || stage.refundable) {
            await this.refundStage(locked, stage.stage_no, stage.paid_fen, reason);
            await moveStage(locked, stage, 'refunded', cancellation(''));
          } else {
            await moveStage(locked, stage, 'cancelled', cancellation(' (non-refundable: forfeited)'));
          }
        }
      }
      await locked.store.voidOpenIntents(merchantId, orderId, locked.stages.map((s) => s.stage_no));
      await locked.store.setOrder(merchantId, orderId, { status: 'cancelled' });
      return 'applied';
    });
  }

  /**
   * The payment intent for a payable stage's exact amount (the open one if it exists: `duplicate`).
   * A stage that is not payable is `rejected` with `stage_not_payable`.
   */
  async pay(merchantId: string, orderId: string, stageNo: number): Promise<ServiceMutationResult & { intentId?: string }> {
    return this.db.transaction(async (tx) => {
      const locked = await this.lock(tx, merchantId, orderId);
      const stage = locked.stages.find((s) => s.stage_no === stageNo);
      if (!stage) throw new TkError('TK_NOT_FOUND', `service order ${orderId} has no stage ${stageNo}`, { path: '/stageNo' });
      if (stage.state !== 'payable') return { ...rejected('stage_not_payable', `stage ${stageNo} is ${stage.state}, not payable`, await this.read(tx, merchantId, orderId)) };
      const open = await locked.store.openIntent(merchantId, orderId, stageNo);
      if (open) return { result: 'duplicate', intentId: open.id, order: await this.read(tx, merchantId, orderId) };
      const intentId = `pi_${randomUUID().replaceAll('-', '')}`;
      await locked.store.insertIntent(merchantId, intentId, orderId, stageNo, stage.amount_fen);
      return { result: 'applied', intentId, order: await this.read(tx, merchantId, orderId) };
    });
  }

  /** Refunds a stage's money through the provider (the fake provider refunds at once). */
  private async refundStage(locked: LockedOrder, stageNo: number, amountFen: number, reason: string): Promise<void> {
    if (amountFen === 0) return;
    const { merchant_id: merchantId, id: orderId } = locked.order;
    const payment = (await locked.store.paymentOfStage(merchantId, orderId, stageNo)) ?? 'none';
    await locked.store.insertRefund(merchantId, { id: `re_${randomUUID().replaceAll('-', '')}`, providerPaymentId: payment, orderId, stageNo, amountFen, reason });
  }

  private async inOrder(merchantId: string, orderId: string, tx: Queryable | undefined, change: (locked: LockedOrder) => Promise<'applied' | 'duplicate'>): Promise<ServiceMutationResult> {
    const run = async (q: Queryable) => {
      const locked = await this.lock(q, merchantId, orderId);
      const result = await change(locked);
      return { result, order: await this.read(q, merchantId, orderId) };
    };
    return tx ? run(tx) : this.db.transaction(run);
  }

  /** Locks the order's row (the lock every change of its stages is made under) and reads its stages. */
  async lock(tx: Queryable, merchantId: string, orderId: string): Promise<LockedOrder> {
    const store = new ServiceStore(tx);
    const order = await store.lockOrder(merchantId, orderId);
    if (!order) throw notFound(orderId);
    return { tx, store, publishIn: this.publishIn, order, stages: await store.stages(merchantId, orderId) };
  }

  private async read(db: Queryable, merchantId: string, orderId: string): Promise<ServiceOrder> {
    const store = new ServiceStore(db);
    const order = await store.order(merchantId, orderId);
    if (!order) throw notFound(orderId);
    // One after the other: `db` may be a transaction's one connection.
    const stages = await store.stages(merchantId, orderId);
    const intents = await store.intents(merchantId, orderId);
    const callbacks = await store.callbacksOfOrder(merchantId, orderId);
    const history = await store.history(merchantId, orderId);
    return {
      id: order.id,
      memberId: order.member_id,
      totalFen: order.total_fen,
      paidFen: stages.reduce((sum, s) => sum + s.paid_fen, 0),
      status: order.status,
      planSource: order.plan_source,
      stages: stages.map((s) => ({
        stageNo: s.stage_no,
        kind: s.kind,
        label: s.label,
        ratioBps: s.ratio_bps,
        amountFen: s.amount_fen,
        paidFen: s.paid_fen,
        refundedFen: s.refunded_fen,
        needsAppointment: s.needs_appointment,
        refundable: s.refundable,
        due: s.due,
        state: s.state,
      })),
      intents: intents.map((i) => ({ id: i.id, stageNo: i.stage_no, amountFen: i.amount_fen, status: i.status, createdAt: i.created_at.toISOString() })),
      callbacks: callbacks.map((c) => ({
        providerPaymentId: c.provider_payment_id,
        intentId: c.intent_id,
        amountFen: c.amount_fen,
        outcome: c.outcome,
        reason: c.reason,
        refundStatus: c.refund_status,
        receivedAt: c.received_at.toISOString(),
      })),
      history: history.map((h) => ({ stageNo: h.stage_no, from: h.from_state, to: h.to_state, actor: h.actor, reason: h.reason, at: h.at.toISOString() })),
      createdAt: order.created_at.toISOString(),
    };
  }
}
