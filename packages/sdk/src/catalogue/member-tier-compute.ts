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
            },
            { additionalProperties: false },
          ),
          Type.Null(),
        ]),
        growthValue: Type.Integer({ minimum: 0, description: 'Accumulated growth value (成长值)' }),
        pointsBalance: Type.Integer({ description: 'Points balance; negative means a debt from refunds' }),
        spend12mFen: Type.Object(
          {
            online: Fen({ description: 'Paid spend online over the last 12 months, in fen' }),
            store: Fen({ description: 'Paid spend in stores over the last 12 months, in fen' }),
          },
          { additionalProperties: false },
        ),
        orderCount12m: Type.Integer({ minimum: 0, description: 'Paid orders over the last 12 months' }),
      },
      { additionalProperties: false },
    ),
    tiers: Type.Array(TierDefinition, { minItems: 1, maxItems: 20, description: 'The merchant’s tier ladder' }),
    now: Timestamp({ description: 'The decision time; plugins must use this, not a clock' }),
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
    'Decides a member’s tier from 12-month spend by channel, growth value, points and order history. The host applies the tier (and emits member.tier.changed).',
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
