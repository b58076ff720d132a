// The rule dialect: a corpus of good and bad rules (each bad one with the JSON path the merchant is
// shown), the integer operators, and a property: any integer expression the checker accepts evaluates
// to exactly what exact (BigInt) arithmetic gives, or fails as a RuleEvaluationError exactly when that
// arithmetic leaves 2^53 or divides by 0 — never a float, never a silently rounded number.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getExtensionPoint } from '../src/index.js';
import { checkRule, createRuleEvaluator, REFUSED_OPERATORS, RULE_LIMITS, RULE_OPERATORS, RuleEvaluationError, type ScopeSchema } from '../src/rules/index.js';

const earn = JSON.parse(JSON.stringify(getExtensionPoint('member.points.earn')!.input)) as ScopeSchema;
const benefits = JSON.parse(JSON.stringify(getExtensionPoint('member.benefits.resolve')!.input)) as ScopeSchema;
const integer = (rule: unknown, scope = earn) => checkRule(rule, { scope, result: 'integer' });
const boolean = (rule: unknown, scope = earn) => checkRule(rule, { scope, result: 'boolean' });
const paths = (problems: { path: string }[]) => problems.map((p) => p.path);

describe('checkRule: rules the dialect accepts', () => {
  it.each([
    ['1 point per yuan', { div: [{ var: 'order.spendFen' }, 100] }],
    ['+10 % for gold', { if: [{ tierAtLeast: [{ var: 'member.tierId' }, 'gold'] }, { bps: [{ var: 'order.spendFen' }, 10] }, 0] }],
    ['in-store furniture', { reduce: [{ filter: [{ var: 'order.lines' }, { '==': [{ var: 'category' }, 'furniture'] }] }, { '+': [{ var: 'accumulator' }, { div: [{ var: 'current.netFen' }, 100] }] }, 0] }],
    ['a default for a missing line', { var: ['order.lines.0.netFen', 0] }],
    ['min and max', { max: [0, { min: [{ '-': [{ var: 'order.totalFen' }, 100000] }, 5000] }] }],
    ['a checked product', { mul: [{ var: ['order.lines.0.quantity', 0] }, 3] }],
  ])('%s', (_, rule) => expect(integer(rule)).toEqual([]));

  it('knows an index into a list may be missing: null, unless a default covers it', () => {
    expect(integer({ mul: [{ var: 'order.lines.0.quantity' }, 3] })[0]).toMatchObject({ path: '/mul/0', message: expect.stringMatching(/integer or null/) });
  });

  it.each([
    ['true', true],
    ['in store', { '==': [{ var: 'order.channel' }, 'store'] }],
    ['a category in a list', { some: [{ var: 'order.lines' }, { in: [{ var: 'category' }, ['sofa', 'bed']] }] }],
    ['between', { '<=': [100000, { var: 'order.totalFen' }, 500000] }],
    ['not', { '!': [{ var: 'order.storeId' }] }],
  ])('%s (boolean)', (_, rule) => expect(boolean(rule)).toEqual([]));

  it('reads a benefits cart the same way', () => expect(boolean({ '>=': [{ var: 'cart.totalFen' }, 300000] }, benefits)).toEqual([]));
});

describe('checkRule: what it refuses, and where', () => {
  it.each([
    ['an unknown variable, at the var itself', { if: [{ '>=': [{ var: 'order.totl' }, 300000] }, 100, 0] }, '/if/0/>=/0', /unknown variable "order\.totl".*totalFen/],
    ['a method call', { method: [{ var: 'order' }, 'toString'] }, '/method', /not allowed: rules cannot call methods/],
    ['an unknown operator', { eval: ['1'] }, '/eval', /unknown operator "eval"/],
    ['division (a slash, escaped)', { '/': [{ var: 'order.spendFen' }, 100] }, '/~1', /no fractions: use div/],
    ['a float multiplication', { '*': [{ var: 'order.spendFen' }, 1.15] }, '/*', /use mul/],
    ['a fraction literal', { bps: [{ var: 'order.spendFen' }, 1.5] }, '/bps/1', /not an integer/],
    ['a string in arithmetic', { '+': [{ var: 'order.channel' }, 1] }, '/+/0', /must be integer, but this gives string/],
    ['a scope walk', { var: '../secret' }, '/', /outside its scope/],
    ['a prototype name', { var: 'order.constructor' }, '/', /not data/],
    ['a tier named by an expression', { if: [{ tierAtLeast: [{ var: 'member.tierId' }, { var: 'member.tierId' }] }, 1, 0] }, '/if/0/tierAtLeast/1', /tier id, written as a string/],
    ['a walk over a string', { if: [{ some: [{ var: 'order.channel' }, true] }, 1, 0] }, '/if/0/some/0', /what some walks must be array/],
    ['a typo inside reduce', { reduce: [{ var: 'order.lines' }, { '+': [{ var: 'accumulator' }, { var: 'current.netFn' }] }, 0] }, '/reduce/1/+/1', /"current\.netFn"/],
    ['two operators in one object', { '+': [1, 2], '-': [3] }, '/', /exactly one operator/],
    ['the wrong arity', { bps: [1, 2, 3] }, '/bps', /takes 2 arguments, not 3/],
    ['a comparison that can never hold', { if: [{ '==': [{ var: 'order.channel' }, 3] }, 1, 0] }, '/if/0/==', /never equal/],
    ['a string result for points', { var: 'order.channel' }, '/', /gives string; this setting needs an integer/],
    ['an if without else', { if: [true, 1] }, '/', /null.*add a default or an else/],
  ])('%s', (_, rule, path, message) => {
    const [problem, ...rest] = integer(rule);
    expect(problem, JSON.stringify(rule)).toBeDefined();
    expect(problem!.path).toBe(path);
    expect(problem!.message).toMatch(message);
    expect(rest, 'one mistake is one problem').toEqual([]);
  });

  it('limits nesting, parts and size', () => {
    let deep: unknown = true;
    for (let i = 0; i < RULE_LIMITS.maxDepth + 5; i++) deep = { '!': [deep] };
    expect(boolean(deep)[0]!.message).toMatch(/deeper than 24/);
    const wide = { '+': Array.from({ length: RULE_LIMITS.maxNodes + 1 }, () => 1) };
    expect(integer(wide)[0]!.message).toMatch(/more than 400 parts/);
    expect(integer({ cat: ['x'.repeat(RULE_LIMITS.maxBytes)] })[0]!.message).toMatch(/over the 8192-byte limit/);
  });

  it('gives a boolean setting no number, and paths of several problems', () => {
    expect(paths(boolean({ and: [{ var: 'order.totalFen' }, { var: 'order.nope' }] }))).toEqual(['/and/0', '/and/1']);
  });
});

describe('the evaluator', () => {
  const evaluate = createRuleEvaluator({ tierRanks: { regular: 0, silver: 1, gold: 2 } });

  it('floors basis points exactly, also below zero and past 2^53 intermediates', () => {
    expect(evaluate({ bps: [123_456, 150] }, {})).toBe(1851);
    expect(evaluate({ bps: [-5, 5000] }, {})).toBe(-3);
    expect(evaluate({ bps: [9_007_199_254_740_991, 1] }, {})).toBe(900_719_925_474);
  });

  it('fails instead of rounding: a product past 2^53, a division by 0, a string where a number goes', () => {
    expect(() => evaluate({ mul: [9_007_199_254_740_991, 2] }, {})).toThrow(RuleEvaluationError);
    expect(() => evaluate({ div: [1, 0] }, {})).toThrow(/div by 0/);
    expect(() => evaluate({ bps: [{ var: 'x' }, 1] }, { x: '100' })).toThrow(/not an integer/);
  });

  it('compares tiers by rank; an unknown tier is never at least anything', () => {
    expect(evaluate({ tierAtLeast: [{ var: 't' }, 'silver'] }, { t: 'gold' })).toBe(true);
    expect(evaluate({ tierAtLeast: [{ var: 't' }, 'gold'] }, { t: 'silver' })).toBe(false);
    expect(evaluate({ tierAtLeast: [{ var: 't' }, 'regular'] }, { t: 'diamond' })).toBe(false);
    expect(evaluate({ tierAtLeast: [{ var: 't' }, 'regular'] }, { t: null })).toBe(false);
  });

  it('has no operator outside the dialect, even for a rule nobody checked', () => {
    for (const rule of [{ method: [{ var: '' }, 'constructor'] }, { val: 'x' }, { throw: 'x' }, { '/': [1, 2] }]) expect(() => evaluate(rule, {}), JSON.stringify(rule)).toThrow(RuleEvaluationError);
  });
});

// --- the property: checked integer rules are exact -------------------------------------------------

type Expr = { rule: unknown; exact: (data: { a: bigint; b: bigint }) => bigint | 'fails' };
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const leaf: fc.Arbitrary<Expr> = fc.oneof(
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map((n) => ({ rule: n, exact: () => BigInt(n) })),
  fc.constant<Expr>({ rule: { var: 'a' }, exact: (d) => d.a }),
  fc.constant<Expr>({ rule: { var: 'b' }, exact: (d) => d.b }),
);
const floorDiv = (x: bigint, y: bigint) => (x % y !== 0n && (x < 0n) !== (y < 0n) ? x / y - 1n : x / y);
const lift = (l: ReturnType<Expr['exact']>, r: ReturnType<Expr['exact']>, f: (x: bigint, y: bigint) => bigint | 'fails') => (l === 'fails' || r === 'fails' ? 'fails' : f(l, r));
const tree = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.tuple(tie('expr'), tie('expr'), fc.constantFrom('+', '-', 'min', 'max', 'mul', 'div', 'bps')).map(([x, y, op]): Expr => ({
      rule: { [op]: [x.rule, y.rule] },
      exact: (d) =>
        lift(x.exact(d), y.exact(d), (l, r) => {
          const value = op === '+' ? l + r : op === '-' ? l - r : op === 'min' ? (l < r ? l : r) : op === 'max' ? (l > r ? l : r) : op === 'mul' ? l * r : op === 'div' ? (r === 0n ? 'fails' : floorDiv(l, r)) : floorDiv(l * r, 10_000n);
          // Every step is exact or fails: past 2^53 the evaluator must refuse, as here.
          return value === 'fails' || value > SAFE || value < -SAFE ? 'fails' : value;
        }),
    })),
    fc.tuple(tie('expr'), tie('expr'), tie('expr')).map(([c, x, y]): Expr => ({
      rule: { if: [{ '>': [c.rule, 0] }, x.rule, y.rule] },
      exact: (d) => {
        const cond = c.exact(d);
        return cond === 'fails' ? 'fails' : cond > 0n ? x.exact(d) : y.exact(d);
      },
    })),
  ),
}));

describe('no -0', () => {
  const evaluate = createRuleEvaluator();
  // JSON has no -0, and `toBe` (Object.is) tells it from 0: a zero answer must be a plain 0.
  it.each([
    [{ div: [0, -5] }],
    [{ '%': [-5, 5] }],
    [{ min: [0, { mul: [-1, 0] }] }],
    [{ div: [{ '+': [{ bps: [{ var: 'b' }, { var: 'b' }] }, { min: [{ var: 'a' }, { var: 'b' }] }] }, { mul: [-1, { var: 'b' }] }] }],
  ])('%j is 0, not -0', (rule) => {
    expect(evaluate(rule, { a: 0, b: 1 })).toBe(0);
  });
  it('div floors exactly past 2^53 / small divisors', () => {
    expect(evaluate({ div: [Number.MAX_SAFE_INTEGER, 3] }, {})).toBe(Number(BigInt(Number.MAX_SAFE_INTEGER) / 3n));
    expect(evaluate({ div: [-7, 2] }, {})).toBe(-4);
    expect(evaluate({ div: [7, -2] }, {})).toBe(-4);
    expect(evaluate({ div: [-8, 2] }, {})).toBe(-4);
  });
});

describe('property: integer rules', () => {
  const scope: ScopeSchema = { type: 'object', properties: { a: { type: 'integer' }, b: { type: 'integer' } } };
  const evaluate = createRuleEvaluator();
  it('the checker accepts them and the evaluator computes them exactly', () => {
    fc.assert(
      fc.property(tree.expr, fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: -10_000_000, max: 10_000_000 }), (expr, a, b) => {
        const problems = checkRule(expr.rule, { scope, result: 'integer' });
        if (JSON.stringify(expr.rule).length > RULE_LIMITS.maxBytes) return;
        expect(problems).toEqual([]);
        const expected = expr.exact({ a: BigInt(a), b: BigInt(b) });
        if (expected === 'fails') {
          expect(() => evaluate(expr.rule, { a, b })).toThrow(RuleEvaluationError);
          return;
        }
        expect(evaluate(expr.rule, { a, b })).toBe(Number(expected));
      }),
      { numRuns: 400 },
    );
  });
});

describe('docs/rules.md', () => {
  it('lists every operator of the dialect and every refused one', () => {
    const doc = readFileSync(new URL('../../../docs/rules.md', import.meta.url), 'utf8');
    for (const op of [...Object.keys(RULE_OPERATORS), ...Object.keys(REFUSED_OPERATORS)]) expect(doc, op).toContain(`| \`${op}\` |`);
  });
});
