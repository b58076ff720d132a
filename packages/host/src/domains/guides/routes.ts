import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { ResolvedTenant } from '../../platform/auth/route-tenant.js';
import type { HostApp } from '../../platform/http/app.js';
import { MerchantQuery } from '../../platform/http/merchant-query.js';
import type { GuideServices } from './services.js';
import { GuideSettings, setGuideSettings, relationSettingsOf } from './settings.js';
import { signalsOf } from './signals.js';
import {
  BindRequest, BindResult, ClickRequest, ClickResult, Commission, Guide, GuideList, GuideParams, LeaveRequest, LeaveResult, MemberParams, MemberRelation, Month,
  RelationList, SettleRequest, SettleResult, ShareId, ShareList, ShareRequest, ShareResult, SignalsQuery, SignalsReport, Statement, UpsertGuideRequest,
} from './schemas.js';

/** Merchant tokens (and admins naming the merchant). */
const merchantOnly = { auth: ['merchant'] as ['merchant'], tenant: { merchant: { query: 'merchantId' } } };
/** Also the guide's own staff token: another guide's answers TK_NOT_FOUND, like one that does not exist. */
const guideOrMerchant = { auth: ['merchant', 'staff'] as ['merchant', 'staff'], tenant: { merchant: { query: 'merchantId' }, staff: { param: 'guideId' } } };
const merchantOf = (request: { tenant: ResolvedTenant | undefined }): string => request.tenant!.merchantId;
const actorOf = (request: FastifyRequest) => `${request.principal.role}:${request.principal.subjectId}`;
const tags = ['guides'];

/**
 * 导购 over HTTP. Merchants manage guides, relations, clicks, settings and statements; a guide with their
 * staff token sees only their own record, members, shares, commission and statements, and can record
 * shares — never change a relation or an attribution.
 */
export function registerGuideRoutes(app: HostApp, services: GuideServices): void {
  const { guides, relations, shares, ledger, statements, db } = services;

  app.post('/v1/guides', { config: merchantOnly, schema: { summary: 'Create or update the guide record of a staff member (store, role, own member account)', tags, querystring: MerchantQuery, body: UpsertGuideRequest, response: { 200: Guide } } }, async (request) =>
    guides.upsert(merchantOf(request), request.body),
  );
  app.get(
    '/v1/guides',
    {
      config: merchantOnly,
      schema: {
        summary: 'The merchant’s guides',
        tags,
        querystring: Type.Object({ merchantId: Type.Optional(Type.String({ maxLength: 64 })), storeId: Type.Optional(Type.String({ maxLength: 64 })), status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('left')])) }),
        response: { 200: GuideList },
      },
    },
    async (request) => ({ items: await guides.list(merchantOf(request), { storeId: request.query.storeId, status: request.query.status }) }),
  );
  app.get('/v1/guides/:guideId', { config: guideOrMerchant, schema: { summary: 'A guide (a guide’s staff token sees only itself)', tags, params: GuideParams, querystring: MerchantQuery, response: { 200: Guide } } }, async (request) =>
    guides.get(merchantOf(request), request.params.guideId),
  );
  app.post(
    '/v1/guides/:guideId/leave',
    { config: merchantOnly, schema: { summary: 'A guide leaves: their members go to the named guide, else the store’s manager, else are released (audited)', tags, params: GuideParams, querystring: MerchantQuery, body: LeaveRequest, response: { 200: LeaveResult } } },
    async (request) => guides.leave(merchantOf(request), request.params.guideId, { handoverTo: request.body.handoverTo, actor: actorOf(request), at: request.body.at === undefined ? undefined : new Date(request.body.at) }),
  );
  app.get('/v1/guides/:guideId/members', { config: guideOrMerchant, schema: { summary: 'A guide’s members (current relations)', tags, params: GuideParams, querystring: MerchantQuery, response: { 200: RelationList } } }, async (request) => ({
    items: await relations.membersOf(merchantOf(request), request.params.guideId),
  }));

  app.post(
    '/v1/guide-relations',
    {
      config: merchantOnly,
      schema: { summary: 'Bind a member to a guide (one guide per member; protected relations need a manager’s override)', tags, querystring: MerchantQuery, body: BindRequest, response: { 200: BindResult, 201: BindResult } },
    },
    async (request, reply) => {
      const bound = await relations.bind(merchantOf(request), request.body, actorOf(request));
      return reply.status(bound.result === 'applied' ? 201 : 200).send(bound);
    },
  );
  app.get('/v1/members/:memberId/guide-relation', { config: merchantOnly, schema: { summary: 'A member’s current guide and the audited history of the relation', tags, params: MemberParams, querystring: MerchantQuery, response: { 200: MemberRelation } } }, async (request) => {
    const history = await relations.history(merchantOf(request), request.params.memberId);
    return { relation: await relations.relationOf(merchantOf(request), request.params.memberId), history };
  });

  app.post(
    '/v1/guides/:guideId/shares',
    { config: guideOrMerchant, schema: { summary: 'Record a share link of a guide (idempotent by shareId)', tags, params: GuideParams, querystring: MerchantQuery, body: ShareRequest, response: { 200: ShareResult, 201: ShareResult } } },
    async (request, reply) => {
      const created = await shares.create(merchantOf(request), request.params.guideId, request.body);
      return reply.status(created.result === 'applied' ? 201 : 200).send(created);
    },
  );
  app.get('/v1/guides/:guideId/shares', { config: guideOrMerchant, schema: { summary: 'A guide’s shares with their click counts', tags, params: GuideParams, querystring: MerchantQuery, response: { 200: ShareList } } }, async (request) => ({
    items: await shares.ofGuide(merchantOf(request), request.params.guideId),
  }));
  app.post(
    '/v1/guide-shares/:shareId/clicks',
    { config: merchantOnly, schema: { summary: 'Record a member’s click on a guide share (once per clickId)', tags, params: Type.Object({ shareId: ShareId }), querystring: MerchantQuery, body: ClickRequest, response: { 200: ClickResult } } },
    async (request) => shares.click(merchantOf(request), request.params.shareId, request.body),
  );

  app.get('/v1/guides/:guideId/commission', { config: guideOrMerchant, schema: { summary: 'A guide’s commission: balance (Σ entries) and the latest entries', tags, params: GuideParams, querystring: MerchantQuery, response: { 200: Commission } } }, async (request) => {
    await guides.get(merchantOf(request), request.params.guideId);
    return ledger.commissionOf(merchantOf(request), request.params.guideId);
  });
  app.get(
    '/v1/guides/:guideId/statements/:month',
    { config: guideOrMerchant, schema: { summary: 'A guide’s settled statement of a month (merchant’s time zone)', tags, params: Type.Object({ guideId: GuideParams.properties.guideId, month: Month }), querystring: MerchantQuery, response: { 200: Statement } } },
    async (request) => statements.get(merchantOf(request), request.params.guideId, request.params.month),
  );
  app.post('/v1/guide-statements', { config: merchantOnly, schema: { summary: 'Settle a month into statements per guide (idempotent; later entries carry to the next month)', tags, querystring: MerchantQuery, body: SettleRequest, response: { 200: SettleResult } } }, async (request) =>
    statements.settle(merchantOf(request), request.body.month),
  );
  app.get(
    '/v1/guides/:guideId/signals',
    { config: merchantOnly, schema: { summary: 'Anti-diversion signals of a guide, each flag with its evidence (default: the last 30 days)', tags, params: GuideParams, querystring: SignalsQuery, response: { 200: SignalsReport } } },
    async (request) => {
      const to = request.query.to === undefined ? new Date() : new Date(request.query.to);
      const from = request.query.from === undefined ? new Date(to.getTime() - 30 * 86_400_000) : new Date(request.query.from);
      return signalsOf(db, merchantOf(request), request.params.guideId, { from, to });
    },
  );

  app.get('/v1/guide-settings', { config: merchantOnly, schema: { summary: 'The merchant’s guide policy: windows, protection, default ratio, cap', tags, querystring: MerchantQuery, response: { 200: GuideSettings } } }, async (request) =>
    relationSettingsOf(db, merchantOf(request)),
  );
  app.put('/v1/guide-settings', { config: merchantOnly, schema: { summary: 'Set the merchant’s guide policy', tags, querystring: MerchantQuery, body: GuideSettings, response: { 200: GuideSettings } } }, async (request) =>
    setGuideSettings(db, merchantOf(request), request.body),
  );
}
