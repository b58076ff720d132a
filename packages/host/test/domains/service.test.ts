// 服务通 as a spec: service orders split into stages, the stage machine, signed payment callbacks,
// re-pricing and cancellation — on real PostgreSQL, through the services the routes use.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceOrder, ServiceStagePlan, TkError } from '@tongkit/sdk';
import { signCallback } from '../../src/domains/service/callback-signature.js';
import { PaymentCallbacks } from '../../src/domains/service/payments.js';
import { ServiceOrders, type PlanDecision } from '../../src/domains/service/service-orders.js';
import { isAllowedTransition, type StageState } from '../../src/domains/service/stage-machine.js';
import { eventsOf, startDomainHost, type DomainHost } from './support.js';

let host: DomainHost;
let service: ServiceOrders;
let payments: PaymentCallbacks;
/** The plan the `service.plan` point decides for the next order (a plugin's decision, as the invoker returns it). */
let nextPlan: PlanDecision;

const stage = (kind: ServiceStagePlan['kind'], ratioBps: number, extra: Partial<ServiceStagePlan> = {}): ServiceStagePlan => ({
  kind,
  ratioBps,
  needsAppointment: false,
  refundable: true,
  due: 'after_previous_completes',
  ...extra,
});
/** A furniture plan: 10 % deposit (non-refundable), 10 % measurement, 30 % design, 0 % install booking, 50 % final. */
const furniture: ServiceStagePlan[] = [
  stage('design_order', 1_000, { refundable: false, due: 'on_creation' }),
  stage('measurement', 1_000, { needsAppointment: true }),
  stage('design_delivery', 3_000),
  stage('install_appointment', 0, { needsAppointment: true }),
  stage('installation', 5_000, { needsAppointment: true, due: 'after_completion' }),
];

beforeAll(async () => {
  host = await startDomainHost();
  await host.database.db.query(`UPDATE merchants SET is_development = true`);
  const s = host.services;
  service = new ServiceOrders(s.db, s.orders, (tx, m, e, d) => s.dispatcher.publishIn(tx, m, e, d), async () => nextPlan);
  payments = new PaymentCallbacks(s.db, service);
});
afterAll(() => host.close());

let seq = 0;
async function serviceOrder(totalFen: number, plan: ServiceStagePlan[] = furniture, merchantId = 'acme'): Promise<ServiceOrder> {
  const id = `svc-${++seq}`;
  await host.services.orders.create(merchantId, {
    id,
    kind: 'service',
    channel: 'store',
    storeId: `${merchantId}-sh`,
    lines: [{ sku: 'wardrobe', title: 'Custom wardrobe', category: 'furniture', quantity: 1, unitPriceFen: totalFen }],
    payments: totalFen > 0 ? [{ method: 'card', amountFen: totalFen }] : [],
    paidAt: '2026-12-01T10:00:00Z',
  });
  nextPlan = { stages: plan, source: 'plugin', installId: null };
  const created = await service.create(merchantId, id);
  expect(created.result).toBe('applied');
  return created.order;
}

/** Pays a stage the way production does: an intent, the fake provider's signed callback, the callback handler. */
async function payStage(order: ServiceOrder, stageNo: number, options: { amountFen?: number; paymentId?: string } = {}) {
  const intent = await service.pay('acme', order.id, stageNo);
  if (!intent.intentId) throw new Error(`stage ${stageNo} not payable: ${intent.code}`);
  const signed = await payments.fakeCapture('acme', intent.intentId, options);
  return { outcome: await payments.receive(signed.headers, signed.body), signed, intentId: intent.intentId };
}

const byMerchant = (reason: string) => ({ cause: 'merchant' as const, actor: 'merchant:acme', reason });
const snapshot = async (id: string) => {
  const order = await service.get('acme', id);
  return { stages: order.stages, intents: order.intents, status: order.status, totalFen: order.totalFen, history: order.history.length };
};

describe('creating a service order', () => {
  it('splits the total by the plan, remainder to the last non-zero stage, the deposit payable at once', async () => {
    const order = await serviceOrder(1_000_001);
    expect(order.stages.map((s) => s.amountFen)).toEqual([100_000, 100_000, 300_000, 0, 500_001]);
    expect(order.stages.map((s) => s.state)).toEqual(['payable', 'pending', 'pending', 'pending', 'pending']);
    expect(order.history[0]).toMatchObject({ stageNo: 1, from: 'pending', to: 'payable', actor: 'host', reason: 'due: on_creation' });
    expect((await service.create('acme', order.id)).result).toBe('duplicate');
  });

  it('applies the single full payment when the plan breaks the rules (deposit above 20 %)', async () => {
    const order = await serviceOrder(50_000, [stage('design_order', 3_000, { refundable: false, due: 'on_creation' }), stage('installation', 7_000)]);
    expect(order.planSource).toBe('fallback');
    expect(order.stages).toEqual([expect.objectContaining({ ratioBps: 10_000, amountFen: 50_000, refundable: true, state: 'payable' })]);
  });

  it('refuses a goods order, and answers another merchant’s order with TK_NOT_FOUND', async () => {
    const order = await serviceOrder(10_000);
    await expect(service.create('globex', order.id)).rejects.toMatchObject({ code: 'TK_NOT_FOUND' });
    await expect(service.get('globex', order.id)).rejects.toMatchObject({ code: 'TK_NOT_FOUND' });
    await expect(service.pay('globex', order.id, 1)).rejects.toMatchObject({ code: 'TK_NOT_FOUND' });
    await expect(service.advance('globex', order.id, 1, 'completed', byMerchant('x'))).rejects.toMatchObject({ code: 'TK_NOT_FOUND' });
    await expect(service.reprice('globex', order.id, 1, 'x', 'merchant:globex')).rejects.toMatchObject({ code: 'TK_NOT_FOUND' });
    await expect(service.cancel('globex', order.id, 'merchant', 'x', 'merchant:globex')).rejects.toMatchObject({ code: 'TK_NOT_FOUND' });
    await host.services.orders.create('acme', {
      id: 'goods-1', kind: 'goods', channel: 'online', lines: [{ sku: 'a', title: 'A', category: 'c', quantity: 1, unitPriceFen: 100 }], payments: [{ method: 'card', amountFen: 100 }], paidAt: '2026-12-01T10:00:00Z',
    });
    await expect(service.create('acme', 'goods-1')).rejects.toMatchObject({ code: 'TK_VALIDATION', path: '/orderId' });
  });
});

describe('paying a stage', () => {
  it('pays the stage by a verified callback, records who paid, and emits the money fact once', async () => {
    const order = await serviceOrder(200_000);
    const { outcome } = await payStage(order, 1, { paymentId: 'pay-deposit-1' });
    expect(outcome).toEqual({ result: 'applied' });
    const paid = await service.get('acme', order.id);
    expect(paid.stages[0]).toMatchObject({ state: 'paid', paidFen: 20_000 });
    expect(paid.paidFen).toBe(20_000);
    expect(paid.history.at(-1)).toMatchObject({ from: 'payable', to: 'paid', actor: 'provider:pay-deposit-1' });
    const facts = (await eventsOf(host, 'acme', 'service.stage.paid')).filter((e) => e.data['orderId'] === order.id);
    expect(facts.map((e) => e.data)).toEqual([expect.objectContaining({ stageNo: 1, amountFen: 20_000, providerPaymentId: 'pay-deposit-1' })]);
    expect((await eventsOf(host, 'acme', 'service.stage.changed')).filter((e) => e.data['orderId'] === order.id)).toHaveLength(2);
  });

  it('changes nothing for a forged, expired, unknown-kid or replayed callback', async () => {
    const order = await serviceOrder(200_000);
    const intent = await service.pay('acme', order.id, 1);
    const signed = await payments.fakeCapture('acme', intent.intentId!, { paymentId: 'pay-forge' });
    const before = await snapshot(order.id);
    const forged = { ...signed.headers, signature: signCallback(Buffer.alloc(32, 7), Number(signed.headers['t']), signed.body) };
    await expect(payments.receive(forged, signed.body)).rejects.toMatchObject({ code: 'TK_UNAUTHORIZED' });
    await expect(payments.receive(signed.headers, signed.body.replace('20000', '20001'))).rejects.toMatchObject({ code: 'TK_UNAUTHORIZED' });
    await expect(payments.receive({ ...signed.headers, kid: 'k_nobody' }, signed.body)).rejects.toMatchObject({ code: 'TK_UNAUTHORIZED' });
    const old = await payments.fakeCapture('acme', intent.intentId!, { paymentId: 'pay-old', now: new Date(Date.now() - 301_000) });
    await expect(payments.receive(old.headers, old.body)).rejects.toMatchObject({ code: 'TK_UNAUTHORIZED', message: expect.stringMatching(/300 s/) });
    await expect(payments.receive({ ...signed.headers, signature: 'zz' }, signed.body)).rejects.toMatchObject({ code: 'TK_UNAUTHORIZED' });
    expect(await snapshot(order.id)).toEqual(before);

    expect(await payments.receive(signed.headers, signed.body)).toEqual({ result: 'applied' });
    const after = await snapshot(order.id);
    expect(await payments.receive(signed.headers, signed.body)).toEqual({ result: 'duplicate' });
    expect(await snapshot(order.id)).toEqual(after);
    const { rows } = await host.database.db.query<{ reason: string }>(`SELECT reason FROM payment_callback_rejections ORDER BY id`);
    expect(rows.map((r) => r.reason)).toEqual(expect.arrayContaining(['bad_signature', 'unknown_kid', 'expired', 'replayed']));
  });

  it('records a genuine callback that cannot apply as unmatched and refunds it: wrong amount, a second payment', async () => {
    const order = await serviceOrder(200_000);
    const wrong = await payStage(order, 1, { amountFen: 19_999, paymentId: 'pay-wrong' });
    expect(wrong.outcome).toEqual({ result: 'unmatched', code: 'wrong_amount' });
    expect((await service.get('acme', order.id)).stages[0]!.state).toBe('payable');
    expect((await payStage(order, 1, { paymentId: 'pay-right' })).outcome.result).toBe('applied');
    // The provider captured the same stage again under another payment ID: refunded, never paid twice.
    const again = await payments.fakeCapture('acme', wrong.intentId, { paymentId: 'pay-twice' });
    expect(await payments.receive(again.headers, again.body)).toEqual({ result: 'unmatched', code: 'stage_not_payable' });
    const unmatched = await payments.unmatchedOf('acme');
    expect(unmatched.filter((u) => ['pay-wrong', 'pay-twice'].includes(u.providerPaymentId))).toHaveLength(2);
    expect(unmatched.every((u) => u.refundStatus === 'refunded')).toBe(true);
    const { rows } = await host.database.db.query(`SELECT amount_fen FROM payment_refunds WHERE provider_payment_id IN ('pay-wrong', 'pay-twice') ORDER BY amount_fen`);
    expect(rows.map((r) => Number(r['amount_fen']))).toEqual([19_999, 20_000]);
    expect((await service.get('acme', order.id)).stages[0]).toMatchObject({ state: 'paid', paidFen: 20_000 });
  });

  it('the fake provider pays development merchants only', async () => {
    await host.database.db.query(`UPDATE merchants SET is_development = false WHERE id = 'globex'`);
    await expect(payments.fakeCapture('globex', 'pi_x')).rejects.toMatchObject({ code: 'TK_NOT_FOUND', message: expect.stringMatching(/development merchants only/) });
  });
});

describe('walking the stages', () => {
  it('walks a furniture order to completion; the final payment falls due after everything else', async () => {
    const order = await serviceOrder(1_000_000);
    await payStage(order, 1);
    await service.advance('acme', order.id, 1, 'completed', byMerchant('design order signed'));
    expect((await service.get('acme', order.id)).stages[1]!.state).toBe('payable');
    await payStage(order, 2);
    await service.advance('acme', order.id, 2, 'scheduled', byMerchant('measurement booked'));
    await service.advance('acme', order.id, 2, 'completed', byMerchant('measured'));
    await payStage(order, 3);
    await service.advance('acme', order.id, 3, 'completed', byMerchant('design delivered'));
    // The 0 % installation booking is never charged: the host pays it when it falls due.
    const booking = (await service.get('acme', order.id)).stages[3]!;
    expect(booking).toMatchObject({ state: 'paid', amountFen: 0, paidFen: 0 });
    await service.advance('acme', order.id, 4, 'completed', byMerchant('installation booked'));
    await payStage(order, 5);
    await service.advance('acme', order.id, 5, 'completed', byMerchant('installed'));
    const done = await service.get('acme', order.id);
    expect(done.status).toBe('completed');
    expect(done.paidFen).toBe(1_000_000);
    expect(done.history.every((h) => h.actor.length > 0 && h.reason.length > 0)).toBe(true);
  });

  it('refuses an illegal transition with TK_CONFLICT naming the current state, and never moves a stage to paid', async () => {
    const order = await serviceOrder(100_000);
    const error = (await service.advance('acme', order.id, 2, 'completed', byMerchant('too early')).catch((e: TkError) => e)) as TkError;
    expect(error).toMatchObject({ code: 'TK_CONFLICT', message: expect.stringMatching(/stage 2 is pending/), path: '/to' });
    await expect(service.advance('acme', order.id, 1, 'paid' as 'completed', byMerchant('cheat'))).rejects.toMatchObject({ code: 'TK_FORBIDDEN' });
    await expect(service.advance('acme', order.id, 3, 'scheduled', byMerchant('x'))).rejects.toMatchObject({ code: 'TK_CONFLICT' });
  });

  it('re-prices only unpaid stages and voids their open intents; refuses below paid and when all is paid', async () => {
    const order = await serviceOrder(1_000_000);
    await payStage(order, 1);
    const open = await service.pay('acme', order.id, 1);
    expect(open.result).toBe('rejected');
    await service.advance('acme', order.id, 1, 'completed', byMerchant('ok'));
    const intent = await service.pay('acme', order.id, 2);
    const repriced = await service.reprice('acme', order.id, 1_200_001, 'measured: larger wardrobe', 'merchant:acme');
    expect(repriced.result).toBe('applied');
    expect(repriced.order.stages.map((s) => s.amountFen)).toEqual([100_000, 122_222, 366_667, 0, 611_112]);
    expect(repriced.order.intents.find((i) => i.id === intent.intentId)?.status).toBe('voided');
    // The voided intent's capture is money the provider took: unmatched and refunded.
    const late = await payments.fakeCapture('acme', intent.intentId!, { amountFen: 100_000 });
    expect(await payments.receive(late.headers, late.body)).toEqual({ result: 'unmatched', code: 'intent_voided' });
    expect(await service.reprice('acme', order.id, 99_999, 'x', 'merchant:acme')).toMatchObject({ result: 'rejected', code: 'below_paid' });
    const single = await serviceOrder(5_000, [stage('installation', 10_000, { due: 'on_creation' })]);
    await payStage(single, 1);
    expect(await service.reprice('acme', single.id, 6_000, 'x', 'merchant:acme')).toMatchObject({ result: 'rejected', code: 'everything_paid' });
  });
});

describe('cancelling', () => {
  it('by the buyer: refundable paid stages are refunded, the non-refundable deposit is forfeited', async () => {
    const order = await serviceOrder(1_000_000);
    await payStage(order, 1);
    await service.advance('acme', order.id, 1, 'completed', byMerchant('ok'));
    await payStage(order, 2);
    const cancelled = await service.cancel('acme', order.id, 'buyer', 'changed my mind', 'buyer');
    expect(cancelled.order.status).toBe('cancelled');
    expect(cancelled.order.stages.map((s) => [s.state, s.refundedFen])).toEqual([['completed', 0], ['refunded', 100_000], ['cancelled', 0], ['cancelled', 0], ['cancelled', 0]]);
    expect((await service.cancel('acme', order.id, 'buyer', 'again', 'buyer')).result).toBe('duplicate');
    const refunds = (await eventsOf(host, 'acme', 'service.stage.refunded')).filter((e) => e.data['orderId'] === order.id);
    expect(refunds.map((e) => e.data['amountFen'])).toEqual([100_000]);
  });

  it('by the buyer before completion forfeits the deposit; by the merchant every paid stage is refunded', async () => {
    const buyer = await serviceOrder(100_000);
    await payStage(buyer, 1);
    expect((await service.cancel('acme', buyer.id, 'buyer', 'walked away', 'buyer')).order.stages[0]).toMatchObject({ state: 'cancelled', paidFen: 10_000, refundedFen: 0 });
    const merchant = await serviceOrder(100_000);
    await payStage(merchant, 1);
    expect((await service.cancel('acme', merchant.id, 'merchant', 'cannot deliver', 'merchant:acme')).order.stages[0]).toMatchObject({ state: 'refunded', refundedFen: 10_000 });
  });
});

describe('properties on PostgreSQL', () => {
  const STATES: StageState[] = ['pending', 'payable', 'paid', 'scheduled', 'completed', 'cancelled', 'refunded'];

  it('any sequence of operations follows the machine or is refused; paid amounts never change; forged and replayed callbacks change nothing', async () => {
    type Op =
      | { op: 'pay'; stageNo: number; amountDelta: number }
      | { op: 'replay' }
      | { op: 'forge'; stageNo: number }
      | { op: 'advance'; stageNo: number; to: 'scheduled' | 'completed' }
      | { op: 'reprice'; totalFen: number }
      | { op: 'cancel'; by: 'buyer' | 'merchant' };
    const stageNo = fc.integer({ min: 1, max: 5 });
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ op: fc.constant('pay' as const), stageNo, amountDelta: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: -5, max: 5 })) }),
      fc.record({ op: fc.constant('replay' as const) }),
      fc.record({ op: fc.constant('forge' as const), stageNo }),
      fc.record({ op: fc.constant('advance' as const), stageNo, to: fc.constantFrom('scheduled' as const, 'completed' as const) }),
      fc.record({ op: fc.constant('reprice' as const), totalFen: fc.integer({ min: 0, max: 3_000_000 }) }),
      fc.record({ op: fc.constant('cancel' as const), by: fc.constantFrom('buyer' as const, 'merchant' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2_000_000 }), fc.array(op, { minLength: 1, maxLength: 14 }), async (total, ops) => {
        const order = await serviceOrder(total);
        let last: { headers: Record<string, string>; body: string } | undefined;
        let paidAmounts = new Map<number, number>();
        for (const step of ops) {
          const before = await snapshot(order.id);
          if (step.op === 'pay') {
            const intent = await service.pay('acme', order.id, step.stageNo);
            if (intent.intentId) {
              const stageAmount = before.stages[step.stageNo - 1]!.amountFen;
              last = await payments.fakeCapture('acme', intent.intentId, { amountFen: Math.max(0, stageAmount + step.amountDelta) });
              await payments.receive(last.headers, last.body);
            } else expect(intent).toMatchObject({ result: 'rejected', code: 'stage_not_payable' });
          } else if (step.op === 'replay' || step.op === 'forge') {
            if (last) {
              if (step.op === 'replay') expect((await payments.receive(last.headers, last.body)).result).toBe('duplicate');
              else await expect(payments.receive({ ...last.headers, signature: signCallback(Buffer.alloc(32, 1), Number(last.headers['t']), last.body) }, last.body)).rejects.toMatchObject({ code: 'TK_UNAUTHORIZED' });
              expect(await snapshot(order.id)).toEqual(before);
            }
          } else if (step.op === 'advance') {
            await service.advance('acme', order.id, step.stageNo, step.to, byMerchant('property')).catch((error: TkError) => expect(error.code).toBe('TK_CONFLICT'));
          } else if (step.op === 'reprice') {
            const outcome = await service.reprice('acme', order.id, step.totalFen, 'property', 'merchant:acme');
            if (outcome.result === 'rejected') expect(before).toEqual(await snapshot(order.id));
          } else {
            await service.cancel('acme', order.id, step.by, 'property', step.by === 'buyer' ? 'buyer' : 'merchant:acme').catch((error: TkError) => expect(error.code).toBe('TK_CONFLICT'));
          }
          const now = await service.get('acme', order.id);
          expect(now.stages.reduce((sum, s) => sum + s.amountFen, 0)).toBe(now.totalFen);
          for (const s of now.stages) {
            if (s.paidFen > 0 || s.state === 'paid' || s.state === 'scheduled' || s.state === 'completed') {
              expect(s.paidFen).toBe(s.amountFen);
              const fixed = paidAmounts.get(s.stageNo);
              if (fixed !== undefined) expect(s.amountFen).toBe(fixed);
              paidAmounts.set(s.stageNo, s.amountFen);
            }
            if (s.ratioBps === 0 && now.stages.some((o) => o.ratioBps > 0 && o.state !== 'refunded' && o.state !== 'cancelled')) expect(s.paidFen).toBe(0);
          }
          paidAmounts = new Map([...paidAmounts].filter(([no]) => now.stages[no - 1]!.paidFen > 0 || ['paid', 'scheduled', 'completed'].includes(now.stages[no - 1]!.state)));
          for (const h of now.history) {
            if (h.from === h.to) continue; // a re-price note, not a state change
            expect(STATES).toContain(h.to);
            expect(['host', 'payment', 'merchant', 'cancellation'].some((cause) => isAllowedTransition(h.from, h.to, cause as never))).toBe(true);
          }
          // Every paid fen is one applied callback; never two for one stage.
          const applied = now.callbacks.filter((c) => c.outcome === 'applied');
          expect(new Set(applied.map((c) => c.intentId)).size).toBe(applied.length);
        }
      }),
      { numRuns: 25 },
    );
  }, 240_000);

  it('two concurrent genuine callbacks for one stage pay it once; the other is unmatched and refunded', async () => {
    const order = await serviceOrder(300_000);
    const intent = await service.pay('acme', order.id, 1);
    const a = await payments.fakeCapture('acme', intent.intentId!, { paymentId: 'race-a' });
    const b = await payments.fakeCapture('acme', intent.intentId!, { paymentId: 'race-b' });
    const outcomes = await Promise.all([payments.receive(a.headers, a.body), payments.receive(b.headers, b.body), payments.receive(a.headers, a.body)]);
    expect(outcomes.map((o) => o.result).sort()).toEqual(['applied', 'duplicate', 'unmatched']);
    expect((await service.get('acme', order.id)).stages[0]).toMatchObject({ state: 'paid', paidFen: 30_000 });
  });
});
