import { Type, type Static } from '@sinclair/typebox';
import { Fen, MemberId, SYNC_POINT_BUDGET, Timestamp, type ExtensionPointSpec, type OutputProblem } from './shared.js';

import { BENEFIT_CLASSES } from './benefit-classes.js';

export { BENEFIT_CLASSES, STACKING_MODES, type BenefitClass, type StackingMode } from './benefit-classes.js';

const CartLine = Type.Object(
  {
    lineId: Type.String({ minLength: 1, maxLength: 64 }),
    sku: Type.String({ minLength: 1, maxLength: 64 }),
    category: Type.String({ maxLength: 64 }),
    quantity: Type.Integer({ minimum: 1, maximum: 10_000 }),
    unitPriceFen: Fen(),
    totalFen: Fen({ description: 'quantity × unitPriceFen' }),
  },
  { additionalProperties: false },
);

/** The tier's base benefits, host data the merchant keeps per tier. */
export const TierBenefitsSchema = Type.Object(
  {
    tierId: Type.String({ minLength: 1, maxLength: 64 }),
    discountBp: Type.Integer({ minimum: 0, maximum: 10_000, description: 'Discount on every line, basis points' }),
    freeShipping: Type.Boolean(),
    birthdayGift: Type.Union([Type.String({ maxLength: 100 }), Type.Null()], { description: 'A gift in the birthday month' }),
  },
  { additionalProperties: false },
);

const BenefitsInput = Type.Object(
  {
    member: Type.Object(
      {
        id: MemberId,
        tierId: Type.Union([Type.String(), Type.Null()]),
        pointsBalance: Type.Integer(),
        storedValueFen: Fen(),
        birthdayThisMonth: Type.Boolean({ description: 'In the merchant’s time zone; the birthday itself is PII and never in the input' }),
      },
      { additionalProperties: false },
    ),
    cart: Type.Object(
      {
        channel: Type.Union([Type.Literal('online'), Type.Literal('store')]),
        storeId: Type.Union([Type.String(), Type.Null()]),
        totalFen: Fen(),
        lines: Type.Array(CartLine, { minItems: 1, maxItems: 200 }),
      },
      { additionalProperties: false },
    ),
    tierBenefits: Type.Union([TierBenefitsSchema, Type.Null()]),
    now: Timestamp({ description: 'The checkout’s time: plugins must use this, not a clock' }),
  },
  { additionalProperties: false },
);
/** The input of `member.benefits.resolve`. */
export type BenefitsInput = Static<typeof BenefitsInput>;

/** One benefit an install proposes. `lineIds` empty: the whole cart. */
export const BenefitSchema = Type.Object(
  {
    class: Type.Union(BENEFIT_CLASSES.map((c) => Type.Literal(c))),
    kind: Type.Union([Type.Literal('discount_bp'), Type.Literal('discount_fen'), Type.Literal('free_shipping'), Type.Literal('gift'), Type.Literal('points_multiplier_bp')]),
    ratioBp: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000, description: 'discount_bp: ≤ 10000; points_multiplier_bp: 10000 = 1×' })),
    amountFen: Type.Optional(Fen({ description: 'discount_fen: spread over the lines by their totals' })),
    lineIds: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 200 }),
    label: Type.String({ minLength: 1, maxLength: 100 }),
  },
  { additionalProperties: false },
);
export type Benefit = Static<typeof BenefitSchema>;

const BenefitsOutput = Type.Object({ benefits: Type.Array(BenefitSchema, { maxItems: 50 }) }, { additionalProperties: false });
export type BenefitsOutput = Static<typeof BenefitsOutput>;

/** The checks a schema cannot state: lines in the cart, the amount or ratio the kind needs. */
export function checkBenefits(input: BenefitsInput, output: BenefitsOutput): OutputProblem[] {
  const lines = new Set(input.cart.lines.map((l) => l.lineId));
  const problems: OutputProblem[] = [];
  output.benefits.forEach((benefit, i) => {
    benefit.lineIds.forEach((id, j) => {
      if (!lines.has(id)) problems.push({ path: `/benefits/${i}/lineIds/${j}`, message: `line ${id.slice(0, 64)} is not in the cart` });
    });
    if (benefit.kind === 'discount_bp' && (benefit.ratioBp === undefined || benefit.ratioBp > 10_000)) problems.push({ path: `/benefits/${i}/ratioBp`, message: 'a discount_bp needs ratioBp from 0 to 10000' });
    if (benefit.kind === 'points_multiplier_bp' && benefit.ratioBp === undefined) problems.push({ path: `/benefits/${i}/ratioBp`, message: 'a points_multiplier_bp needs ratioBp' });
    if (benefit.kind === 'discount_fen' && benefit.amountFen === undefined) problems.push({ path: `/benefits/${i}/amountFen`, message: 'a discount_fen needs amountFen' });
  });
  return problems;
}

/** The tier's base benefits as benefits (the point's fallback, applied once when no install answered). */
export function tierBaseBenefits(input: BenefitsInput): BenefitsOutput {
  const tier = input.tierBenefits;
  if (!tier) return { benefits: [] };
  const benefits: Benefit[] = [];
  if (tier.discountBp > 0) benefits.push({ class: 'tier_discount', kind: 'discount_bp', ratioBp: tier.discountBp, lineIds: [], label: `${tier.tierId} discount` });
  if (tier.freeShipping) benefits.push({ class: 'shipping', kind: 'free_shipping', lineIds: [], label: `${tier.tierId} free shipping` });
  if (tier.birthdayGift !== null && input.member.birthdayThisMonth) benefits.push({ class: 'gift', kind: 'gift', lineIds: [], label: tier.birthdayGift });
  return { benefits };
}

/**
 * `member.benefits.resolve` (会员通): a member's benefits at checkout. The second `merge` point: every
 * enabled install proposes benefits, each of a host benefit class; the host combines them by the
 * merchant's stacking per class, caps discounts at each line's price (so at the cart total), and says
 * which install decided what.
 */
export const memberBenefitsResolve = {
  id: 'member.benefits.resolve',
  apiVersion: '2026-11',
  primitive: '会员通',
  title: 'Benefits at checkout',
  description:
    'Proposes benefits for a member’s cart: discounts (basis points or fen) on lines, free shipping, gifts, points multipliers, each of a host benefit class. ' +
    'Merge rule: the merchant’s stacking per class (stack: all apply; best-of: the largest discount; exclusive: the first install’s only), discounts applied in class order and capped at each line’s remaining price, so no price goes below zero and the total discount never exceeds the cart total. ' +
    'A benefit naming a line not in the cart makes the install’s output invalid: it contributes nothing (logged, counted). The tier’s base benefits (host data) apply once, only when no install answered.',
  input: BenefitsInput,
  output: BenefitsOutput,
  budget: SYNC_POINT_BUDGET,
  combine: 'merge',
  permissions: ['member:read'],
  fallback: 'the failed install contributes nothing; when no install answered, the tier’s base benefits apply once',
  fallbackOutput: tierBaseBenefits,
  checkOutput: (input, output) => checkBenefits(input as BenefitsInput, output as BenefitsOutput),
} satisfies ExtensionPointSpec<typeof BenefitsInput, typeof BenefitsOutput>;
