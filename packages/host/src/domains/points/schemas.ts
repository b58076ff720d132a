import { Type, type Static } from '@sinclair/typebox';
import { LedgerAccountSchema } from '@tongkit/sdk';

/** POST /v1/members/:id/points: an operator's adjustment. */
export const PointsAdjustmentRequest = Type.Object(
  {
    account: Type.Optional(LedgerAccountSchema),
    points: Type.Integer({
      minimum: -1_000_000_000_000,
      maximum: 1_000_000_000_000,
      description: 'Not 0. Positive: a grant into a new lot; negative: a deduction, soonest-expiring lots first',
    }),
    reason: Type.String({ minLength: 1, maxLength: 200, description: 'Required: why, shown in the member’s ledger' }),
    expiresAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'A grant’s lot expiry; null or absent: never' })),
  },
  { additionalProperties: false },
);
export type PointsAdjustmentRequest = Static<typeof PointsAdjustmentRequest>;

const Balance = Type.Object({ balance: Type.Integer(), held: Type.Integer(), debt: Type.Integer() });

/** GET /v1/members/:id/points. */
export const MemberPointsResponse = Type.Object({
  memberId: Type.String(),
  points: Balance,
  growth: Balance,
  holds: Type.Array(Type.Object({ holdId: Type.String(), amount: Type.Integer(), expiresAt: Type.String(), reason: Type.String(), createdAt: Type.String() })),
  lots: Type.Array(
    Type.Object({ lotId: Type.String(), account: LedgerAccountSchema, remaining: Type.Integer(), expiresAt: Type.Union([Type.String(), Type.Null()]), orderId: Type.Union([Type.String(), Type.Null()]) }),
    { description: 'Live lots, soonest-expiring first (at most 20)' },
  ),
});

const EntryKind = Type.Union(['grant', 'deduct', 'freeze', 'confirm', 'release', 'expire', 'reverse'].map((kind) => Type.Literal(kind)));

/** GET /v1/members/:id/ledger. */
export const LedgerPageResponse = Type.Object({
  items: Type.Array(
    Type.Object({
      entryId: Type.String(),
      account: LedgerAccountSchema,
      kind: EntryKind,
      delta: Type.Integer(),
      balanceBefore: Type.Integer(),
      balanceAfter: Type.Integer(),
      debtAfter: Type.Integer(),
      reason: Type.String(),
      source: Type.Object({ kind: Type.Union([Type.Literal('install'), Type.Literal('operator'), Type.Literal('host')]), id: Type.String() }),
      orderId: Type.Union([Type.String(), Type.Null()]),
      holdId: Type.Union([Type.String(), Type.Null()]),
      lotId: Type.Union([Type.String(), Type.Null()]),
      createdAt: Type.String(),
    }),
  ),
  next: Type.Union([Type.String(), Type.Null()], { description: 'Cursor of the next page (pass as `after`); null on the last' }),
});

export const LedgerQuery = Type.Object({
  merchantId: Type.Optional(Type.String({ maxLength: 64, description: 'For admins: the merchant to act for' })),
  after: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$', description: 'The `next` cursor of the previous page' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  account: Type.Optional(LedgerAccountSchema),
  orderId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Only the entries of this order (what each install earned and what its refunds reversed)' })),
});
