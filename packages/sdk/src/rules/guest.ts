// The part of @tongkit/sdk/rules bundled into plugins (`tongkit build` aliases it here): the checker and
// the evaluator, without TypeBox. `Rule()` only has to exist in the sandbox: the manifest already carries
// the settings' JSON Schema.
import type { TUnknown } from '@sinclair/typebox';
import type { Rule as RuleBuilder } from './index.js';

export { RULE_KEYWORD, RULE_LIMITS, RULE_OPERATORS, REFUSED_OPERATORS } from './dialect.js';
export { checkRule, kindsOf } from './check-rule.js';
export { createRuleEvaluator, RuleEvaluationError } from './evaluate.js';

/** Inert inside the sandbox: see the module comment. */
export const Rule: typeof RuleBuilder = () => ({}) as TUnknown;
