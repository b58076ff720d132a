import { Type } from '@sinclair/typebox';
import { OrderId, StoreRef, TkError, Timestamp, Voucher, VoucherIssueResult, VoucherPrecheck, VoucherRedemptionResult, VoucherSerial, VoucherTemplate, VoucherTemplateId } from '@tongkit/sdk';
import type { ResolvedTenant } from '../../platform/auth/route-tenant.js';
import type { HostApp } from '../../platform/http/app.js';
import { MerchantQuery } from '../../platform/http/merchant-query.js';
import type { HostPlatform } from '../../platform/modules/host-module.js';
import type { Vouchers } from './vouchers.js';

const forMerchant = { auth: ['merchant'] as ['merchant'], tenant: { merchant: { query: 'merchantId' } } };
/** A till redeems at its own store: a store or staff token names only that store in the body. */
const atTill = { auth: ['merchant', 'store', 'staff'] as ['merchant', 'store', 'staff'], tenant: { merchant: { query: 'merchantId' }, store: { body: 'storeId' } } };
const MemberRef = Type.String({ minLength: 1, maxLength: 128 });
const SerialParams = Type.Object({ serial: VoucherSerial });
const RedemptionId = Type.String({ pattern: '^vr_[a-f0-9]{20}$' });
const Changed = Type.Object({ result: Type.Union([Type.Literal('applied'), Type.Literal('duplicate')]), voucher: Voucher }, { additionalProperties: false });
const statusOf = (result: string) => (result === 'applied' ? 201 : 200);

/**
 * E-vouchers over HTTP: templates and issuing (the merchant), precheck and redemption by serial at a
 * store (the merchant, or a store or staff token of that store), reversal and extension (the merchant).
 */
export function registerVoucherRoutes(app: HostApp, vouchers: Vouchers, memberExists: HostPlatform['memberExists']): void {
  const tenantOf = (request: { tenant: ResolvedTenant | undefined }) => request.tenant!;
  // What a merchant names must be its own: another merchant's store, order or member answers like none.
  const requireOwn = async (merchantId: string, what: 'store' | 'order' | 'member', id: string, path: string) => {
    if (what === 'member') {
      if (memberExists && !(await memberExists(vouchers.db, merchantId, id))) throw new TkError('TK_NOT_FOUND', `no member ${id}`, { path });
      return;
    }
    const sql = what === 'store' ? 'SELECT 1 FROM stores WHERE merchant_id = $1 AND id = $2' : 'SELECT 1 FROM service_orders WHERE merchant_id = $1 AND id = $2';
    if ((await vouchers.db.query(sql, [merchantId, id])).rowCount === 0) throw new TkError('TK_NOT_FOUND', `no ${what === 'store' ? 'store' : 'service order'} ${id}`, { path });
  };

  app.put(
    '/v1/voucher-templates/:template',
    {
      config: forMerchant,
      schema: { summary: 'Create or replace a voucher template (a free service or a value; uses, validity, stores)', tags: ['service'], params: Type.Object({ template: Type.Unsafe<string>({ ...VoucherTemplateId, description: 'The template’s id (created, or replaced)' }) }), querystring: MerchantQuery, body: Type.Omit(VoucherTemplate, ['id']), response: { 200: VoucherTemplate } },
    },
    async (request) => {
      const template = { ...request.body, id: request.params.template };
      await vouchers.defineTemplate(tenantOf(request).merchantId, template);
      return (await vouchers.templates(tenantOf(request).merchantId)).find((t) => t.id === template.id)!;
    },
  );

  app.get(
    '/v1/voucher-templates',
    { config: forMerchant, schema: { summary: 'The merchant’s voucher templates', tags: ['service'], querystring: MerchantQuery, response: { 200: Type.Object({ items: Type.Array(VoucherTemplate) }) } } },
    async (request) => ({ items: await vouchers.templates(tenantOf(request).merchantId) }),
  );

  app.post(
    '/v1/vouchers',
    {
      config: forMerchant,
      schema: {
        summary: 'Issue a voucher to a member, for a stage of a service order or as a gift (idempotent by issueKey)',
        tags: ['service'],
        querystring: MerchantQuery,
        body: Type.Object(
          {
            templateId: VoucherTemplateId,
            memberId: Type.Optional(MemberRef),
            orderId: Type.Optional(OrderId),
            stageNo: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
            issueKey: Type.String({ minLength: 1, maxLength: 128, description: 'The same key answers the same voucher' }),
          },
          { additionalProperties: false },
        ),
        response: { 200: VoucherIssueResult, 201: VoucherIssueResult },
      },
    },
    async (request, reply) => {
      const { merchantId } = tenantOf(request);
      const { templateId, memberId, orderId, stageNo, issueKey } = request.body;
      if (memberId !== undefined) await requireOwn(merchantId, 'member', memberId, '/memberId');
      if (orderId !== undefined) await requireOwn(merchantId, 'order', orderId, '/orderId');
      const issued = await vouchers.issue(merchantId, templateId, { memberId: memberId ?? null, orderId, stageNo }, `http:${issueKey}`);
      return reply.status(statusOf(issued.result)).send(issued);
    },
  );

  app.get(
    '/v1/vouchers',
    {
      config: forMerchant,
      schema: { summary: 'A member’s or a service order’s vouchers, newest first', tags: ['service'], querystring: Type.Composite([MerchantQuery, Type.Object({ memberId: Type.Optional(MemberRef), orderId: Type.Optional(OrderId) })]), response: { 200: Type.Object({ items: Type.Array(Voucher) }) } },
    },
    async (request) => {
      const { memberId, orderId } = request.query;
      if (memberId === undefined && orderId === undefined) throw new TkError('TK_VALIDATION', 'name a memberId or an orderId', { path: '/memberId' });
      if (memberId !== undefined) await requireOwn(tenantOf(request).merchantId, 'member', memberId, '/memberId');
      if (orderId !== undefined) await requireOwn(tenantOf(request).merchantId, 'order', orderId, '/orderId');
      return { items: await vouchers.list(tenantOf(request).merchantId, { memberId, orderId }) };
    },
  );

  app.get(
    '/v1/vouchers/:serial',
    { config: forMerchant, schema: { summary: 'A voucher with its counts: initial, available, locked, used', tags: ['service'], params: SerialParams, querystring: MerchantQuery, response: { 200: Voucher } } },
    async (request) => vouchers.get(tenantOf(request).merchantId, request.params.serial),
  );

  app.post(
    '/v1/vouchers/:serial/precheck',
    {
      config: atTill,
      schema: { summary: 'Whether the voucher can be redeemed at the store now, and for which stage (changes nothing)', tags: ['service'], params: SerialParams, querystring: MerchantQuery, body: Type.Object({ storeId: StoreRef }, { additionalProperties: false }), response: { 200: VoucherPrecheck } },
    },
    async (request) => {
      const { merchantId, storeId } = tenantOf(request);
      await requireOwn(merchantId, 'store', request.body.storeId, '/storeId');
      const answer = await vouchers.precheck(merchantId, request.params.serial, storeId ?? request.body.storeId);
      if (!answer.valid && answer.code === 'not_found') throw new TkError('TK_NOT_FOUND', `no voucher ${request.params.serial}`, { path: '/serial' });
      return answer;
    },
  );

  app.post(
    '/v1/vouchers/:serial/redeem',
    {
      config: atTill,
      schema: {
        summary: 'Redeem one use at a store (locked, then used); a retried requestId is the same redemption; never twice',
        tags: ['service'],
        params: SerialParams,
        querystring: MerchantQuery,
        body: Type.Object({ storeId: StoreRef, requestId: Type.String({ minLength: 1, maxLength: 128, description: 'The till’s ID of this redemption' }) }, { additionalProperties: false }),
        response: { 200: VoucherRedemptionResult, 201: VoucherRedemptionResult },
      },
    },
    async (request, reply) => {
      const { merchantId, storeId } = tenantOf(request);
      await requireOwn(merchantId, 'store', request.body.storeId, '/storeId');
      const redeemed = await vouchers.redeem(merchantId, request.params.serial, storeId ?? request.body.storeId, `http:${request.body.requestId}`);
      return reply.status(statusOf(redeemed.result)).send(redeemed);
    },
  );

  app.post(
    '/v1/voucher-redemptions/:redemptionId/reverse',
    { config: forMerchant, schema: { summary: 'Reverse a redemption: the use is available again', tags: ['service'], params: Type.Object({ redemptionId: RedemptionId }), querystring: MerchantQuery, response: { 200: Changed, 201: Changed } } },
    async (request, reply) => {
      const reversed = await vouchers.reverse(tenantOf(request).merchantId, request.params.redemptionId);
      return reply.status(statusOf(reversed.result)).send(reversed);
    },
  );

  app.post(
    '/v1/vouchers/:serial/extend',
    {
      config: forMerchant,
      schema: { summary: 'Extend a voucher’s validity (never shortens it)', tags: ['service'], params: SerialParams, querystring: MerchantQuery, body: Type.Object({ validUntil: Timestamp() }, { additionalProperties: false }), response: { 200: Voucher } },
    },
    async (request) => vouchers.extend(tenantOf(request).merchantId, request.params.serial, new Date(request.body.validUntil)),
  );
}
