/**
 * Tongkit's JsonLogic dialect: the operators a merchant's rule may use, and what each takes and gives.
 *
 * The dialect has no fractions. JsonLogic computes in floating point (`100 * 1.15` is 114.99999999999999,
 * floored to 114 points), so number literals are integers, `/` and `*` are not allowed, and money and
 * points arithmetic goes through integer operators the dialect adds: `bps` (an amount times basis
 * points over 10000, floored), `mul` (an integer product, refused past 2^53) and `div` (floored
 * integer division). Every arithmetic operator is exact or fails: a result past 2^53 fails the
 * evaluation rather than rounding. Tiers compare by rank, not as strings: `tierAtLeast`.
 *
 * Anything not listed here is refused when the rule is saved — no `method`-style call into the data,
 * no `../` scope walking, no `throw`, no `try`.
 */

/** The kind of value a rule expression gives, as the checker tracks it. */
export type RuleValueKind = 'integer' | 'string' | 'boolean' | 'null' | 'array' | 'object';

/** The result a rule setting must give. */
export type RuleResult = 'boolean' | 'integer';

/** How an operator's arguments are checked, beyond its count. */
export type OperatorArgs =
  | 'integers' // every argument an integer
  | 'any' // any value
  | 'booleans' // every argument a boolean (and, or)
  | 'strings'; // every argument a string (cat)

export interface OperatorSpec {
  /** Fewest and most arguments (most: Infinity for a list). */
  arity: [number, number];
  args: OperatorArgs | 'special';
  /** What it gives; `special` ones are typed by the checker itself (if, var, map, reduce…). */
  result: RuleValueKind | 'special';
  /** One line for docs/rules.md and for error hints. */
  summary: string;
}

/** Every operator of the dialect. */
export const RULE_OPERATORS: Readonly<Record<string, OperatorSpec>> = {
  var: { arity: [1, 2], args: 'special', result: 'special', summary: 'a field of the input by its dotted path, e.g. {"var":"order.totalFen"}; an optional second argument is the default' },
  if: { arity: [1, Infinity], args: 'special', result: 'special', summary: 'if / then / else-if / … / else' },
  and: { arity: [1, Infinity], args: 'booleans', result: 'boolean', summary: 'all true' },
  or: { arity: [1, Infinity], args: 'booleans', result: 'boolean', summary: 'any true' },
  '!': { arity: [1, 1], args: 'any', result: 'boolean', summary: 'not (falsy: false, 0, "", null, [])' },
  '!!': { arity: [1, 1], args: 'any', result: 'boolean', summary: 'truthy' },
  '==': { arity: [2, 2], args: 'special', result: 'boolean', summary: 'equal (values of one kind)' },
  '===': { arity: [2, 2], args: 'special', result: 'boolean', summary: 'equal (values of one kind)' },
  '!=': { arity: [2, 2], args: 'special', result: 'boolean', summary: 'not equal (values of one kind)' },
  '!==': { arity: [2, 2], args: 'special', result: 'boolean', summary: 'not equal (values of one kind)' },
  '<': { arity: [2, 3], args: 'integers', result: 'boolean', summary: 'less than; with three arguments, strictly between' },
  '<=': { arity: [2, 3], args: 'integers', result: 'boolean', summary: 'at most; with three arguments, between inclusive' },
  '>': { arity: [2, 2], args: 'integers', result: 'boolean', summary: 'greater than' },
  '>=': { arity: [2, 2], args: 'integers', result: 'boolean', summary: 'at least' },
  '+': { arity: [1, Infinity], args: 'integers', result: 'integer', summary: 'sum (past 2^53 fails the evaluation)' },
  '-': { arity: [1, 2], args: 'integers', result: 'integer', summary: 'difference, or negation with one argument' },
  '%': { arity: [2, 2], args: 'integers', result: 'integer', summary: 'remainder, with the sign of the dividend; by 0 fails the evaluation' },
  min: { arity: [1, Infinity], args: 'integers', result: 'integer', summary: 'smallest' },
  max: { arity: [1, Infinity], args: 'integers', result: 'integer', summary: 'largest' },
  bps: { arity: [2, 2], args: 'integers', result: 'integer', summary: 'amount × basis points ÷ 10000, floored: {"bps":[{"var":"order.spendFen"},150]} is 1.5 % of the spend' },
  mul: { arity: [2, Infinity], args: 'integers', result: 'integer', summary: 'integer product; a product past 2^53 fails the evaluation instead of losing digits' },
  div: { arity: [2, 2], args: 'integers', result: 'integer', summary: 'integer division, floored; dividing by 0 fails the evaluation' },
  tierAtLeast: { arity: [2, 2], args: 'special', result: 'boolean', summary: 'the tier (first argument) ranks at or above the named tier (a string), by the merchant’s ladder; an unknown or absent tier is false' },
  in: { arity: [2, 2], args: 'special', result: 'boolean', summary: 'a value in a list, or a string in a string' },
  cat: { arity: [1, Infinity], args: 'strings', result: 'string', summary: 'strings joined' },
  map: { arity: [2, 2], args: 'special', result: 'special', summary: 'each element of a list through an expression (inside it, {"var":"field"} is the element’s field)' },
  filter: { arity: [2, 2], args: 'special', result: 'special', summary: 'the elements of a list for which an expression is true' },
  all: { arity: [2, 2], args: 'special', result: 'boolean', summary: 'the expression is true for every element (false for an empty list)' },
  some: { arity: [2, 2], args: 'special', result: 'boolean', summary: 'the expression is true for at least one element' },
  none: { arity: [2, 2], args: 'special', result: 'boolean', summary: 'the expression is true for no element' },
  reduce: { arity: [3, 3], args: 'special', result: 'special', summary: 'folds a list: inside the expression {"var":"current"} is the element, {"var":"accumulator"} the value so far; the third argument starts it' },
};

/** Operators of plain JsonLogic that the dialect refuses on purpose, with what to use instead. */
export const REFUSED_OPERATORS: Readonly<Record<string, string>> = {
  '/': 'the dialect has no fractions: use div (floored integer division) or bps (basis points)',
  '*': 'use mul (an integer product, checked) or bps (amount × basis points ÷ 10000)',
  method: 'rules cannot call methods of the data',
  val: 'use var with a dotted path',
  get: 'use var with a dotted path',
  throw: 'a rule gives a value; it cannot throw',
  try: 'a rule gives a value; it cannot catch',
};

/** The limits of one rule: nesting, operator nodes, and JSON size. */
export const RULE_LIMITS = { maxDepth: 24, maxNodes: 400, maxBytes: 8 * 1024 } as const;

/** The JSON Schema keyword that marks a settings field as a rule: `{ point, result }`. */
export const RULE_KEYWORD = 'x-tongkit-rule';
