import { LogicEngine, defaultMethods } from 'json-logic-engine';
import { RULE_OPERATORS } from './dialect.js';

/** A rule failed while it ran: a division by 0, a product past 2^53, a value of the wrong kind. */
export class RuleEvaluationError extends Error {
  override name = 'RuleEvaluationError';
}

export interface RuleEvaluatorOptions {
  /**
   * The merchant's tier ladder, tier id → rank (higher is better), for `tierAtLeast`. A plugin takes it
   * from its settings (or the host's tier data); an id not in it ranks below every tier.
   */
  tierRanks?: Readonly<Record<string, number>>;
}

/** A function that runs checked rules of the dialect against data. */
export type RuleEvaluator = (rule: unknown, data: unknown) => unknown;

function integers(op: string, args: unknown): number[] {
  const list = Array.isArray(args) ? args : [args];
  for (const value of list) if (!Number.isSafeInteger(value)) throw new RuleEvaluationError(`${op} got ${JSON.stringify(value) ?? String(value)}, not an integer`);
  return list as number[];
}

/** The dialect's own operators: integer arithmetic that never rounds silently, and tiers by rank. */
function dialectMethods(tierRanks: Readonly<Record<string, number>>) {
  const exact = (op: string, values: number[], step: (a: bigint, b: bigint) => bigint) => checkedInteger(op, values.map(BigInt).reduce(step));
  return {
    // JsonLogic's own arithmetic, kept exact: a result past 2^53 fails instead of losing digits.
    '+': (args: unknown) => exact('+', integers('+', args), (a, b) => a + b),
    '-': (args: unknown) => {
      const values = integers('-', args);
      return values.length === 1 ? checkedInteger('-', -BigInt(values[0]!)) : exact('-', values, (a, b) => a - b);
    },
    '%': (args: unknown) => {
      const [a, b] = integers('%', args);
      if (b === 0) throw new RuleEvaluationError('% by 0');
      return Number(BigInt(a!) % BigInt(b!));
    },
    // `+ 0` turns a -0 into 0: JSON has no -0, so an answer must never be one (Object.is tells them apart).
    min: (args: unknown) => Math.min(...integers('min', args)) + 0,
    max: (args: unknown) => Math.max(...integers('max', args)) + 0,
    bps: (args: unknown) => {
      const [amount, bp] = integers('bps', args);
      const exact = (BigInt(amount!) * BigInt(bp!)) / 10_000n;
      // BigInt division truncates toward zero; the dialect floors (a negative amount rounds down).
      const floored = BigInt(amount!) * BigInt(bp!) < 0n && exact * 10_000n !== BigInt(amount!) * BigInt(bp!) ? exact - 1n : exact;
      return checkedInteger('bps', floored);
    },
    mul: (args: unknown) => checkedInteger('mul', integers('mul', args).reduce((product, n) => product * BigInt(n), 1n)),
    div: (args: unknown) => {
      const [a, b] = integers('div', args);
      if (b === 0) throw new RuleEvaluationError('div by 0');
      // In BigInt, as bps: Math.floor(0 / -5) is -0, and a float quotient of two large integers can round.
      const [n, d] = [BigInt(a!), BigInt(b!)];
      const quotient = n / d;
      return Number(n % d !== 0n && n < 0n !== d < 0n ? quotient - 1n : quotient);
    },
    tierAtLeast: (args: unknown) => {
      const [tier, floor] = Array.isArray(args) ? args : [];
      if (typeof tier !== 'string' || typeof floor !== 'string' || !Object.hasOwn(tierRanks, tier) || !Object.hasOwn(tierRanks, floor)) return false;
      return tierRanks[tier]! >= tierRanks[floor]!;
    },
  };
}

function checkedInteger(op: string, value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) throw new RuleEvaluationError(`${op} gives a number past 2^53`);
  return Number(value);
}

/**
 * An evaluator of the dialect (json-logic-engine, interpreted, with only the dialect's operators). Run
 * rules that passed {@link checkRule} — the host checks rule settings before an install can save them —
 * and reuse one evaluator: it caches each rule's plan. Throws {@link RuleEvaluationError} when a rule
 * fails as it runs.
 */
export function createRuleEvaluator(options: RuleEvaluatorOptions = {}): RuleEvaluator {
  const methods: Record<string, unknown> = {};
  const base = defaultMethods as unknown as Record<string, unknown>;
  for (const op of Object.keys(RULE_OPERATORS)) if (Object.hasOwn(base, op)) methods[op] = base[op];
  const engine = new LogicEngine(methods as never, { disableInline: true, disableInterpretedOptimization: false, permissive: false, maxDepth: 0, maxArrayLength: 1 << 12, maxStringLength: 1 << 12 });
  for (const [name, method] of Object.entries(dialectMethods(options.tierRanks ?? {}))) engine.addMethod(name, method, { deterministic: true });
  return (rule, data) => {
    try {
      return engine.run(rule, data);
    } catch (error) {
      if (error instanceof RuleEvaluationError) throw error;
      const message = error instanceof Error ? error.message : typeof error === 'object' && error !== null ? JSON.stringify(error) : String(error);
      throw new RuleEvaluationError(`the rule failed: ${message}`);
    }
  };
}
