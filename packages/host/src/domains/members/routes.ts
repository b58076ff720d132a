import { Type } from '@sinclair/typebox';
import { merchantScope } from '../../platform/auth/principal.js';
import type { Members } from './members.js';
import type { HostApp } from '../../platform/http/app.js';
import {
  BindMemberRequest,
  BindResult,
  DeleteResult,
  KeyRotationReport,
  Member,
  MemberPii,
  RegisterMemberRequest,
  RegisterResult,
  RotateMemberKeysRequest,
  UnbindMemberRequest,
  UnbindResult,
} from './schemas.js';
import { MerchantQuery } from '../../platform/http/merchant-query.js';

const MemberParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, description: 'Opaque member ID' }) });
const merchantOnly = { auth: ['merchant'] as ['merchant'] };
const adminOnly = { auth: ['admin'] as ['admin'] };
/** Batches one rotation call runs by default: a few thousand rows, a short request. */
const ROTATE_BATCHES_PER_CALL = 10;

/**
 * Members over HTTP: register, bind and unbind a brand CRM member, read (personal data on its own
 * route), and delete (erasure). Results carry a stable `code`; an applied change answers 201 (delete:
 * 200), a duplicate or refusal 200.
 */
export function registerMemberRoutes(
  app: HostApp,
  { members, tierOf }: { members: Members; /** The tier the host applied (the tiers service), shown on reads. */ tierOf?: (merchantId: string, memberId: string) => Promise<Exclude<Member['tier'], undefined>> },
): void {
  app.post(
    '/v1/members',
    {
      config: merchantOnly,
      schema: { summary: 'Register a platform member (before or without any CRM binding)', tags: ['members'], querystring: MerchantQuery, body: RegisterMemberRequest, response: { 200: RegisterResult, 201: RegisterResult } },
    },
    async (request, reply) => {
      const registered = await members.register(merchantScope(request.principal, request.query.merchantId), request.body);
      return reply.status(registered.result === 'applied' ? 201 : 200).send(registered);
    },
  );

  app.post(
    '/v1/members/bind',
    {
      config: merchantOnly,
      schema: {
        summary: 'Bind a brand CRM member, matched by a keyed digest of the phone, with the member’s consent',
        description: 'Codes: BOUND, ALREADY_BOUND, PHONE_BOUND_TO_OTHER, CRM_MEMBER_BOUND_TO_OTHER, PHONE_MISMATCH, CONSENT_MISSING.',
        tags: ['members'],
        querystring: MerchantQuery,
        body: BindMemberRequest,
        response: { 200: BindResult, 201: BindResult },
      },
    },
    async (request, reply) => {
      const bound = await members.bind(merchantScope(request.principal, request.query.merchantId), request.body);
      return reply.status(bound.result === 'applied' ? 201 : 200).send(bound);
    },
  );

  app.post(
    '/v1/members/unbind',
    {
      config: merchantOnly,
      schema: { summary: 'Remove a CRM binding (the member and its data stay)', tags: ['members'], querystring: MerchantQuery, body: UnbindMemberRequest, response: { 200: UnbindResult } },
    },
    async (request) => members.unbind(merchantScope(request.principal, request.query.merchantId), request.body),
  );

  app.get(
    '/v1/members/:id',
    { config: merchantOnly, schema: { summary: 'A member, without personal data, with its tier', tags: ['members'], params: MemberParams, querystring: MerchantQuery, response: { 200: Member } } },
    async (request) => {
      const merchantId = merchantScope(request.principal, request.query.merchantId);
      const member = await members.get(merchantId, request.params.id);
      return tierOf ? { ...member, tier: await tierOf(merchantId, member.id) } : member;
    },
  );

  app.get(
    '/v1/members/:id/pii',
    {
      config: merchantOnly,
      schema: { summary: 'A member’s personal data (phone, name, birthday), decrypted', tags: ['members'], params: MemberParams, querystring: MerchantQuery, response: { 200: MemberPii } },
    },
    async (request) => members.pii(merchantScope(request.principal, request.query.merchantId), request.params.id),
  );

  app.delete(
    '/v1/members/:id',
    {
      config: merchantOnly,
      schema: {
        summary: 'Erase a member at its request: binding and personal data removed, accounting kept on the opaque ID, member.redact emitted',
        tags: ['members'],
        params: MemberParams,
        querystring: MerchantQuery,
        response: { 200: DeleteResult },
      },
    },
    async (request) => members.delete(merchantScope(request.principal, request.query.merchantId), request.params.id),
  );

  app.get(
    '/v1/admin/member-keys',
    {
      config: adminOnly,
      schema: { summary: 'Members’ personal data and phone digests per host key: where a key rotation stands', tags: ['admin', 'members'], response: { 200: KeyRotationReport } },
    },
    async () => members.keyStatus(),
  );

  app.post(
    '/v1/admin/member-keys/rotate',
    {
      config: adminOnly,
      schema: {
        summary: 'Re-encrypt personal data and re-make phone digests under the active host key, some batches per call',
        description: 'Resumable and idempotent: each call goes on where the last stopped; call again until `done`. See docs/members.md, "Rotation".',
        tags: ['admin', 'members'],
        body: RotateMemberKeysRequest,
        response: { 200: KeyRotationReport },
      },
    },
    async (request) => members.rotateKeys({ batchSize: request.body.batchSize, maxBatches: request.body.maxBatches ?? ROTATE_BATCHES_PER_CALL }),
  );
}
