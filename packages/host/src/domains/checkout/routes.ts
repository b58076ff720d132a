import { Type } from '@sinclair/typebox';
import { BENEFIT_CLASSES, BenefitSchema, LedgerResultSchema, STACKING_MODES } from '@tongkit/sdk';
import type { FastifyPluginAsync } from 'fastify';
import { merchantScope } from '../../platform/auth/principal.js';
import type { HostApp } from '../../platform/http/app.js';
import { MerchantQuery } from '../../platform/http/merchant-query.js';
import type { Checkout } from './checkout.js';

const merchantOnly = { auth: ['merchant'] as ['merchant'] };
const MemberId = Type.String({ minLength: 1, maxLength: 128, description: 'Opaque member ID' });
const TierId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' });
const Mode = Type.Union(STACKING_MODES.map((m) => Type.Literal(m)));
const StackingSchema = Type.Object({ stacking: Type.Partial(Type.Object(Object.fromEntries(BENEFIT_CLASSES.map((c) => [c, Mode])), { additionalProperties: false })) }, { additionalProperties: false });
const TierBenefitsBody = Type.Object(
  {
    discountBp: Type.Integer({ minimum: 0, maximum: 10_000, description: 'Discount on every line, basis points' }),
    freeShipping: Type.Boolean({ default: false }),
    birthdayGift: Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()], { default: null }),
  },
  { additionalProperties: false },
);
const TierBenefitsResponse = Type.Composite([Type.Object({ tierId: Type.String() }), TierBenefitsBody]);

const CheckoutRequest = Type.Object(
  {
    memberId: MemberId,
    tierId: Type.Optional(TierId),
    cart: Type.Object(
      {
        channel: Type.Union([Type.Literal('online'), Type.Literal('store')]),
        storeId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        lines: Type.Array(
          Type.Object(
            {
              lineId: Type.String({ minLength: 1, maxLength: 64 }),
              sku: Type.String({ minLength: 1, maxLength: 64 }),
              category: Type.String({ maxLength: 64 }),
              quantity: Type.Integer({ minimum: 1, maximum: 10_000 }),
              unitPriceFen: Type.Integer({ minimum: 0, maximum: 10_000_000_000 }),
            },
            { additionalProperties: false },
          ),
          { minItems: 1, maxItems: 200 },
        ),
      },
      { additionalProperties: false },
    ),
    now: Type.Optional(Type.String({ format: 'date-time', description: 'The checkout’s time (default: now)' })),
  },
  { additionalProperties: false },
);
const Who = { installId: Type.Union([Type.String(), Type.Null()], { description: 'The install that proposed it; null: the tier’s base benefits' }), plugin: Type.Union([Type.String(), Type.Null()]) };
const CheckoutResponse = Type.Object({
  lines: Type.Array(Type.Object({ lineId: Type.String(), totalFen: Type.Integer(), discountFen: Type.Integer(), finalFen: Type.Integer() })),
  totalFen: Type.Integer(),
  discountFen: Type.Integer(),
  finalFen: Type.Integer(),
  applied: Type.Array(Type.Composite([BenefitSchema, Type.Object({ ...Who, discountFen: Type.Integer(), status: Type.Union([Type.Literal('applied'), Type.Literal('cut_to_price')]) })])),
  dropped: Type.Array(Type.Composite([BenefitSchema, Type.Object({ ...Who, reason: Type.Union([Type.Literal('not_best'), Type.Literal('exclusive_taken'), Type.Literal('nothing_left')]) })])),
  failed: Type.Array(Type.Object({ installId: Type.String(), plugin: Type.String(), errorCode: Type.String() })),
  source: Type.Union([Type.Literal('plugins'), Type.Literal('tier_fallback')]),
});

/** Checkout over HTTP: tier base benefits, stacking per class, benefits for a cart, points redemption holds. */
export function checkoutRoutes(checkout: Checkout): FastifyPluginAsync {
  return async (plain) => {
    const app = plain as unknown as HostApp;
    app.put(
      '/v1/checkout/tiers/:tierId/benefits',
      { config: merchantOnly, schema: { summary: 'Set a tier’s base benefits (the fallback of member.benefits.resolve)', tags: ['checkout'], params: Type.Object({ tierId: TierId }), querystring: MerchantQuery, body: TierBenefitsBody, response: { 200: TierBenefitsResponse } } },
      async (request) =>
        checkout.setTierBenefits(merchantScope(request.principal, request.query.merchantId), { tierId: request.params.tierId, discountBp: request.body.discountBp, freeShipping: request.body.freeShipping ?? false, birthdayGift: request.body.birthdayGift ?? null }),
    );
    app.put(
      '/v1/checkout/stacking',
      { config: merchantOnly, schema: { summary: 'Set how each benefit class combines: stack, best-of or exclusive (a class not named stacks)', tags: ['checkout'], querystring: MerchantQuery, body: StackingSchema, response: { 200: StackingSchema } } },
      async (request) => ({ stacking: await checkout.setStacking(merchantScope(request.principal, request.query.merchantId), request.body.stacking) }),
    );
    app.post(
      '/v1/checkout/benefits',
      {
        config: merchantOnly,
        schema: {
          summary: 'A member’s benefits for a cart: every install of member.benefits.resolve merged by the stacking per class, the final price per line, and which install decided what',
          tags: ['checkout'],
          querystring: MerchantQuery,
          body: CheckoutRequest,
          response: { 200: CheckoutResponse },
        },
      },
      async (request) => {
        const { now, ...rest } = request.body;
        return checkout.resolve(merchantScope(request.principal, request.query.merchantId), { ...rest, ...(now ? { now: new Date(now) } : {}) });
      },
    );
    app.post(
      '/v1/checkout/redeem-points',
      {
        config: merchantOnly,
        schema: {
          summary: 'Freeze a member’s points for a purchase: a ledger hold, confirmed when the order is paid (its points tender names the holdId), released otherwise or at its expiry',
          tags: ['checkout'],
          querystring: MerchantQuery,
          headers: Type.Object({ 'idempotency-key': Type.String({ minLength: 1, maxLength: 256 }) }),
          body: Type.Object({ memberId: MemberId, points: Type.Integer({ minimum: 1, maximum: 1_000_000_000_000 }), ttlMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 86_400_000 })), reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }, { additionalProperties: false }),
          response: { 200: LedgerResultSchema, 201: LedgerResultSchema },
        },
      },
      async (request, reply) => {
        const result = await checkout.redeemPoints(merchantScope(request.principal, request.query.merchantId), { ...request.body, operatorId: request.principal.subjectId, idempotencyKey: request.headers['idempotency-key'] });
        return reply.status(result.status === 'applied' ? 201 : 200).send(result);
      },
    );
  };
}
