import { Type, type Static } from '@sinclair/typebox';
import { Fen, MemberId, Timestamp } from '../catalogue/shared.js';
import { OrderId } from './orders.js';

/** A guide's ID: the staff member's ID (a guide is a staff member with a guide record). */
export const GuideId = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', description: 'The guide (staff member) ID' });

/** How a member came to a guide. */
export const RelationSource = Type.Union(
  [Type.Literal('store_scan'), Type.Literal('share_link'), Type.Literal('store_order'), Type.Literal('manager_assignment'), Type.Literal('handover')],
  { description: 'store_scan | share_link | store_order | manager_assignment | handover' },
);
export type RelationSource = Static<typeof RelationSource>;

/** `guide.relation.changed`: a member's guide changed (bound, taken over, handed over or released). */
export const GuideRelationChangedData = Type.Object(
  {
    memberId: MemberId,
    fromGuideId: Type.Union([GuideId, Type.Null()]),
    toGuideId: Type.Union([GuideId, Type.Null()], { description: 'null: the relation was released' }),
    source: Type.Union([RelationSource, Type.Literal('released')]),
    override: Type.Boolean({ description: 'a manager took the member inside the protection window' }),
    boundAt: Timestamp(),
    protectedUntil: Type.Union([Timestamp(), Type.Null()]),
  },
  { additionalProperties: false },
);
export type GuideRelationChangedData = Static<typeof GuideRelationChangedData>;

/** `order.attributed`: the host decided which guide, if any, a paid order is attributed to. */
export const OrderAttributedData = Type.Object(
  {
    orderId: OrderId,
    memberId: Type.Union([MemberId, Type.Null()]),
    guideId: Type.Union([GuideId, Type.Null()]),
    reason: Type.String({ maxLength: 200 }),
    source: Type.Union([Type.Literal('plugin'), Type.Literal('fallback'), Type.Literal('platform')]),
  },
  { additionalProperties: false },
);
export type OrderAttributedData = Static<typeof OrderAttributedData>;

const CommissionEntryData = {
  orderId: OrderId,
  guideId: GuideId,
  role: Type.String({ maxLength: 32 }),
  amountFen: Fen(),
  accruedFen: Fen({ description: 'what this split accrued in all' }),
  reversedFen: Fen({ description: 'what this split reversed in all, after this entry' }),
};

/** `commission.accrued`: a split of an attributed order's commission was accrued to a guide. */
export const CommissionAccruedData = Type.Object(CommissionEntryData, { additionalProperties: false });
export type CommissionAccruedData = Static<typeof CommissionAccruedData>;

/** `commission.reversed`: part of a split was clawed back after a refund (cumulative reversal). */
export const CommissionReversedData = Type.Object({ ...CommissionEntryData, refundId: Type.String({ maxLength: 64 }) }, { additionalProperties: false });
export type CommissionReversedData = Static<typeof CommissionReversedData>;
