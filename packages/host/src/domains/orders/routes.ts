import { Type } from '@sinclair/typebox';
import { OrderId } from '@tongkit/sdk';
import { merchantScope } from '../../platform/auth/principal.js';
import type { Orders } from './orders.js';
import type { HostApp } from '../../platform/http/app.js';
import { CreateOrderRequest, CreateOrderResult, Order, OrderPage, RefundRequest, RefundResult } from './schemas.js';
import { MerchantQuery } from '../../platform/http/merchant-query.js';

const merchantOnly = { auth: ['merchant'] as ['merchant'] };
/**
 * Orders in and refunds: the merchant, or an integration token it issued to its POS or ERP (which reaches
 * these two routes and nothing else). The route layer resolves the merchant from the token (an admin
 * names it in `?merchantId=`).
 */
const ordersIn = { auth: ['merchant', 'integration'] as ['merchant', 'integration'], tenant: { merchant: { query: 'merchantId' } } };
// Order bodies carry up to 200 lines.
const ORDER_BODY_LIMIT = 128 * 1024;

/**
 * Orders over HTTP: create (idempotent by the merchant's order ID), read, refund, and a member's orders.
 * Merchant tokens (and admins naming the merchant); creating and refunding also integration tokens. A new
 * order or refund answers 201, a duplicate or a refused refund 200 with its `result` and `code`.
 */
export function registerOrderRoutes(app: HostApp, { orders }: { orders: Orders }): void {
  app.post(
    '/v1/orders',
    {
      config: ordersIn,
      bodyLimit: ORDER_BODY_LIMIT,
      schema: {
        summary: 'Record a paid order with its lines and tenders (idempotent by the merchant’s order ID)',
        tags: ['orders'],
        querystring: MerchantQuery,
        body: CreateOrderRequest,
        response: { 200: CreateOrderResult, 201: CreateOrderResult },
      },
    },
    async (request, reply) => {
      const created = await orders.create(request.tenant!.merchantId, request.body);
      return reply.status(created.result === 'applied' ? 201 : 200).send(created);
    },
  );

  app.get(
    '/v1/orders/:id',
    {
      config: merchantOnly,
      schema: { summary: 'An order with its lines, tenders and refunds', tags: ['orders'], params: Type.Object({ id: OrderId }), querystring: MerchantQuery, response: { 200: Order } },
    },
    async (request) => orders.get(merchantScope(request.principal, request.query.merchantId), request.params.id),
  );

  app.post(
    '/v1/orders/:id/refunds',
    {
      config: ordersIn,
      schema: {
        summary: 'Refund the whole order, some lines or an amount (idempotent by the merchant’s refund ID)',
        tags: ['orders'],
        params: Type.Object({ id: OrderId }),
        querystring: MerchantQuery,
        body: RefundRequest,
        response: { 200: RefundResult, 201: RefundResult },
      },
    },
    async (request, reply) => {
      const refunded = await orders.refund(request.tenant!.merchantId, request.params.id, request.body);
      return reply.status(refunded.result === 'applied' ? 201 : 200).send(refunded);
    },
  );

  app.get(
    '/v1/members/:id/orders',
    {
      config: merchantOnly,
      schema: {
        summary: 'A member’s orders, newest first, paged by cursor',
        tags: ['orders', 'members'],
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        querystring: Type.Object({
          merchantId: Type.Optional(Type.String({ maxLength: 64 })),
          cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        }),
        response: { 200: OrderPage },
      },
    },
    async (request) => orders.byMember(merchantScope(request.principal, request.query.merchantId), request.params.id, { cursor: request.query.cursor, limit: request.query.limit }),
  );
}
