import { Type, type Static } from '@sinclair/typebox';
import { GuideId } from '../events/guides.js';
import { BasisPoints, Fen, SYNC_POINT_BUDGET, Timestamp, type ExtensionPointSpec, type OutputProblem } from './shared.js';

const GuideRole = Type.Union([Type.Literal('guide'), Type.Literal('store_manager'), Type.Literal('area_manager')]);

const GuideCommissionInput = Type.Object(
  {
    order: Type.Object(
      {
        id: Type.String({ minLength: 1, maxLength: 64 }),
        channel: Type.Union([Type.Literal('online'), Type.Literal('store')]),
        storeId: Type.Union([Type.String(), Type.Null()]),
        spendFen: Fen({ description: 'money tenders (cash + card): the commission base' }),
        totalFen: Fen(),
        lines: Type.Array(Type.Object({ sku: Type.String(), category: Type.String(), quantity: Type.Integer({ minimum: 1 }), netFen: Fen() }, { additionalProperties: false }), { maxItems: 200 }),
        paidAt: Timestamp(),
      },
      { additionalProperties: false },
    ),
    guide: Type.Object({ guideId: GuideId, role: GuideRole, storeId: Type.Union([Type.String(), Type.Null()]) }, { additionalProperties: false }),
    team: Type.Array(Type.Object({ guideId: GuideId, role: GuideRole, storeId: Type.Union([Type.String(), Type.Null()]) }, { additionalProperties: false }), {
      maxItems: 50,
      description: 'active managers of the guide’s store and area managers: who else a split may name',
    }),
    settings: Type.Object({ defaultRateBp: BasisPoints(), capBp: BasisPoints({ description: 'the merchant’s cap: all splits together at most this share of spendFen' }) }, { additionalProperties: false }),
    now: Timestamp(),
  },
  { additionalProperties: false },
);
export type GuideCommissionInput = Static<typeof GuideCommissionInput>;

const CommissionSplit = Type.Object(
  { guideId: GuideId, role: GuideRole, amountFen: Fen(), basis: Type.String({ minLength: 1, maxLength: 200, description: 'how it was computed' }) },
  { additionalProperties: false },
);
const GuideCommissionOutput = Type.Object({ splits: Type.Array(CommissionSplit, { maxItems: 20 }) }, { additionalProperties: false });
export type GuideCommissionOutput = Static<typeof GuideCommissionOutput>;

/** The merchant's cap for an order in fen: `floor(spendFen × capBp / 10000)`. */
export function commissionCapFen(input: GuideCommissionInput): number {
  return Number((BigInt(input.order.spendFen) * BigInt(input.settings.capBp)) / 10_000n);
}

/** The platform default: the default ratio of the money tenders to the attributed guide (within the cap). */
export function defaultCommission(input: GuideCommissionInput): GuideCommissionOutput {
  const amount = Math.min(commissionCapFen(input), Number((BigInt(input.order.spendFen) * BigInt(input.settings.defaultRateBp)) / 10_000n));
  return { splits: amount > 0 ? [{ guideId: input.guide.guideId, role: input.guide.role, amountFen: amount, basis: `platform default: ${input.settings.defaultRateBp} bp of ${input.order.spendFen} fen` }] : [] };
}

/**
 * What the host checks in commission splits: each names the attributed guide or one of the team, with
 * its role, at most once; together they never exceed the merchant's cap for the order.
 */
export function checkGuideCommission(input: GuideCommissionInput, output: GuideCommissionOutput): OutputProblem[] {
  const problems: OutputProblem[] = [];
  const people = [input.guide, ...input.team];
  const seen = new Set<string>();
  output.splits.forEach((split, i) => {
    const person = people.find((p) => p.guideId === split.guideId);
    if (!person) problems.push({ path: `/splits/${i}/guideId`, message: `${split.guideId} is neither the attributed guide nor one of the team` });
    else if (person.role !== split.role) problems.push({ path: `/splits/${i}/role`, message: `${split.guideId} is a ${person.role}, not a ${split.role}` });
    if (seen.has(split.guideId)) problems.push({ path: `/splits/${i}/guideId`, message: `${split.guideId} has two splits: give each one` });
    seen.add(split.guideId);
  });
  const total = output.splits.reduce((a, s) => a + s.amountFen, 0);
  const cap = commissionCapFen(input);
  if (total > cap) problems.push({ path: '/splits', message: `the splits add up to ${total} fen, more than the merchant's cap of ${cap} fen for this order` });
  return problems;
}

/**
 * `guide.commission` (导购): the commission splits of an attributed order. Exclusive. Fallback: the
 * platform default ratio to the attributed guide.
 */
export const guideCommission = {
  id: 'guide.commission',
  apiVersion: '2026-11',
  primitive: '导购',
  title: 'Split an attributed order’s commission',
  description:
    'Decides who earns what on an attributed order (the guide, their store manager, …) from its lines and categories, the guide’s role and store and the settings. The host checks the people and the merchant’s cap, and accrues the splits in the commission ledger.',
  input: GuideCommissionInput,
  output: GuideCommissionOutput,
  budget: SYNC_POINT_BUDGET,
  combine: 'exclusive',
  permissions: ['guides:read', 'orders:read'],
  fallback: 'the platform default ratio to the attributed guide',
  fallbackOutput: defaultCommission,
  checkOutput: (input, output) => checkGuideCommission(input as GuideCommissionInput, output as GuideCommissionOutput),
} satisfies ExtensionPointSpec<typeof GuideCommissionInput, typeof GuideCommissionOutput>;
