import { Type } from '@sinclair/typebox';
import { LedgerResultSchema, TkError } from '@tongkit/sdk';
import type { FastifyPluginAsync } from 'fastify';
import { merchantScope } from '../../platform/auth/principal.js';
import type { HostApp } from '../../platform/http/app.js';
import type { PointsLedger } from './ledger.js';
import type { HostPlatform } from '../../platform/modules/host-module.js';

type MemberExists = NonNullable<HostPlatform['memberExists']>;
import { LedgerPageResponse, LedgerQuery, MemberPointsResponse, PointsAdjustmentRequest } from './schemas.js';
import { MerchantQuery } from '../../platform/http/merchant-query.js';

const MemberParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128, description: 'Opaque member ID' }) });
const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.String({ minLength: 1, maxLength: 256, description: 'Required: the same key again returns the first outcome; with another body it is TK_CONFLICT' }),
});
const merchantOnly = { auth: ['merchant'] as ['merchant'] };

/**
 * The points ledger over HTTP, for operators: adjust a member's points (reason and idempotency key
 * required), read balances, holds and debt, page through the ledger. An applied adjustment answers 201,
 * a duplicate or a rejection 200 with its `status` and `reason`.
 */
export function pointsRoutes(ledger: PointsLedger, memberExists?: MemberExists): FastifyPluginAsync {
  /**
   * An operator route about a member the merchant does not have (or another merchant's) answers 404, exactly
   * like the members routes: the ledger's own `member_unknown` result is for plugins' idempotent calls.
   */
  const requireMember = async (merchantId: string, memberId: string): Promise<void> => {
    if (memberExists && !(await memberExists(ledger.db, merchantId, memberId))) {
      throw new TkError('TK_NOT_FOUND', `no member ${memberId.slice(0, 64)}`, { path: '/params/id' });
    }
  };
  return async (plain) => {
    const app = plain as unknown as HostApp;
    app.post(
      '/v1/members/:id/points',
      {
        config: merchantOnly,
        schema: {
          summary: 'Adjust a member’s points or growth value (positive: grant; negative: deduct)',
          description: 'Rejections: insufficient_balance, debt_outstanding, member_unknown. The key is scoped to the operator.',
          tags: ['points'],
          params: MemberParams,
          querystring: MerchantQuery,
          headers: IdempotencyHeaders,
          body: PointsAdjustmentRequest,
          response: { 200: LedgerResultSchema, 201: LedgerResultSchema },
        },
      },
      async (request, reply) => {
        const merchantId = merchantScope(request.principal, request.query.merchantId);
        await requireMember(merchantId, request.params.id);
        const { points, reason, account = 'points', expiresAt } = request.body;
        const common = {
          merchantId,
          memberId: request.params.id,
          account,
          reason,
          source: { kind: 'operator' as const, id: request.principal.subjectId },
          idempotencyKey: request.headers['idempotency-key'],
        };
        if (points === 0) throw new TkError('TK_VALIDATION', 'an adjustment of 0 points changes nothing', { path: '/points' });
        if (points < 0 && expiresAt !== undefined) throw new TkError('TK_VALIDATION', 'a deduction takes no expiresAt', { path: '/expiresAt' });
        const result = points > 0 ? await ledger.grant({ ...common, amount: points, expiresAt: expiresAt ?? null }) : await ledger.deduct({ ...common, amount: -points });
        return reply.status(result.status === 'applied' ? 201 : 200).send(result);
      },
    );

    app.get(
      '/v1/members/:id/points',
      {
        config: merchantOnly,
        schema: { summary: 'A member’s points and growth value: balances, open holds, debt and the next-expiring lots', tags: ['points'], params: MemberParams, querystring: MerchantQuery, response: { 200: MemberPointsResponse } },
      },
      async (request) => {
        const merchantId = merchantScope(request.principal, request.query.merchantId);
        await requireMember(merchantId, request.params.id);
        return ledger.memberPoints(merchantId, request.params.id);
      },
    );

    app.get(
      '/v1/members/:id/ledger',
      {
        config: merchantOnly,
        schema: { summary: 'A member’s ledger entries, oldest first, paged', tags: ['points'], params: MemberParams, querystring: LedgerQuery, response: { 200: LedgerPageResponse } },
      },
      async (request) => {
        const { merchantId, after, limit, account, orderId } = request.query;
        const merchant = merchantScope(request.principal, merchantId);
        await requireMember(merchant, request.params.id);
        return ledger.ledger(merchant, request.params.id, { after, limit, account, orderId });
      },
    );
  };
}
