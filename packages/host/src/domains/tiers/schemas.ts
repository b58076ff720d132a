import { Type, type Static } from '@sinclair/typebox';
import { TierDefinition, TierTrigger, Timestamp } from '@tongkit/sdk';

/** `PUT /v1/tiers`: the merchant's tier ladder. */
export const TierLadderRequest = Type.Object(
  {
    tiers: Type.Array(TierDefinition, { minItems: 1, maxItems: 20, description: 'Each tier’s id, display name and rank (higher is better); ids and ranks unique. The lowest rank is the entry tier every member holds until promoted.' }),
    validityMonths: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, maximum: 120 }), Type.Null()], { description: 'How long a reached tier lasts, in calendar months (default null: until a downgrade). A plugin’s expiry is cut to it.' }),
    ),
    downgradeProtectionDays: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 3650, description: 'Days after reaching a tier during which the host keeps it against a downgrade (default 0); the schedule applies a refused downgrade when they end. Expiry is not protected.' }),
    ),
  },
  { additionalProperties: false },
);
export type TierLadderRequest = Static<typeof TierLadderRequest>;

/** The merchant's ladder as stored. */
export const TierLadder = Type.Object(
  {
    tiers: Type.Array(TierDefinition),
    validityMonths: Type.Union([Type.Integer(), Type.Null()]),
    downgradeProtectionDays: Type.Integer(),
    revision: Type.Integer({ description: 'Grows with every PUT' }),
    updatedAt: Timestamp(),
  },
  { additionalProperties: false },
);
export type TierLadder = Static<typeof TierLadder>;

/** A member's tier as reads show it. */
export const MemberTierView = Type.Object(
  {
    tierId: Type.String(),
    name: Type.String(),
    rank: Type.Integer(),
    assigned: Type.Boolean({ description: 'false: the entry tier, held without a decision yet' }),
    since: Type.Union([Timestamp(), Type.Null()]),
    expiresAt: Type.Union([Timestamp(), Type.Null()]),
    protectedUntil: Type.Union([Timestamp(), Type.Null()]),
  },
  { additionalProperties: false },
);
export type MemberTierView = Static<typeof MemberTierView>;

/** One change of a member's tier. */
export const TierChange = Type.Object(
  {
    id: Type.String(),
    memberId: Type.String(),
    fromTierId: Type.Union([Type.String(), Type.Null()]),
    toTierId: Type.String(),
    direction: Type.Union([Type.Literal('up'), Type.Literal('down')]),
    reason: Type.String(),
    trigger: TierTrigger,
    installId: Type.Union([Type.String(), Type.Null()]),
    version: Type.Union([Type.String(), Type.Null()]),
    invocationId: Type.String({ description: 'The logged invocation that decided it (GET /v1/logs, tongkit replay)' }),
    eventId: Type.String({ description: 'The member.tier.changed event that announced it' }),
    expiresAt: Type.Union([Timestamp(), Type.Null()]),
    changedAt: Timestamp(),
  },
  { additionalProperties: false },
);
export type TierChange = Static<typeof TierChange>;

export const TierHistoryQuery = Type.Object({
  merchantId: Type.Optional(Type.String({ maxLength: 64, description: 'For admins: the merchant to act for' })),
  after: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$', description: 'Cursor: `next` of the previous page' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
});

export const TierHistoryPage = Type.Object(
  { items: Type.Array(TierChange), next: Type.Union([Type.String(), Type.Null()], { description: 'Cursor of the next page' }) },
  { additionalProperties: false },
);
export type TierHistoryPage = Static<typeof TierHistoryPage>;
