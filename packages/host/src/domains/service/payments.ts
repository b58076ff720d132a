import { randomBytes, randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { TkError } from '@tongkit/sdk';
import type { Database, Queryable } from '../../platform/storage/database.js';
import { signCallback, verifyCallbackSignature, withinTolerance } from './callback-signature.js';
import type { ServiceOrders } from './service-orders.js';
import { ServiceStore } from './service-store.js';
import { moveStage, settleStages } from './stage-transitions.js';

/** The body of a provider callback: a captured payment for an intent. */
export const PaymentCallbackBody = Type.Object(
  {
    paymentId: Type.String({ minLength: 1, maxLength: 128, description: "The provider's payment ID: the dedup key" }),
    intentId: Type.String({ minLength: 1, maxLength: 64 }),
    amountFen: Type.Integer({ minimum: 0 }),
    status: Type.Literal('captured'),
  },
  { additionalProperties: false },
);
export type PaymentCallbackBody = Static<typeof PaymentCallbackBody>;
const checkBody = TypeCompiler.Compile(PaymentCallbackBody);

/** The outcome of a callback: `applied` paid a stage, `duplicate` was seen before, `unmatched` was refunded. */
export interface CallbackOutcome {
  result: 'applied' | 'duplicate' | 'unmatched';
  code?: string;
}

/** The signed headers of a callback, as received. */
export interface CallbackHeaders {
  t?: string | undefined;
  kid?: string | undefined;
  signature?: string | undefined;
}

class ReplayedCallback extends Error {}

const unauthorized = (message: string) => new TkError('TK_UNAUTHORIZED', message, { hint: 'Sign t + "." + rawBody with HMAC-SHA256 under the secret of kid, and send t within 300 s of now.' });

/**
 * Provider callbacks and per-merchant signing secrets. A forged, expired or replayed callback changes
 * nothing (logged with its reason); a genuine one pays its stage or — wrong amount, voided intent, stage
 * not payable — is recorded `unmatched` and refunded through the provider, never dropped.
 */
export class PaymentCallbacks {
  constructor(
    private readonly db: Database,
    private readonly serviceOrders: ServiceOrders,
  ) {}

  /** Verifies and applies one callback. The raw body is what was signed: it is parsed only after. */
  async receive(headers: CallbackHeaders, rawBody: string, now = new Date()): Promise<CallbackOutcome> {
    const store = new ServiceStore(this.db);
    const { merchantId, kid } = await this.verify(headers, rawBody, now);
    let body: unknown;
    try {
      body = JSON.parse(rawBody);
    } catch {
      body = undefined;
    }
    if (!checkBody.Check(body)) {
      await store.logRejection(kid, 'malformed');
      const first = body === undefined ? undefined : checkBody.Errors(body).First();
      throw new TkError('TK_VALIDATION', `the payment callback body is invalid${first ? ` at ${first.path}: ${first.message}` : ': not JSON'}`, { path: first?.path || '/' });
    }
    try {
      return await this.apply(merchantId, body);
    } catch (error) {
      if (!(error instanceof ReplayedCallback)) throw error;
      await store.logRejection(kid, 'replayed');
      return { result: 'duplicate' };
    }
  }

  /**
   * Verifies a signed provider callback (headers t, kid, signature over the raw body; 300 s window) and
   * answers the merchant whose secret signed it. Forged, unknown-kid, malformed and expired callbacks
   * are logged and refused with TK_UNAUTHORIZED. Other callbacks of the same mechanism (stored-value
   * top-ups) verify through this too; each deduplicates its own payment IDs.
   */
  async verify(headers: CallbackHeaders, rawBody: string, now = new Date()): Promise<{ merchantId: string; kid: string }> {
    const store = new ServiceStore(this.db);
    const kid = headers.kid ?? '';
    const t = Number(headers.t);
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(kid) || !Number.isSafeInteger(t) || typeof headers.signature !== 'string') {
      await store.logRejection(kid || null, 'malformed');
      throw unauthorized('a payment callback carries the headers t, kid and signature');
    }
    const secret = await store.secret(kid);
    // An unknown kid is still compared against a throwaway key: its answer takes as long as a bad signature.
    const genuine = verifyCallbackSignature(secret?.secret ?? randomBytes(32), t, rawBody, headers.signature);
    if (!secret || !genuine) {
      await store.logRejection(kid, secret ? 'bad_signature' : 'unknown_kid');
      throw unauthorized('the payment callback’s signature does not verify');
    }
    if (!withinTolerance(t, now)) {
      await store.logRejection(kid, 'expired');
      throw unauthorized(`the payment callback was signed at ${t}, more than 300 s from now`);
    }
    return { merchantId: secret.merchant_id, kid };
  }

  /** Logs a verified callback the caller refused (a replay), as the service's own callbacks are. */
  async logRejection(kid: string, reason: 'replayed' | 'malformed'): Promise<void> {
    await new ServiceStore(this.db).logRejection(kid, reason);
  }

  private async apply(merchantId: string, body: PaymentCallbackBody): Promise<CallbackOutcome> {
    const intent = await new ServiceStore(this.db).intent(merchantId, body.intentId);
    return this.db.transaction(async (tx) => {
      const store = new ServiceStore(tx);
      if (!intent) return this.unmatched(store, merchantId, body, null, 'unknown_intent');
      // Lock order: the service order's row first, as every change of its stages does.
      const locked = await this.serviceOrders.lock(tx, merchantId, intent.order_id);
      const current = (await store.intent(merchantId, intent.id))!;
      const stage = locked.stages.find((s) => s.stage_no === current.stage_no)!;
      const problem =
        current.status === 'voided' ? 'intent_voided' : current.status === 'paid' || stage.state !== 'payable' ? 'stage_not_payable' : body.amountFen !== current.amount_fen || body.amountFen !== stage.amount_fen ? 'wrong_amount' : null;
      if (problem) return this.unmatched(store, merchantId, body, current.id, problem);
      if (!(await store.insertCallback(merchantId, { providerPaymentId: body.paymentId, intentId: current.id, amountFen: body.amountFen, outcome: 'applied', reason: null, refundStatus: null }))) {
        throw new ReplayedCallback();
      }
      await store.setIntentStatus(merchantId, current.id, 'paid');
      await moveStage(locked, stage, 'paid', { cause: 'payment', actor: `provider:${body.paymentId}`, reason: `payment ${body.paymentId} of ${body.amountFen} fen`, providerPaymentId: body.paymentId });
      await settleStages(locked);
      return { result: 'applied' };
    });
  }

  /** Captured money that cannot apply: recorded, refunded through the provider, shown to the operator. */
  private async unmatched(store: ServiceStore, merchantId: string, body: PaymentCallbackBody, intentId: string | null, reason: string): Promise<CallbackOutcome> {
    // Seen before (same provider payment ID): a replay, even when its first delivery was unmatched.
    if (!(await store.insertCallback(merchantId, { providerPaymentId: body.paymentId, intentId, amountFen: body.amountFen, outcome: 'unmatched', reason, refundStatus: body.amountFen > 0 ? 'refunded' : null }))) {
      throw new ReplayedCallback();
    }
    if (body.amountFen > 0) {
      const orderId = intentId ? ((await store.intent(merchantId, intentId))?.order_id ?? null) : null;
      await store.insertRefund(merchantId, { id: `re_${randomUUID().replaceAll('-', '')}`, providerPaymentId: body.paymentId, orderId, stageNo: null, amountFen: body.amountFen, reason: `unmatched: ${reason}` });
    }
    return { result: 'unmatched', code: reason };
  }

  /**
   * Adds a signing secret for the merchant under a new kid (returned once). Old kids keep verifying
   * until retired, so a provider can switch without a gap; `retireOthers` ends them.
   */
  async rotateSecret(merchantId: string, options: { retireOthers?: boolean } = {}, db: Queryable = this.db): Promise<{ kid: string; secret: string }> {
    const store = new ServiceStore(db);
    const kid = `k_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    const secret = randomBytes(32);
    await store.insertSecret(merchantId, kid, secret);
    if (options.retireOthers) await store.retireSecrets(merchantId, kid);
    return { kid, secret: secret.toString('base64url') };
  }

  /** The merchant's unmatched callbacks (newest first), for the operator. */
  async unmatchedOf(merchantId: string): Promise<Array<{ providerPaymentId: string; intentId: string | null; amountFen: number; reason: string | null; refundStatus: string | null; receivedAt: string }>> {
    const rows = await new ServiceStore(this.db).unmatched(merchantId);
    return rows.map((r) => ({ providerPaymentId: r.provider_payment_id, intentId: r.intent_id, amountFen: r.amount_fen, reason: r.reason, refundStatus: r.refund_status, receivedAt: r.received_at.toISOString() }));
  }

  /**
   * Signs `body` as the fake provider would (development merchants only), for callbacks of the same
   * mechanism outside service orders (a stored-value top-up). The caller posts it to its callback route.
   */
  async fakeSign(merchantId: string, body: Record<string, unknown>, now = new Date()): Promise<{ headers: Record<string, string>; body: string }> {
    const store = new ServiceStore(this.db);
    if (!(await store.isDevelopmentMerchant(merchantId))) throw new TkError('TK_NOT_FOUND', 'the fake payment provider pays development merchants only', { hint: 'Live merchants are paid through their real provider.' });
    const key = (await store.currentKid(merchantId)) ?? (await this.rotateSecret(merchantId).then(() => store.currentKid(merchantId)))!;
    const raw = JSON.stringify(body);
    const t = Math.floor(now.getTime() / 1000);
    return { headers: { t: String(t), kid: key.kid, signature: signCallback(key.secret, t, raw), 'content-type': 'application/json' }, body: raw };
  }

  /**
   * The fake provider (development merchants only): captures an intent and builds the signed callback a
   * real provider would send — the caller posts it to `/v1/payments/callback` like any other.
   */
  async fakeCapture(merchantId: string, intentId: string, options: { amountFen?: number | undefined; paymentId?: string | undefined; now?: Date } = {}): Promise<{ headers: Record<string, string>; body: string }> {
    const store = new ServiceStore(this.db);
    if (!(await store.isDevelopmentMerchant(merchantId))) {
      // Like a test-mode endpoint in live mode: for a live merchant there is no fake provider at all.
      throw new TkError('TK_NOT_FOUND', 'the fake payment provider pays development merchants only', { hint: 'Live merchants are paid through their real provider.' });
    }
    const intent = await store.intent(merchantId, intentId);
    if (!intent) throw new TkError('TK_NOT_FOUND', `no payment intent ${intentId.slice(0, 64)}`, { path: '/intentId' });
    const key = (await store.currentKid(merchantId)) ?? (await this.rotateSecret(merchantId).then(() => store.currentKid(merchantId)))!;
    const body = JSON.stringify({ paymentId: options.paymentId ?? `fake_${randomUUID().replaceAll('-', '')}`, intentId, amountFen: options.amountFen ?? intent.amount_fen, status: 'captured' });
    const t = Math.floor((options.now ?? new Date()).getTime() / 1000);
    return { headers: { t: String(t), kid: key.kid, signature: signCallback(key.secret, t, body), 'content-type': 'application/json' }, body };
  }
}
