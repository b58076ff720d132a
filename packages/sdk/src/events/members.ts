import { Type, type Static } from '@sinclair/typebox';
import { MemberId, Timestamp } from '../catalogue/shared.js';

/** The brand CRM's own member ID of a bound member. */
export const CrmMemberId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$', description: "The brand CRM's member ID" });

/** `member.registered`: a platform member exists (platform-first: maybe before any CRM binding). */
export const MemberRegisteredData = Type.Object(
  {
    memberId: MemberId,
    channel: Type.Union([Type.Literal('online'), Type.Literal('store')]),
    storeId: Type.Union([Type.String(), Type.Null()]),
    registeredAt: Timestamp(),
  },
  { additionalProperties: false },
);
export type MemberRegisteredData = Static<typeof MemberRegisteredData>;

/** `member.bound`: a platform member was linked to a brand CRM member, with the member's consent. */
export const MemberBoundData = Type.Object(
  {
    memberId: MemberId,
    crmMemberId: CrmMemberId,
    consentVersion: Type.String({ maxLength: 64 }),
    boundAt: Timestamp(),
  },
  { additionalProperties: false },
);
export type MemberBoundData = Static<typeof MemberBoundData>;

/** `member.unbound`: the CRM binding was removed; the member, its history and personal data stay. */
export const MemberUnboundData = Type.Object(
  { memberId: MemberId, crmMemberId: CrmMemberId, unboundAt: Timestamp() },
  { additionalProperties: false },
);
export type MemberUnboundData = Static<typeof MemberUnboundData>;

/**
 * `member.redact`: the member asked to be erased. Every plugin must purge what it stored about this
 * member ID (the host has purged plugin KV entries stored with the member, and its logged inputs).
 */
export const MemberRedactData = Type.Object(
  { memberId: MemberId, requestedAt: Timestamp() },
  { additionalProperties: false },
);
export type MemberRedactData = Static<typeof MemberRedactData>;
