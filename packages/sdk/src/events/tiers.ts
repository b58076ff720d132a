import { Type, type Static } from '@sinclair/typebox';
import { MemberId, Timestamp } from '../catalogue/shared.js';
import { TierTrigger } from '../catalogue/member-tier-compute.js';

const TierRef = Type.Object(
  { tierId: Type.String({ maxLength: 32 }), name: Type.String({ maxLength: 32 }), rank: Type.Integer({ minimum: 0, maximum: 100 }) },
  { additionalProperties: false },
);

/**
 * `member.tier.changed`: the host applied a new tier to a member (once per change, whatever the
 * redeliveries of the order events that caused it). `from` is null for a member leaving the entry tier
 * it held without ever being assigned one.
 */
export const MemberTierChangedData = Type.Object(
  {
    memberId: MemberId,
    from: Type.Union([TierRef, Type.Null()]),
    to: TierRef,
    direction: Type.Union([Type.Literal('up'), Type.Literal('down')]),
    reason: Type.String({ maxLength: 200, description: 'The deciding install’s reason' }),
    trigger: TierTrigger,
    expiresAt: Type.Union([Timestamp(), Type.Null()], { description: 'When the new tier lapses; null = never' }),
    changedAt: Timestamp({ description: 'The fact’s time the decision was made for (its `now`)' }),
    historyId: Type.String({ description: 'The row of GET /v1/members/:id/tier-history' }),
    installId: Type.Union([Type.String(), Type.Null()], { description: 'The install that decided; null for the platform default' }),
    version: Type.Union([Type.String(), Type.Null()], { description: 'Its plugin version' }),
    invocationId: Type.String({ description: 'The logged invocation (tongkit replay <id>)' }),
  },
  { additionalProperties: false },
);
/** The data of a `member.tier.changed` event. */
export type MemberTierChangedData = Static<typeof MemberTierChangedData>;
