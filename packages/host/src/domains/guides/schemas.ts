import { Type } from '@sinclair/typebox';
import { Guide, GuideId, GuideRelation, MemberId, OrderId } from '@tongkit/sdk';

export { Guide, GuideRelation };
const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', description: 'lowercase id' });
const Timestamp = Type.String({ format: 'date-time' });
const Role = Type.Union([Type.Literal('guide'), Type.Literal('store_manager'), Type.Literal('area_manager')]);

export const GuideParams = Type.Object({ guideId: GuideId });
export const MemberParams = Type.Object({ memberId: MemberId });
export const ShareId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'share id' });
export const Month = Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM, the merchant’s local month' });

export const UpsertGuideRequest = Type.Object(
  { id: Id, role: Role, storeId: Type.Optional(Type.Union([Id, Type.Null()])), memberId: Type.Optional(Type.Union([MemberId, Type.Null()])) },
  { additionalProperties: false },
);
export const GuideList = Type.Object({ items: Type.Array(Guide) });

export const LeaveRequest = Type.Object(
  { handoverTo: Type.Optional(GuideId), at: Type.Optional(Timestamp) },
  { additionalProperties: false, description: 'No handoverTo: the members go to the store’s active manager, else are released' },
);
export const LeaveResult = Type.Object({
  result: Type.Union([Type.Literal('applied'), Type.Literal('duplicate')]),
  guide: Guide,
  handedOverTo: Type.Union([GuideId, Type.Null()]),
  rule: Type.Union([Type.Literal('named_guide'), Type.Literal('store_manager'), Type.Literal('released')]),
  members: Type.Integer({ minimum: 0 }),
});

export const BindRequest = Type.Object(
  {
    memberId: MemberId,
    guideId: GuideId,
    source: Type.Union([Type.Literal('store_scan'), Type.Literal('share_link'), Type.Literal('store_order'), Type.Literal('manager_assignment')]),
    at: Type.Optional(Timestamp),
    override: Type.Optional(Type.Object({ managerId: GuideId, reason: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
export const BindResult = Type.Object({
  result: Type.Union([Type.Literal('applied'), Type.Literal('duplicate'), Type.Literal('rejected')]),
  code: Type.Union(['BOUND', 'REBOUND', 'OVERRIDDEN', 'ALREADY_BOUND', 'PROTECTED', 'GUIDE_LEFT'].map((c) => Type.Literal(c))),
  message: Type.Optional(Type.String()),
  relation: Type.Union([GuideRelation, Type.Null()]),
});

const Move = Type.Object({
  action: Type.String(),
  fromGuideId: Type.Union([Type.String(), Type.Null()]),
  toGuideId: Type.Union([Type.String(), Type.Null()]),
  source: Type.Union([Type.String(), Type.Null()]),
  actor: Type.String(),
  reason: Type.Union([Type.String(), Type.Null()]),
  at: Timestamp,
});
export const MemberRelation = Type.Object({ relation: Type.Union([GuideRelation, Type.Null()]), history: Type.Array(Move) });
export const RelationList = Type.Object({ items: Type.Array(GuideRelation) });

export const ShareRequest = Type.Object(
  { shareId: Type.Optional(ShareId), channel: Type.Union([Type.Literal('online'), Type.Literal('store')], { default: 'online' }), target: Type.String({ minLength: 1, maxLength: 500, description: 'what is shared: a product, a page' }), at: Type.Optional(Timestamp) },
  { additionalProperties: false },
);
export const Share = Type.Object({ id: ShareId, guideId: GuideId, channel: Type.String(), target: Type.String(), createdAt: Timestamp, clicks: Type.Integer({ minimum: 0 }) });
export const ShareResult = Type.Object({ result: Type.Union([Type.Literal('applied'), Type.Literal('duplicate')]), share: Share });
export const ShareList = Type.Object({ items: Type.Array(Share) });
export const ClickRequest = Type.Object({ clickId: ShareId, memberId: MemberId, clickedAt: Timestamp }, { additionalProperties: false });
export const ClickResult = Type.Object({ result: Type.Union([Type.Literal('applied'), Type.Literal('duplicate')]) });

export const Commission = Type.Object({
  guideId: GuideId,
  balanceFen: Type.Integer({ description: 'Σ entries' }),
  accruedFen: Type.Integer({ minimum: 0 }),
  reversedFen: Type.Integer({ minimum: 0 }),
  entries: Type.Array(
    Type.Object({
      seq: Type.Integer(),
      orderId: OrderId,
      kind: Type.Union([Type.Literal('accrue'), Type.Literal('reverse')]),
      refundId: Type.Union([Type.String(), Type.Null()]),
      amountFen: Type.Integer(),
      occurredAt: Timestamp,
      statementMonth: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});

export const Statement = Type.Object({
  guideId: GuideId,
  month: Month,
  accruedFen: Type.Integer(),
  reversedFen: Type.Integer(),
  carriedFen: Type.Integer({ description: 'entries of earlier settled months that arrived after their settlement' }),
  netFen: Type.Integer(),
  entries: Type.Integer(),
  settledAt: Timestamp,
});
export const SettleRequest = Type.Object({ month: Month }, { additionalProperties: false });
export const SettleResult = Type.Object({ result: Type.Union([Type.Literal('applied'), Type.Literal('duplicate')]), statements: Type.Array(Statement) });

const Signal = Type.Object({
  signal: Type.Union(['store_order_share', 'relation_churn', 'bind_burst', 'quick_attribution', 'self_purchase_refused'].map((s) => Type.Literal(s))),
  value: Type.Integer(),
  threshold: Type.Integer(),
  flagged: Type.Boolean(),
  evidence: Type.Object({ orderIds: Type.Array(Type.String()), memberIds: Type.Array(Type.String()) }),
});
export const SignalsReport = Type.Object({ guideId: GuideId, from: Timestamp, to: Timestamp, attributedOrders: Type.Integer(), signals: Type.Array(Signal) });
export const SignalsQuery = Type.Object({ merchantId: Type.Optional(Type.String({ maxLength: 64 })), from: Type.Optional(Timestamp), to: Type.Optional(Timestamp) });
