import { Type, type Static } from '@sinclair/typebox';
import { StoredValueBalanceSchema } from '@tongkit/sdk';

const Fen = (description: string) => Type.Integer({ minimum: 0, maximum: 100_000_000_000, description });
const PositiveFen = (description: string) => Type.Integer({ minimum: 1, maximum: 100_000_000_000, description });

/** A top-up rule: a top-up of at least `minPrincipalFen` gets `bonusFen` (the largest rule reached applies). */
export const TopUpRuleSchema = Type.Object({ minPrincipalFen: PositiveFen('Smallest top-up the rule applies to'), bonusFen: Fen('Bonus added to the lot') }, { additionalProperties: false });
export type TopUpRule = Static<typeof TopUpRuleSchema>;
/** The merchant's top-up rules (e.g. 1,000 yuan → +100 yuan: `{ minPrincipalFen: 100000, bonusFen: 10000 }`). */
export const TopUpRulesSchema = Type.Object({ rules: Type.Array(TopUpRuleSchema, { maxItems: 20 }) }, { additionalProperties: false });

/** Stable reasons of a rejected stored-value change. */
export const STORED_VALUE_REJECTIONS = ['insufficient_balance', 'refund_exceeds_spend', 'top_up_not_paid', 'top_up_already_refunded', 'member_unknown'] as const;
export type StoredValueRejection = (typeof STORED_VALUE_REJECTIONS)[number];

/** The one result of every stored-value mutation. */
export const StoredValueResultSchema = Type.Object(
  {
    status: Type.Union([Type.Literal('applied'), Type.Literal('duplicate'), Type.Literal('rejected')]),
    reason: Type.Optional(Type.Union(STORED_VALUE_REJECTIONS.map((r) => Type.Literal(r)))),
    firstStatus: Type.Optional(Type.Union([Type.Literal('applied'), Type.Literal('rejected')])),
    memberId: Type.String(),
    refId: Type.String({ description: 'The top-up or spend' }),
    principalDeltaFen: Type.Integer({ description: 'Signed change of principal' }),
    bonusDeltaFen: Type.Integer({ description: 'Signed change of bonus' }),
    forfeitedBonusFen: Type.Integer({ minimum: 0 }),
    balanceFen: Type.Integer({ minimum: 0, description: 'After the change' }),
    draws: Type.Array(Type.Object({ lotId: Type.String(), principalFen: Type.Integer(), bonusFen: Type.Integer() }), { description: 'Per lot, what moved' }),
  },
  { $id: 'StoredValueResult' },
);
export type StoredValueResult = Static<typeof StoredValueResultSchema>;

/** A pending top-up, to be paid through the signed payment callback. */
export const TopUpSchema = Type.Object({
  result: Type.Union([Type.Literal('applied'), Type.Literal('duplicate')]),
  topUpId: Type.String(),
  memberId: Type.String(),
  principalFen: Type.Integer(),
  bonusFen: Type.Integer(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('paid'), Type.Literal('refunded')]),
});
export type TopUp = Static<typeof TopUpSchema>;

/** The body of a top-up's signed payment callback. */
export const TopUpCallbackBody = Type.Object(
  {
    paymentId: Type.String({ minLength: 1, maxLength: 128, description: "The provider's payment ID: the dedup key" }),
    topUpId: Type.String({ minLength: 1, maxLength: 64 }),
    amountFen: Type.Integer({ minimum: 0 }),
    status: Type.Literal('captured'),
  },
  { additionalProperties: false },
);
export type TopUpCallbackBody = Static<typeof TopUpCallbackBody>;

/** A member's stored value with its lots (oldest first). */
export const StoredValueAccountSchema = Type.Composite([
  StoredValueBalanceSchema,
  Type.Object({
    lots: Type.Array(
      Type.Object({ lotId: Type.String(), topUpId: Type.String(), principalFen: Type.Integer(), bonusFen: Type.Integer(), principalRemainingFen: Type.Integer(), bonusRemainingFen: Type.Integer(), createdAt: Type.String({ format: 'date-time' }) }),
    ),
  }),
]);
export type StoredValueAccount = Static<typeof StoredValueAccountSchema>;

export const StoredValueEntriesSchema = Type.Object({
  entries: Type.Array(
    Type.Object({ entryId: Type.String(), kind: Type.String(), lotId: Type.String(), principalDeltaFen: Type.Integer(), bonusDeltaFen: Type.Integer(), refId: Type.String(), at: Type.String({ format: 'date-time' }) }),
  ),
});
