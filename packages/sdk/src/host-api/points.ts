import { Type, type Static } from '@sinclair/typebox';
import { defineHostNamespace, type IdempotencyKeySchema } from './method.js';

const MemberId = Type.String({ minLength: 1, maxLength: 128, description: 'Opaque member ID (per merchant)' });
const Points = Type.Integer({ minimum: 1, maximum: 1_000_000_000_000, description: 'Whole points' });
const Reason = Type.String({ minLength: 1, maxLength: 200, description: 'Why, shown to the merchant in the ledger' });
/** Required on every points mutation (an {@link IdempotencyKeySchema} that may not be left out). */
const Key = Type.String({ minLength: 1, maxLength: 256, description: 'Required. Scoped to (install, key): use the event id and what it changes.' });

/** The two accounts of a member: spendable points, and growth value (成长值), which is never spent. */
export const LedgerAccountSchema = Type.Union([Type.Literal('points'), Type.Literal('growth')]);

/**
 * The one result of every points mutation: `applied`, `duplicate` (the key was used before with the same
 * payload: the first outcome follows, with `firstStatus`) or `rejected` with a stable `reason`.
 */
export const LedgerResultSchema = Type.Object(
  {
    status: Type.Union([Type.Literal('applied'), Type.Literal('duplicate'), Type.Literal('rejected')]),
    reason: Type.Optional(
      Type.Union(
        ['insufficient_balance', 'debt_outstanding', 'hold_expired', 'hold_not_found', 'hold_closed', 'member_unknown', 'refund_exceeds_paid', 'order_mismatch'].map((code) => Type.Literal(code)),
        { description: 'Why it was rejected (stable code)' },
      ),
    ),
    firstStatus: Type.Optional(Type.Union([Type.Literal('applied'), Type.Literal('rejected')])),
    memberId: Type.String(),
    account: LedgerAccountSchema,
    entryId: Type.Union([Type.String(), Type.Null()], { description: 'The ledger entry written (null when rejected)' }),
    balanceBefore: Type.Integer(),
    balanceAfter: Type.Integer(),
    heldAfter: Type.Integer(),
    debtAfter: Type.Integer(),
    holdId: Type.Optional(Type.String()),
    holdExpiresAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { $id: 'LedgerResult' },
);
/** The result of a points mutation. */
export type LedgerResultData = Static<typeof LedgerResultSchema>;

const AccountBalance = Type.Object({
  balance: Type.Integer({ description: 'Spendable; negative only while there is debt' }),
  held: Type.Integer({ description: 'In open holds' }),
  debt: Type.Integer({ description: 'Owed from refunds; blocks redemption until new grants repay it' }),
});

/** A member's two accounts, as `ctx.points.balance` and the operator API return them. */
export const MemberBalanceSchema = Type.Object({ memberId: Type.String(), points: AccountBalance, growth: AccountBalance });
/** A member's balances. */
export type MemberBalance = Static<typeof MemberBalanceSchema>;

/**
 * `ctx.points`: the member's points and growth value, kept by the host's ledger (docs/points-ledger.md).
 * Every mutation needs an idempotency key, commits in its own short transaction and returns a
 * {@link LedgerResultSchema} result; a redelivered event changes nothing twice.
 */
export const POINTS_HOST_API = defineHostNamespace({
  summary: 'Grant, freeze, confirm and release members’ points and growth value; read balances.',
  methods: {
    grant: {
      summary: 'Grants points (or growth value) into a new lot with an optional expiry; a debt is repaid from it first.',
      permission: 'points:write',
      mutates: true,
      params: [
        {
          name: 'request',
          schema: Type.Object({
            memberId: MemberId,
            points: Points,
            account: Type.Optional(LedgerAccountSchema),
            expiresAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'When the lot expires; null or absent: never' })),
            reason: Type.Optional(Reason),
            idempotencyKey: Key,
          }),
        },
      ],
      result: LedgerResultSchema,
    },
    freeze: {
      summary: 'Puts points on hold for a redemption (TTL default 15 minutes); confirm or release it, or it is released when it expires.',
      permission: 'points:write',
      mutates: true,
      params: [
        {
          name: 'request',
          schema: Type.Object({
            memberId: MemberId,
            points: Points,
            ttlMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 86_400_000 })),
            reason: Type.Optional(Reason),
            idempotencyKey: Key,
          }),
        },
      ],
      result: LedgerResultSchema,
    },
    confirm: {
      summary: 'Confirms a hold of this install: its points are spent. `hold_expired` once it passed its expiry.',
      permission: 'points:write',
      mutates: true,
      params: [{ name: 'request', schema: Type.Object({ holdId: Type.String({ minLength: 1, maxLength: 64 }), idempotencyKey: Key }) }],
      result: LedgerResultSchema,
    },
    release: {
      summary: 'Releases a hold of this install: its points return to the lots they came from.',
      permission: 'points:write',
      mutates: true,
      params: [{ name: 'request', schema: Type.Object({ holdId: Type.String({ minLength: 1, maxLength: 64 }), idempotencyKey: Key }) }],
      result: LedgerResultSchema,
    },
    balance: {
      summary: 'A member’s points and growth value: balance, held and debt.',
      permission: 'member:read',
      params: [{ name: 'memberId', schema: MemberId }],
      result: MemberBalanceSchema,
    },
  },
});
