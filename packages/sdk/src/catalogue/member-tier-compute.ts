import { Type } from '@sinclair/typebox';
import { Fen, MemberId, SYNC_POINT_BUDGET, Timestamp, type ExtensionPointSpec, type OutputProblem } from './shared.js';

const TierId = Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9_.-]+$', description: 'Tier ID' });

/** One level of the merchant's tier ladder, as configured on the platform. */
export const TierDefinition = Type.Object(
  {
    id: TierId,
    name: Type.String({ minLength: 1, maxLength: 32, description: 'Display name, e.g. 金卡' }),
    rank: Type.Integer({ minimum: 0, maximum: 100, description: 'Higher is better; the entry tier has rank 0' }),
  },
  { additionalProperties: false },
);

/** What made the host compute a member's tier (absent in inputs written before the host assembled them). */
export const TierTrigger = Type.Union([Type.Literal('order.paid'), Type.Literal('order.refunded'), Type.Literal('points.changed'), Type.Literal('schedule')], {
  description: 'order.paid | order.refunded | points.changed (growth value moved) | schedule (expiry or the end of downgrade protection)',
});

const MemberTierInput = Type.Object(
  {
    member: Type.Object(
      {
        id: MemberId,
        currentTier: Type.Union([
          Type.Object(
            {
              id: TierId,
              expiresAt: Type.Union([Timestamp(), Type.Null()], { description: 'When the current tier lapses; null = never' }),
              since: Type.Optional(Timestamp({ description: 'When the member reached this tier' })),
              protectedUntil: Type.Optional(
                Type.Union([Timestamp(), Type.Null()], { description: 'Until then the host keeps the tier against a downgrade (the ladder’s downgrade protection)' }),
              ),
            },
            { additionalProperties: false },
          ),
          Type.Null(),
        ]),
        growthValue: Type.Integer({ description: 'Growth value balance (成长值); negative only while refunds left a debt' }),
        pointsBalance: Type.Integer({ description: 'Points balance; negative means a debt from refunds' }),
        spend12mFen: Type.Object(
          {
            online: Fen({ description: 'Spend online over the last 12 months, in fen: cash and card tenders, net of refunds' }),
            store: Fen({ description: 'Spend in stores over the last 12 months, in fen: cash and card tenders, net of refunds' }),
            total: Type.Optional(Fen({ description: 'online + store' })),
          },
          { additionalProperties: false },
        ),
        orderCount12m: Type.Integer({ minimum: 0, description: 'Paid orders over the last 12 months that were not refunded in full' }),
      },
      { additionalProperties: false },
    ),
    tiers: Type.Array(TierDefinition, { minItems: 1, maxItems: 20, description: 'The merchant’s tier ladder' }),
    ladder: Type.Optional(
      Type.Object(
        {
          validityMonths: Type.Union([Type.Integer({ minimum: 1, maximum: 120 }), Type.Null()], { description: 'How long a reached tier lasts (null: until a downgrade)' }),
          downgradeProtectionDays: Type.Integer({ minimum: 0, maximum: 3650, description: 'Days after reaching a tier during which the host refuses a downgrade' }),
        },
        { additionalProperties: false, description: 'The ladder’s rules the host enforces on the decision' },
      ),
    ),
    window: Type.Optional(
      Type.Object({ from: Timestamp(), to: Timestamp() }, { additionalProperties: false, description: 'The 12-month window, from local midnight a year back in the merchant’s time zone, to now (inclusive)' }),
    ),
    trigger: Type.Optional(TierTrigger),
    now: Timestamp({ description: 'The decision time (the fact’s time: an order’s paidAt, a refund’s refundedAt); plugins must use this, not a clock' }),
  },
  { additionalProperties: false },
);

const MemberTierOutput = Type.Object(
  {
    tierId: TierId,
    expiresAt: Type.Optional(Type.Union([Timestamp(), Type.Null()], { description: 'When the new tier lapses; null = never' })),
    reason: Type.String({ minLength: 1, maxLength: 200, description: 'Why, in words a merchant and member understand' }),
  },
  { additionalProperties: false },
);

/** `member.tier.compute` (会员通): decides a member's tier. Exclusive; fallback keeps the current tier. */
export const memberTierCompute = {
  id: 'member.tier.compute',
  apiVersion: '2026-11',
  primitive: '会员通',
  title: 'Compute a member’s tier',
  description:
    'Decides a member’s tier. The host assembles the input from its own orders and ledger (12-month spend by channel in the merchant’s time zone, cash and card tenders net of refunds; order count; growth value; points balance) on order.paid, order.refunded, growth changes and on schedule, validates the answer against the merchant’s ladder, applies it (keeping the ladder’s validity and downgrade protection), records it in the tier history and emits member.tier.changed once per change.',
  input: MemberTierInput,
  output: MemberTierOutput,
  budget: SYNC_POINT_BUDGET,
  combine: 'exclusive',
  permissions: ['member:read'],
  fallback: 'keep the current tier (or the lowest-ranked tier for a new member)',
  fallbackOutput(input) {
    const current = input.member.currentTier;
    if (current && input.tiers.some((tier) => tier.id === current.id)) {
      return { tierId: current.id, expiresAt: current.expiresAt, reason: 'platform default: tier unchanged' };
    }
    const lowest = [...input.tiers].sort((a, b) => a.rank - b.rank)[0]!;
    return { tierId: lowest.id, reason: 'platform default: entry tier' };
  },
  checkOutput(input, output) {
    const problems: OutputProblem[] = [];
    const tiers = (input as { tiers: Array<{ id: string }> }).tiers;
    const tierId = (output as { tierId: string }).tierId;
    if (!tiers.some((tier) => tier.id === tierId)) {
      problems.push({ path: '/tierId', message: `tier "${tierId}" is not one of the input's tiers (${tiers.map((t) => t.id).join(', ')})` });
    }
    return problems;
  },
} satisfies ExtensionPointSpec<typeof MemberTierInput, typeof MemberTierOutput>;
