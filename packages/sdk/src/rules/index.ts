/**
 * Low-code rules: Tongkit's JsonLogic dialect, checked when a merchant saves settings and evaluated
 * inside the sandbox. `import { Rule, checkRule, createRuleEvaluator } from '@tongkit/sdk/rules'`.
 * docs/rules.md describes the dialect.
 */
import { Type, type TUnknown } from '@sinclair/typebox';
import { RULE_KEYWORD, type RuleResult } from './dialect.js';

export { RULE_KEYWORD, RULE_LIMITS, RULE_OPERATORS, REFUSED_OPERATORS, type OperatorSpec, type RuleResult, type RuleValueKind } from './dialect.js';
export { checkRule, kindsOf, type CheckRuleOptions, type RuleProblem, type ScopeSchema } from './check-rule.js';
export { createRuleEvaluator, RuleEvaluationError, type RuleEvaluator, type RuleEvaluatorOptions } from './evaluate.js';

/** What a rule setting reads and gives: `{"var": …}` paths are fields of `point`'s input. */
export interface RuleSpec {
  /** The extension point whose input the rule reads, e.g. `member.points.earn`. */
  point: string;
  result: RuleResult;
}

/**
 * A settings field holding a rule of the dialect. The host checks it when the settings are saved (CLI,
 * API and workbench alike): operators, `var` paths against `point`'s input, the result's kind, size;
 * a bad rule is TK_VALIDATION at its JSON path, e.g. `/earnRules/2/points/if/0/>=/0`.
 *
 * @example
 *   settings: Type.Object({ when: Rule({ point: 'member.points.earn', result: 'boolean', title: 'Orders this applies to' }) })
 */
export function Rule(spec: RuleSpec & { title?: string; description?: string; default?: unknown }): TUnknown {
  const { point, result, ...annotations } = spec;
  return Type.Unknown({ ...annotations, [RULE_KEYWORD]: { point, result } });
}
