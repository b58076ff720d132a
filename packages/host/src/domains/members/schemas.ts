import { Type, type Static } from '@sinclair/typebox';
import { CrmMemberId, Member, MemberId, MemberPii, Timestamp } from '@tongkit/sdk';

export { Member, MemberPii };

const StoreRef = Type.String({ minLength: 1, maxLength: 64 });

/** Personal data a member may give: each field optional, kept encrypted apart from the member. */
export const MemberPiiInput = Type.Object(
  {
    phone: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'Mobile number; normalised to E.164' })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    birthday: Type.Optional(Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$', description: 'YYYY-MM-DD' })),
  },
  { additionalProperties: false },
);

/** `POST /v1/members`: platform-first registration. */
export const RegisterMemberRequest = Type.Object(
  {
    idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'The same key with the same request returns the same member' })),
    channel: Type.Union([Type.Literal('online'), Type.Literal('store')]),
    storeId: Type.Optional(StoreRef),
    registeredAt: Type.Optional(Timestamp({ description: 'Default: now' })),
    pii: Type.Optional(MemberPiiInput),
  },
  { additionalProperties: false },
);
export type RegisterMemberRequest = Static<typeof RegisterMemberRequest>;

/** The member's recorded consent to the binding. */
export const BindingConsent = Type.Object(
  {
    textVersion: Type.String({ minLength: 1, maxLength: 64, description: 'Version of the consent text the member agreed to' }),
    consentedAt: Timestamp(),
  },
  { additionalProperties: false },
);

/** `POST /v1/members/bind`: link a brand CRM member, matched by phone, with the member's consent. */
export const BindMemberRequest = Type.Object(
  {
    crmMemberId: CrmMemberId,
    phone: Type.String({ minLength: 1, maxLength: 32 }),
    consent: Type.Optional(BindingConsent),
    memberId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'The platform member to bind; default: the member with this phone, or a new one' })),
    channel: Type.Optional(Type.Union([Type.Literal('online'), Type.Literal('store')], { description: 'For a member registered by this binding (default online)' })),
    boundAt: Type.Optional(Timestamp()),
  },
  { additionalProperties: false },
);
export type BindMemberRequest = Static<typeof BindMemberRequest>;

/** `POST /v1/members/unbind`: remove the CRM binding (the member and its data stay). */
export const UnbindMemberRequest = Type.Object(
  {
    memberId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    crmMemberId: Type.Optional(CrmMemberId),
    unboundAt: Type.Optional(Timestamp()),
  },
  { additionalProperties: false },
);
export type UnbindMemberRequest = Static<typeof UnbindMemberRequest>;


/** The outcome of a member mutation: one result shape, with a stable code. */
const Outcome = Type.Union([Type.Literal('applied'), Type.Literal('duplicate'), Type.Literal('rejected')]);

/** Register: `REGISTERED` (applied), `ALREADY_REGISTERED` (duplicate), `PHONE_ALREADY_REGISTERED` (rejected). */
export const RegisterResult = Type.Object(
  {
    result: Outcome,
    code: Type.Union([Type.Literal('REGISTERED'), Type.Literal('ALREADY_REGISTERED'), Type.Literal('PHONE_ALREADY_REGISTERED')]),
    memberId: MemberId,
    member: Type.Optional(Member),
  },
  { additionalProperties: false },
);
export type RegisterResult = Static<typeof RegisterResult>;

/**
 * The stable codes of a binding (like TOP's bind SPI): `BOUND`; `ALREADY_BOUND` (to this CRM member:
 * idempotent); `PHONE_BOUND_TO_OTHER` (the phone's member is bound to another CRM member);
 * `CRM_MEMBER_BOUND_TO_OTHER` (the CRM member is bound to another platform member); `PHONE_MISMATCH`
 * (the member named has another phone); `CONSENT_MISSING`.
 */
export const BIND_CODES = ['BOUND', 'ALREADY_BOUND', 'PHONE_BOUND_TO_OTHER', 'CRM_MEMBER_BOUND_TO_OTHER', 'PHONE_MISMATCH', 'CONSENT_MISSING'] as const;
export type BindCode = (typeof BIND_CODES)[number];

export const BindResult = Type.Object(
  {
    result: Outcome,
    code: Type.Union(BIND_CODES.map((code) => Type.Literal(code))),
    memberId: Type.Union([MemberId, Type.Null()]),
    /** True when this binding registered the platform member too. */
    registered: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type BindResult = Static<typeof BindResult>;

/** Unbind: `UNBOUND` (applied), `NOT_BOUND` (duplicate: nothing to remove). */
export const UnbindResult = Type.Object(
  {
    result: Outcome,
    code: Type.Union([Type.Literal('UNBOUND'), Type.Literal('NOT_BOUND')]),
    memberId: Type.Union([MemberId, Type.Null()]),
  },
  { additionalProperties: false },
);
export type UnbindResult = Static<typeof UnbindResult>;

/** Delete (erasure): `DELETED`, `ALREADY_DELETED` (duplicate), or refused with the blocker's code. */
export const DeleteResult = Type.Object(
  {
    result: Outcome,
    code: Type.String({ description: 'DELETED | ALREADY_DELETED | a blocker such as PREPAID_BALANCE_OUTSTANDING' }),
    memberId: MemberId,
    message: Type.Optional(Type.String({ description: 'Why it was refused and what to do' })),
    purged: Type.Optional(Type.Object({ invocations: Type.Integer(), logs: Type.Integer(), kvEntries: Type.Integer() }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
export type DeleteResult = Static<typeof DeleteResult>;

const KeyCounts = Type.Object({ pii: Type.Integer({ minimum: 0 }), digests: Type.Integer({ minimum: 0 }) }, { additionalProperties: false });

/** `POST /v1/admin/member-keys/rotate`: how much one call does (the CLI calls again until `done`). */
export const RotateMemberKeysRequest = Type.Object(
  {
    batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, description: 'Rows per transaction (default 200)' })),
    maxBatches: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Batches in this call (default 10); call again until done' })),
  },
  { additionalProperties: false },
);

/** Where a key rotation stands: what a call re-made, what is left under older keys, rows per key. */
export const KeyRotationReport = Type.Object(
  {
    activeKeyId: Type.String(),
    rotated: KeyCounts,
    remaining: KeyCounts,
    done: Type.Boolean({ description: 'Nothing is left under an older key: the older keys can be removed from the ring' }),
    keys: Type.Array(Type.Object({ keyId: Type.String(), pii: Type.Integer({ minimum: 0 }), digests: Type.Integer({ minimum: 0 }) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
