import { Type, type Static } from '@tongkit/sdk';

// The merchant's settings form is generated from this schema: every field has a title, a default and
// bounds. Money is integer fen (¥1 = 100 fen); the store weighting is integer basis points (10000 = 1×).
// The schema is flat on purpose: a form renders it as one list, and a per-store override replaces
// single fields rather than whole nested objects.

const spendFen = (level: string, yuan: number) =>
  Type.Integer({ minimum: 0, default: yuan * 100, title: `${level}: 12-month spend from (fen)` });
const growthValue = (level: string, value: number) =>
  Type.Integer({ minimum: 0, default: value, title: `${level}: growth value from` });

export const settingsSchema = Type.Object(
  {
    qualifyBy: Type.Union(
      [Type.Literal('spend-or-growth'), Type.Literal('spend-and-growth'), Type.Literal('spend'), Type.Literal('growth')],
      {
        default: 'spend-or-growth',
        title: 'A level is reached by',
        description: 'spend-or-growth: either threshold; spend-and-growth: both; spend or growth: that one only',
      },
    ),
    silverSpendFen: spendFen('银卡 Silver', 1_000),
    silverGrowthValue: growthValue('银卡 Silver', 1_000),
    goldSpendFen: spendFen('金卡 Gold', 5_000),
    goldGrowthValue: growthValue('金卡 Gold', 5_000),
    platinumSpendFen: spendFen('白金 Platinum', 20_000),
    platinumGrowthValue: growthValue('白金 Platinum', 20_000),
    blackSpendFen: spendFen('黑金 Black', 50_000),
    blackGrowthValue: growthValue('黑金 Black', 50_000),
    storeSpendWeightBps: Type.Integer({
      minimum: 0,
      maximum: 30_000,
      default: 12_000,
      title: 'Store spend counts as (basis points; 10000 = 1×, 12000 = 1.2×)',
      description: 'Weights in-store spend against online spend to encourage store visits',
    }),
    validityMonths: Type.Integer({
      minimum: 1,
      maximum: 36,
      default: 12,
      title: 'A new, upgraded or renewed tier is valid for (months)',
    }),
    protectDowngradeUntilExpiry: Type.Boolean({
      default: true,
      title: 'Keep a member’s tier until it expires, even if they no longer qualify',
    }),
    maxDowngradeSteps: Type.Integer({
      minimum: 1,
      maximum: 4,
      default: 1,
      title: 'At most this many levels down per evaluation (4 = straight to the qualified level)',
    }),
  },
  { additionalProperties: false },
);

/** The install's effective settings, defaults applied and validated by the host. */
export type Settings = Static<typeof settingsSchema>;
