import { Type, type Static } from '@sinclair/typebox';
import { MemberId, Timestamp } from '../catalogue/shared.js';
import { CrmMemberId } from '../events/members.js';
import { defineHostNamespace } from './method.js';

/** A member as the API and `ctx.members.get` return it: no personal data. */
export const Member = Type.Object(
  {
    id: MemberId,
    status: Type.Union([Type.Literal('active'), Type.Literal('deleted')]),
    channel: Type.Union([Type.Literal('online'), Type.Literal('store')]),
    storeId: Type.Union([Type.String(), Type.Null()]),
    registeredAt: Timestamp(),
    hasPhone: Type.Boolean(),
    binding: Type.Union([
      Type.Object({ crmMemberId: CrmMemberId, consentVersion: Type.String(), consentedAt: Timestamp(), boundAt: Timestamp() }, { additionalProperties: false }),
      Type.Null(),
    ]),
    deletedAt: Type.Union([Timestamp(), Type.Null()]),
    tier: Type.Optional(
      Type.Union(
        [
          Type.Object(
            {
              tierId: Type.String(),
              name: Type.String(),
              rank: Type.Integer(),
              assigned: Type.Boolean({ description: 'false: the ladder’s entry tier, held without a decision yet' }),
              since: Type.Union([Timestamp(), Type.Null()]),
              expiresAt: Type.Union([Timestamp(), Type.Null()]),
              protectedUntil: Type.Union([Timestamp(), Type.Null()]),
            },
            { additionalProperties: false },
          ),
          Type.Null(),
        ],
        { description: 'The tier the host applied (GET /v1/members/:id); null while the merchant has no tier ladder' },
      ),
    ),
  },
  { additionalProperties: false },
);
export type Member = Static<typeof Member>;

/** A member's personal data, for callers holding `member:pii`. */
export const MemberPii = Type.Object(
  {
    memberId: MemberId,
    phone: Type.Union([Type.String(), Type.Null()]),
    name: Type.Union([Type.String(), Type.Null()]),
    birthday: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);
export type MemberPii = Static<typeof MemberPii>;

/**
 * `ctx.members`: the install's merchant's members. `get` gives the member without personal data
 * (`member:read`); `pii` its phone, name and birthday (`member:pii`, which a merchant grants only to a
 * plugin that must contact members itself). Another merchant's member is TK_NOT_FOUND.
 */
export const MEMBERS_HOST_API = defineHostNamespace({
  summary: 'The merchant’s members: opaque IDs, status and CRM binding; personal data only with member:pii.',
  methods: {
    get: {
      summary: 'A member of the install’s merchant, without personal data.',
      permission: 'member:read',
      params: [{ name: 'memberId', schema: MemberId }],
      result: Member,
    },
    pii: {
      summary: 'A member’s personal data (phone, name, birthday), decrypted.',
      permission: 'member:pii',
      params: [{ name: 'memberId', schema: MemberId }],
      result: MemberPii,
    },
  },
});
