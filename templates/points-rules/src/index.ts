import { BENEFIT_CLASSES, definePlugin, Type, type Benefit } from '@tongkit/sdk';
import { createRuleEvaluator, Rule } from '@tongkit/sdk/rules';

/**
 * Points and benefits as rules the merchant's operator writes, no code: each rule is a condition and
 * an amount in Tongkit's JsonLogic dialect (docs/rules.md). The host checks every rule when the
 * settings are saved — operators, the input fields it reads, integers only — and refuses a bad one at
 * its JSON path, so the rules that reach this code are well-formed.
 */
const EarnRule = Type.Object(
  {
    label: Type.String({ minLength: 1, maxLength: 60, title: 'Shown in the member’s ledger' }),
    when: Rule({ point: 'member.points.earn', result: 'boolean', title: 'Orders it applies to (true: all)' }),
    points: Rule({ point: 'member.points.earn', result: 'integer', title: 'Points it adds (integers; bps for percentages)' }),
  },
  { additionalProperties: false },
);

const BenefitRule = Type.Object(
  {
    label: Type.String({ minLength: 1, maxLength: 60 }),
    when: Rule({ point: 'member.benefits.resolve', result: 'boolean', title: 'Carts it applies to' }),
    class: Type.Union(BENEFIT_CLASSES.map((c) => Type.Literal(c))),
    kind: Type.Union([Type.Literal('discount_bp'), Type.Literal('discount_fen'), Type.Literal('free_shipping'), Type.Literal('gift'), Type.Literal('points_multiplier_bp')]),
    ratioBp: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
    amountFen: Type.Optional(Type.Integer({ minimum: 0 })),
    categories: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 50, default: [], title: 'Only lines of these categories (none: the whole cart)' }),
  },
  { additionalProperties: false },
);

const ONE_POINT_PER_YUAN = { label: '1 point per yuan', when: true, points: { div: [{ var: 'order.spendFen' }, 100] } };

export default definePlugin({
  name: 'my-points-rules',
  version: '0.1.0',
  apiVersion: '2026-11',
  description: 'Points and checkout benefits from rules the merchant writes (JsonLogic)',
  permissions: ['member:read', 'orders:read'],
  settings: Type.Object({
    tiers: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 20, default: ['regular', 'silver', 'gold'], title: 'The tier ladder, lowest first (what tierAtLeast compares by)' }),
    earnRules: Type.Array(EarnRule, { maxItems: 20, default: [ONE_POINT_PER_YUAN], title: 'Points: every rule that applies adds its points' }),
    benefitRules: Type.Array(BenefitRule, { maxItems: 20, default: [], title: 'Benefits at checkout' }),
  }),
  extensions: {
    'member.points.earn': (input, { settings }) => {
      const evaluate = evaluatorFor(settings.tiers);
      const applied = settings.earnRules.filter((rule) => evaluate(rule.when, input) === true);
      // Each rule's points are integers (the dialect has no fractions); a rule that takes points away
      // counts as 0, so no rule can make an order cost points.
      const points = applied.reduce((sum, rule) => sum + Math.max(0, evaluate(rule.points, input) as number), 0);
      const yuan = Math.floor(input.order.spendFen / 100);
      return {
        points: Math.min(points, 100_000_000),
        growth: Math.min(yuan, 100_000_000),
        reason: applied.length > 0 ? applied.map((r) => r.label).join(' + ').slice(0, 200) : 'no rule applies',
      };
    },
    'member.benefits.resolve': (input, { settings }) => {
      const evaluate = evaluatorFor(settings.tiers);
      const benefits: Benefit[] = settings.benefitRules.flatMap((rule) => {
        if (evaluate(rule.when, input) !== true) return [];
        const lineIds = rule.categories.length === 0 ? [] : input.cart.lines.filter((l) => rule.categories.includes(l.category)).map((l) => l.lineId);
        // A rule for some categories gives nothing when no line is of them (not the whole cart).
        if (rule.categories.length > 0 && lineIds.length === 0) return [];
        return [{ class: rule.class, kind: rule.kind, ...(rule.ratioBp === undefined ? {} : { ratioBp: rule.ratioBp }), ...(rule.amountFen === undefined ? {} : { amountFen: rule.amountFen }), lineIds, label: rule.label }];
      });
      return { benefits };
    },
  },
});

/** One evaluator per ladder: it caches each rule's plan, and an isolate serves many calls. */
const evaluators = new Map<string, ReturnType<typeof createRuleEvaluator>>();
function evaluatorFor(tiers: string[]) {
  const key = JSON.stringify(tiers);
  let evaluator = evaluators.get(key);
  if (!evaluator) {
    evaluator = createRuleEvaluator({ tierRanks: Object.fromEntries(tiers.map((id, rank) => [id, rank])) });
    if (evaluators.size > 20) evaluators.clear();
    evaluators.set(key, evaluator);
  }
  return evaluator;
}
