import { Type } from '@sinclair/typebox';
import { TkError } from '@tongkit/sdk';
import type { FastifyPluginAsync } from 'fastify';
import { merchantScope } from '../../platform/auth/principal.js';
import type { HostApp } from '../../platform/http/app.js';
import { MerchantQuery } from '../../platform/http/merchant-query.js';
import type { HostPlatform } from '../../platform/modules/host-module.js';
import type { PaymentCallbacks } from '../service/payments.js';
import type { StoredValue } from './stored-value.js';
import { StoredValueAccountSchema, StoredValueEntriesSchema, StoredValueResultSchema, TopUpCallbackBody, TopUpRulesSchema, TopUpSchema } from './types.js';
import { TypeCompiler } from '@sinclair/typebox/compiler';

const merchantOnly = { auth: ['merchant'] as ['merchant'] };
const Id = (description: string) => Type.String({ minLength: 1, maxLength: 128, description });
const TopUpParams = Type.Object({ topUpId: Id('Top-up ID') });
const SpendParams = Type.Object({ spendId: Id('Spend ID') });
const MemberParams = Type.Object({ id: Id('Opaque member ID') });
const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.String({ minLength: 1, maxLength: 256, description: 'Required: the same key again returns the first outcome; with another body it is TK_CONFLICT' }),
});
const Fen = (description: string) => Type.Integer({ minimum: 1, maximum: 100_000_000_000, description });
const CallbackResult = Type.Object({ result: Type.Union([Type.Literal('applied'), Type.Literal('duplicate'), Type.Literal('unmatched')]), code: Type.Optional(Type.String()) });
const checkCallback = TypeCompiler.Compile(TopUpCallbackBody);
const statusOf = (status: string) => (status === 'applied' ? 201 : 200);

type MemberExists = NonNullable<HostPlatform['memberExists']>;

/**
 * 会员宝 over HTTP: the merchant's top-up rules, top-ups (paid by the provider's signed callback, the
 * mechanism of 服务通's payments), spends and refunds at the till, balances, lots and entries.
 */
export function storedValueRoutes(storedValue: StoredValue, payments: PaymentCallbacks, memberExists?: MemberExists): FastifyPluginAsync {
  const requireMember = async (merchantId: string, memberId: string): Promise<void> => {
    if (memberExists && !(await memberExists(storedValue.db, merchantId, memberId))) throw new TkError('TK_NOT_FOUND', `no member ${memberId.slice(0, 64)}`, { path: '/params/id' });
  };
  const caller = (request: { principal: Parameters<typeof merchantScope>[0]; query: { merchantId?: string | undefined }; headers: { 'idempotency-key': string } }) => ({
    merchantId: merchantScope(request.principal, request.query.merchantId),
    scope: `${request.principal.role}:${request.principal.subjectId}`,
    idempotencyKey: request.headers['idempotency-key'],
  });

  return async (plain) => {
    const app = plain as unknown as HostApp;

    app.get('/v1/stored-value/rules', { config: merchantOnly, schema: { summary: 'The merchant’s top-up rules (bonus per top-up amount)', tags: ['stored-value'], querystring: MerchantQuery, response: { 200: TopUpRulesSchema } } }, async (request) => ({
      rules: await storedValue.rules(merchantScope(request.principal, request.query.merchantId)),
    }));

    app.put(
      '/v1/stored-value/rules',
      { config: merchantOnly, schema: { summary: 'Replace the top-up rules (the largest minimum a top-up reaches gives its bonus)', tags: ['stored-value'], querystring: MerchantQuery, body: TopUpRulesSchema, response: { 200: TopUpRulesSchema } } },
      async (request) => ({ rules: await storedValue.setRules(merchantScope(request.principal, request.query.merchantId), request.body.rules) }),
    );

    app.get(
      '/v1/members/:id/stored-value',
      { config: merchantOnly, schema: { summary: 'A member’s stored value: balance, principal, bonus and lots (oldest first)', tags: ['stored-value'], params: MemberParams, querystring: MerchantQuery, response: { 200: StoredValueAccountSchema } } },
      async (request) => {
        const merchantId = merchantScope(request.principal, request.query.merchantId);
        await requireMember(merchantId, request.params.id);
        return storedValue.account(merchantId, request.params.id);
      },
    );

    app.get(
      '/v1/members/:id/stored-value/entries',
      { config: merchantOnly, schema: { summary: 'A member’s stored-value entries, oldest first (append-only)', tags: ['stored-value'], params: MemberParams, querystring: MerchantQuery, response: { 200: StoredValueEntriesSchema } } },
      async (request) => {
        const merchantId = merchantScope(request.principal, request.query.merchantId);
        await requireMember(merchantId, request.params.id);
        return storedValue.entries(merchantId, request.params.id);
      },
    );

    app.post(
      '/v1/members/:id/stored-value/top-ups',
      {
        config: merchantOnly,
        schema: {
          summary: 'Start a top-up: pending until the provider’s signed callback (POST /v1/stored-value/callback) pays it',
          tags: ['stored-value'],
          params: MemberParams,
          querystring: MerchantQuery,
          headers: IdempotencyHeaders,
          body: Type.Object({ principalFen: Fen('What the member pays in') }, { additionalProperties: false }),
          response: { 200: TopUpSchema, 201: TopUpSchema },
        },
      },
      async (request, reply) => {
        const who = caller(request);
        await requireMember(who.merchantId, request.params.id);
        const topUp = await storedValue.createTopUp({ ...who, memberId: request.params.id, principalFen: request.body.principalFen });
        return reply.status(statusOf(topUp.result)).send(topUp);
      },
    );

    app.get(
      '/v1/stored-value/top-ups/:topUpId',
      { config: merchantOnly, schema: { summary: 'A top-up and its status', tags: ['stored-value'], params: TopUpParams, querystring: MerchantQuery, response: { 200: TopUpSchema } } },
      async (request) => storedValue.topUp(merchantScope(request.principal, request.query.merchantId), request.params.topUpId),
    );

    app.post(
      '/v1/stored-value/top-ups/:topUpId/refund',
      {
        config: merchantOnly,
        schema: {
          summary: 'Refund a paid top-up: its lot’s remaining principal goes back to the member, its remaining bonus is forfeited',
          tags: ['stored-value'],
          params: TopUpParams,
          querystring: MerchantQuery,
          headers: IdempotencyHeaders,
          response: { 200: StoredValueResultSchema, 201: StoredValueResultSchema },
        },
      },
      async (request, reply) => {
        const result = await storedValue.refundTopUp({ ...caller(request), topUpId: request.params.topUpId });
        return reply.status(statusOf(result.status)).send(result);
      },
    );

    app.post(
      '/v1/members/:id/stored-value/spends',
      {
        config: merchantOnly,
        schema: {
          summary: 'Spend a member’s stored value at checkout (oldest lots first, each at its principal:bonus ratio)',
          description: 'Rejection: insufficient_balance. Only the host’s checkout spends stored value; plugins read it.',
          tags: ['stored-value'],
          params: MemberParams,
          querystring: MerchantQuery,
          headers: IdempotencyHeaders,
          body: Type.Object({ amountFen: Fen('What the till takes from stored value'), storeId: Type.Optional(Id('The store of the till')), orderId: Type.Optional(Id('The order it pays')) }, { additionalProperties: false }),
          response: { 200: StoredValueResultSchema, 201: StoredValueResultSchema },
        },
      },
      async (request, reply) => {
        const who = caller(request);
        await requireMember(who.merchantId, request.params.id);
        const result = await storedValue.spend({ ...who, memberId: request.params.id, ...request.body });
        return reply.status(statusOf(result.status)).send(result);
      },
    );

    app.post(
      '/v1/stored-value/spends/:spendId/refunds',
      {
        config: merchantOnly,
        schema: {
          summary: 'Refund (part of) a spend back to the lots it came from',
          description: 'Rejection: refund_exceeds_spend.',
          tags: ['stored-value'],
          params: SpendParams,
          querystring: MerchantQuery,
          headers: IdempotencyHeaders,
          body: Type.Object({ amountFen: Fen('How much of the spend goes back') }, { additionalProperties: false }),
          response: { 200: StoredValueResultSchema, 201: StoredValueResultSchema },
        },
      },
      async (request, reply) => {
        const result = await storedValue.refundSpend({ ...caller(request), spendId: request.params.spendId, amountFen: request.body.amountFen });
        return reply.status(statusOf(result.status)).send(result);
      },
    );

    // The callback is verified over its raw bytes (by 服务通's signature check), so it is parsed as text.
    void app.register(async (raw) => {
      raw.removeContentTypeParser('application/json');
      raw.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_request, body, done) => done(null, body));
      raw.post(
        '/v1/stored-value/callback',
        {
          config: { auth: 'public' },
          schema: {
            summary: 'A payment provider’s signed callback for a top-up: headers t, kid, signature = hex HMAC-SHA256(secret[kid], t + "." + rawBody)',
            tags: ['stored-value'],
            headers: Type.Object({ t: Type.Optional(Type.String()), kid: Type.Optional(Type.String()), signature: Type.Optional(Type.String()) }),
            response: { 200: CallbackResult },
          },
        },
        async (request) => {
          const headers = request.headers as Record<string, string | undefined>;
          const rawBody = typeof request.body === 'string' ? request.body : '';
          const { merchantId, kid } = await payments.verify({ t: headers.t, kid: headers.kid, signature: headers.signature }, rawBody);
          let body: unknown;
          try {
            body = JSON.parse(rawBody);
          } catch {
            body = undefined;
          }
          if (!checkCallback.Check(body)) {
            await payments.logRejection(kid, 'malformed');
            const first = body === undefined ? undefined : checkCallback.Errors(body).First();
            throw new TkError('TK_VALIDATION', `the top-up callback body is invalid${first ? ` at ${first.path}: ${first.message}` : ': not JSON'}`, { path: first?.path || '/' });
          }
          const outcome = await storedValue.applyPayment(merchantId, body);
          if (outcome.result === 'duplicate') await payments.logRejection(kid, 'replayed');
          return outcome;
        },
      );
    });

    app.post(
      '/v1/dev/stored-value/top-ups/:topUpId/capture',
      {
        config: merchantOnly,
        schema: {
          summary: 'The fake payment provider (development merchants only): pays a top-up through its signed callback',
          tags: ['stored-value'],
          params: TopUpParams,
          querystring: MerchantQuery,
          body: Type.Object({ amountFen: Type.Optional(Type.Integer({ minimum: 0 })), paymentId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) }, { additionalProperties: false }),
          response: { 200: CallbackResult },
        },
      },
      async (request) => {
        const merchantId = merchantScope(request.principal, request.query.merchantId);
        const topUp = await storedValue.topUp(merchantId, request.params.topUpId);
        const signed = await payments.fakeSign(merchantId, { paymentId: request.body.paymentId ?? `fake_${Date.now()}_${Math.random().toString(36).slice(2)}`, topUpId: topUp.topUpId, amountFen: request.body.amountFen ?? topUp.principalFen, status: 'captured' });
        // Through HTTP, like a real provider: the callback route verifies it as it would any other.
        const answer = await app.inject({ method: 'POST', url: '/v1/stored-value/callback', headers: signed.headers, payload: signed.body });
        if (answer.statusCode !== 200) throw TkError.fromJSON((answer.json() as { error?: unknown }).error, 'the top-up callback route');
        return answer.json();
      },
    );
  };
}
