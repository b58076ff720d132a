import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { merchantScope } from '../../platform/auth/principal.js';
import type { HostApp } from '../../platform/http/app.js';
import { MerchantQuery } from '../../platform/http/merchant-query.js';
import type { MemberTiers } from './member-tiers.js';
import { TierHistoryPage, TierHistoryQuery, TierLadder, TierLadderRequest } from './schemas.js';

const MemberParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, description: 'Opaque member ID' }) });
const merchantOnly = { auth: ['merchant'] as ['merchant'] };

/** The tier ladder and members' tier history over HTTP, for merchants (and admins acting for one). */
export function tierRoutes(tiers: MemberTiers): FastifyPluginAsync {
  return async (plain) => {
    const app = plain as unknown as HostApp;
    app.put(
      '/v1/tiers',
      {
        config: merchantOnly,
        schema: {
          summary: 'Set the merchant’s tier ladder: tiers (id, name, rank), validity, downgrade protection',
          description: 'Replaces the ladder. Ids and ranks must be unique (TK_VALIDATION at the duplicate). The install owning member.tier.compute decides among these tiers; the host applies the validity and protection.',
          tags: ['tiers'],
          querystring: MerchantQuery,
          body: TierLadderRequest,
          response: { 200: TierLadder },
        },
      },
      async (request) => tiers.setLadder(merchantScope(request.principal, request.query.merchantId), request.body),
    );
    app.get(
      '/v1/tiers',
      { config: merchantOnly, schema: { summary: 'The merchant’s tier ladder (404 before one is set)', tags: ['tiers'], querystring: MerchantQuery, response: { 200: TierLadder } } },
      async (request) => tiers.ladder(merchantScope(request.principal, request.query.merchantId)),
    );
    app.get(
      '/v1/members/:id/tier-history',
      {
        config: merchantOnly,
        schema: {
          summary: 'A member’s tier changes, oldest first: from, to, reason, trigger, the deciding install, version and invocation',
          tags: ['tiers'],
          params: MemberParams,
          querystring: TierHistoryQuery,
          response: { 200: TierHistoryPage },
        },
      },
      async (request) => tiers.history(merchantScope(request.principal, request.query.merchantId), request.params.id, request.query),
    );
  };
}
