import { Type } from '@sinclair/typebox';
import { AdvanceTarget, OrderId, ServiceMutationResult, ServiceOrder, TkError } from '@tongkit/sdk';
import { merchantScope } from '../../platform/auth/principal.js';
import type { HostApp } from '../../platform/http/app.js';
import type { PaymentCallbacks } from './payments.js';
import type { ServiceOrders } from './service-orders.js';
import { MerchantQuery } from '../../platform/http/merchant-query.js';

const merchantOnly = { auth: ['merchant'] as ['merchant'] };
const OrderParams = Type.Object({ id: OrderId });
const StageParams = Type.Object({ id: OrderId, stageNo: Type.Integer({ minimum: 1, maximum: 10 }) });
const Reason = Type.String({ minLength: 1, maxLength: 200 });
const PayResult = Type.Composite([ServiceMutationResult, Type.Object({ intentId: Type.Optional(Type.String()) })], { additionalProperties: false });
const CallbackResult = Type.Object(
  { result: Type.Union([Type.Literal('applied'), Type.Literal('duplicate'), Type.Literal('unmatched')]), code: Type.Optional(Type.String()) },
  { additionalProperties: false },
);
const UnmatchedList = Type.Object({
  unmatched: Type.Array(
    Type.Object({
      providerPaymentId: Type.String(),
      intentId: Type.Union([Type.String(), Type.Null()]),
      amountFen: Type.Integer(),
      reason: Type.Union([Type.String(), Type.Null()]),
      refundStatus: Type.Union([Type.String(), Type.Null()]),
      receivedAt: Type.String(),
    }),
  ),
});
const statusOf = (result: string) => (result === 'applied' ? 201 : 200);

/**
 * Service orders over HTTP (merchant tokens; admins name the merchant): create from a `service` order,
 * read, advance, re-price, cancel, pay a stage (a payment intent); signing secrets; the provider's
 * signed callback (public: its signature is its authentication); the fake provider for development.
 */
export function registerServiceRoutes(app: HostApp, services: { serviceOrders: ServiceOrders; payments: PaymentCallbacks }): void {
  const { serviceOrders, payments } = services;
  const scope = (request: { principal: Parameters<typeof merchantScope>[0]; query: { merchantId?: string | undefined } }) => merchantScope(request.principal, request.query.merchantId);

  app.post(
    '/v1/service-orders',
    {
      config: merchantOnly,
      schema: {
        summary: 'Make the service order of an order of kind service (stages from the service.plan point)',
        tags: ['service'],
        querystring: MerchantQuery,
        body: Type.Object({ orderId: OrderId }, { additionalProperties: false }),
        response: { 200: ServiceMutationResult, 201: ServiceMutationResult },
      },
    },
    async (request, reply) => {
      const created = await serviceOrders.create(scope(request), request.body.orderId);
      return reply.status(statusOf(created.result)).send(created);
    },
  );

  app.get(
    '/v1/service-orders/:id',
    { config: merchantOnly, schema: { summary: 'A service order: stages, payments, history', tags: ['service'], params: OrderParams, querystring: MerchantQuery, response: { 200: ServiceOrder } } },
    async (request) => serviceOrders.get(scope(request), request.params.id),
  );

  app.post(
    '/v1/service-orders/:id/stages/:stageNo/advance',
    {
      config: merchantOnly,
      schema: {
        summary: 'Move a stage to scheduled or completed (never to paid)',
        tags: ['service'],
        params: StageParams,
        querystring: MerchantQuery,
        body: Type.Object({ to: AdvanceTarget, reason: Reason }, { additionalProperties: false }),
        response: { 200: ServiceMutationResult, 201: ServiceMutationResult },
      },
    },
    async (request, reply) => {
      const merchantId = scope(request);
      const moved = await serviceOrders.advance(merchantId, request.params.id, request.params.stageNo, request.body.to, { cause: 'merchant', actor: `merchant:${merchantId}`, reason: request.body.reason });
      return reply.status(statusOf(moved.result)).send(moved);
    },
  );

  app.post(
    '/v1/service-orders/:id/reprice',
    {
      config: merchantOnly,
      schema: {
        summary: 'Re-price the order (after measurement): only unpaid stages change',
        tags: ['service'],
        params: OrderParams,
        querystring: MerchantQuery,
        body: Type.Object({ totalFen: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }), reason: Reason }, { additionalProperties: false }),
        response: { 200: ServiceMutationResult, 201: ServiceMutationResult },
      },
    },
    async (request, reply) => {
      const merchantId = scope(request);
      const repriced = await serviceOrders.reprice(merchantId, request.params.id, request.body.totalFen, request.body.reason, `merchant:${merchantId}`);
      return reply.status(statusOf(repriced.result)).send(repriced);
    },
  );

  app.post(
    '/v1/service-orders/:id/cancel',
    {
      config: merchantOnly,
      schema: {
        summary: 'Cancel: by the buyer (non-refundable paid stages forfeited) or the merchant (every paid stage refunded)',
        tags: ['service'],
        params: OrderParams,
        querystring: MerchantQuery,
        body: Type.Object({ by: Type.Union([Type.Literal('buyer'), Type.Literal('merchant')]), reason: Reason }, { additionalProperties: false }),
        response: { 200: ServiceMutationResult, 201: ServiceMutationResult },
      },
    },
    async (request, reply) => {
      const merchantId = scope(request);
      const cancelled = await serviceOrders.cancel(merchantId, request.params.id, request.body.by, request.body.reason, request.body.by === 'buyer' ? 'buyer' : `merchant:${merchantId}`);
      return reply.status(statusOf(cancelled.result)).send(cancelled);
    },
  );

  app.post(
    '/v1/service-orders/:id/stages/:stageNo/pay',
    {
      config: merchantOnly,
      schema: { summary: 'A payment intent for a payable stage’s exact amount', tags: ['service'], params: StageParams, querystring: MerchantQuery, response: { 200: PayResult, 201: PayResult } },
    },
    async (request, reply) => {
      const paying = await serviceOrders.pay(scope(request), request.params.id, request.params.stageNo);
      return reply.status(statusOf(paying.result)).send(paying);
    },
  );

  app.post(
    '/v1/payments/secrets',
    {
      config: merchantOnly,
      schema: {
        summary: 'A new callback signing secret under a new kid (shown once); old kids verify until retired',
        tags: ['service'],
        querystring: MerchantQuery,
        body: Type.Object({ retireOthers: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        response: { 201: Type.Object({ kid: Type.String(), secret: Type.String({ description: 'base64url, 32 bytes' }) }) },
      },
    },
    async (request, reply) => reply.status(201).send(await payments.rotateSecret(scope(request), { retireOthers: request.body.retireOthers === true })),
  );

  app.get(
    '/v1/payments/unmatched',
    { config: merchantOnly, schema: { summary: 'Genuine callbacks that could not apply (refunded), newest first', tags: ['service'], querystring: MerchantQuery, response: { 200: UnmatchedList } } },
    async (request) => ({ unmatched: await payments.unmatchedOf(scope(request)) }),
  );

  // The callback is verified over its raw bytes, so it is parsed as text in a scope of its own.
  void app.register(async (raw) => {
    raw.removeContentTypeParser('application/json');
    raw.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_request, body, done) => done(null, body));
    raw.post(
      '/v1/payments/callback',
      {
        config: { auth: 'public' },
        schema: {
          summary: 'A payment provider’s signed callback: headers t, kid, signature = hex HMAC-SHA256(secret[kid], t + "." + rawBody)',
          tags: ['service'],
          headers: Type.Object({ t: Type.Optional(Type.String()), kid: Type.Optional(Type.String()), signature: Type.Optional(Type.String()) }),
          response: { 200: CallbackResult },
        },
      },
      async (request) => {
        const headers = request.headers as Record<string, string | undefined>;
        return payments.receive({ t: headers.t, kid: headers.kid, signature: headers.signature }, typeof request.body === 'string' ? request.body : '');
      },
    );
  });

  app.post(
    '/v1/dev/payments/:intentId/capture',
    {
      config: merchantOnly,
      schema: {
        summary: 'The fake payment provider (development merchants only): captures an intent and sends its signed callback',
        tags: ['service'],
        params: Type.Object({ intentId: Type.String({ minLength: 1, maxLength: 64 }) }),
        querystring: MerchantQuery,
        body: Type.Object({ amountFen: Type.Optional(Type.Integer({ minimum: 0 })), paymentId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) }, { additionalProperties: false }),
        response: { 200: CallbackResult },
      },
    },
    async (request, reply) => {
      const signed = await payments.fakeCapture(scope(request), request.params.intentId, { amountFen: request.body.amountFen, paymentId: request.body.paymentId });
      // Through HTTP, like a real provider: the callback route verifies it as it would any other.
      const answer = await app.inject({ method: 'POST', url: '/v1/payments/callback', headers: signed.headers, payload: signed.body });
      if (answer.statusCode !== 200) throw TkError.fromJSON((answer.json() as { error?: unknown }).error, 'the payment callback route');
      return reply.status(200).send(answer.json());
    },
  );
}
