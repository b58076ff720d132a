import { Type } from '@sinclair/typebox';
import { Fen, MemberId, Timestamp } from '../catalogue/shared.js';

/** What changed a member's stored value. */
export const STORED_VALUE_CHANGE_KINDS = ['top_up', 'spend', 'spend_refund', 'top_up_refund'] as const;

/**
 * `stored-value.changed`: a member's stored value moved — a paid top-up, a spend at a till, a refund
 * of either. Deltas are signed fen (negative: taken out); `forfeitedBonusFen` is the bonus a top-up
 * refund forfeited.
 */
export const StoredValueChangedData = Type.Object(
  {
    memberId: MemberId,
    kind: Type.Union(STORED_VALUE_CHANGE_KINDS.map((kind) => Type.Literal(kind))),
    refId: Type.String({ description: 'The top-up or spend it belongs to' }),
    principalDeltaFen: Type.Integer(),
    bonusDeltaFen: Type.Integer(),
    forfeitedBonusFen: Fen(),
    balanceFen: Fen({ description: 'The balance after the change' }),
    storeId: Type.Union([Type.String(), Type.Null()]),
    at: Timestamp(),
  },
  { additionalProperties: false },
);
