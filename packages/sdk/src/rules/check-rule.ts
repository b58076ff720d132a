import { REFUSED_OPERATORS, RULE_LIMITS, RULE_OPERATORS, type RuleResult, type RuleValueKind } from './dialect.js';

/** The part of JSON Schema the checker reads to know what a `var` path gives. */
export interface ScopeSchema {
  type?: string | string[];
  properties?: Record<string, ScopeSchema>;
  items?: ScopeSchema;
  anyOf?: ScopeSchema[];
  const?: unknown;
  enum?: unknown[];
}

/** One thing wrong with a rule, at a JSON Pointer into the rule (`/if/0/>=/0`). */
export interface RuleProblem {
  path: string;
  message: string;
}

export interface CheckRuleOptions {
  /** What `{"var": …}` reads: the extension point's input schema, or any JSON Schema. */
  scope: ScopeSchema;
  /** What the rule must give. */
  result: RuleResult;
}

const ANY: ScopeSchema = {};
/** What an expression that already has a problem gives: checked against nothing, so one mistake is one problem. */
const FAILED: ScopeSchema = {};
const BOOLEAN: ScopeSchema = { type: 'boolean' };
const INTEGER: ScopeSchema = { type: 'integer' };
const STRING: ScopeSchema = { type: 'string' };
const NULL: ScopeSchema = { type: 'null' };
const UNSAFE_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_PROBLEMS = 10;

const escapePointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');
const show = (text: string) => JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);

function union(members: ScopeSchema[]): ScopeSchema {
  const distinct = members.filter((m, i) => members.indexOf(m) === i);
  return distinct.length === 1 ? distinct[0]! : { anyOf: distinct };
}

/** The kinds of value a schema allows; empty means any. */
export function kindsOf(schema: ScopeSchema): Set<RuleValueKind> {
  const kinds = new Set<RuleValueKind>();
  const add = (s: ScopeSchema): boolean => {
    if (s.anyOf) return s.anyOf.every(add);
    const values = s.const !== undefined ? [s.const] : s.enum;
    if (values) {
      for (const v of values) kinds.add(v === null ? 'null' : typeof v === 'number' ? 'integer' : (typeof v as RuleValueKind));
      return true;
    }
    if (s.type === undefined) return false;
    for (const t of Array.isArray(s.type) ? s.type : [s.type]) kinds.add(t === 'number' ? ('number' as RuleValueKind) : (t as RuleValueKind));
    return true;
  };
  return add(schema) ? kinds : new Set();
}

const describe = (kinds: Set<RuleValueKind>) => (kinds.size === 0 ? 'any value' : [...kinds].sort().join(' or '));

/** Members of a union that are objects (or arrays), for walking a path through `A | null`. */
function membersOf(schema: ScopeSchema): ScopeSchema[] {
  return schema.anyOf ? schema.anyOf.flatMap(membersOf) : [schema];
}

class RuleChecker {
  readonly problems: RuleProblem[] = [];
  private nodes = 0;

  problem(path: string, message: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push({ path: path || '/', message });
  }

  /** Checks that `schema` gives only `allowed` kinds (an unknown kind counts as wrong). */
  expectKinds(schema: ScopeSchema, allowed: RuleValueKind[], path: string, what: string): void {
    if (schema === FAILED) return;
    const kinds = kindsOf(schema);
    const wrong = kinds.size === 0 ? ['any value'] : [...kinds].filter((k) => !allowed.includes(k));
    if (wrong.length > 0) this.problem(path, `${what} must be ${allowed.join(' or ')}, but this gives ${describe(kinds)}`);
  }

  infer(expr: unknown, scope: ScopeSchema, path: string, depth: number): ScopeSchema {
    if (depth > RULE_LIMITS.maxDepth) {
      this.problem(path, `the rule nests deeper than ${RULE_LIMITS.maxDepth} levels`);
      return FAILED;
    }
    if (++this.nodes > RULE_LIMITS.maxNodes) {
      if (this.nodes === RULE_LIMITS.maxNodes + 1) this.problem(path, `the rule has more than ${RULE_LIMITS.maxNodes} parts`);
      return FAILED;
    }
    if (expr === null) return NULL;
    if (typeof expr === 'boolean') return BOOLEAN;
    if (typeof expr === 'string') return STRING;
    if (typeof expr === 'number') {
      if (!Number.isSafeInteger(expr)) this.problem(path, `${expr} is not an integer: the dialect has no fractions (for 1.5 % write {"bps":[amount,150]})`);
      return INTEGER;
    }
    if (Array.isArray(expr)) {
      const items = expr.map((item, i) => this.infer(item, scope, `${path}/${i}`, depth + 1));
      return { type: 'array', items: items.length === 0 ? ANY : union(items) };
    }
    if (typeof expr !== 'object') {
      this.problem(path, `a ${typeof expr} is not JSON`);
      return FAILED;
    }
    const keys = Object.keys(expr);
    if (keys.length !== 1) {
      this.problem(path, keys.length === 0 ? 'an empty object is not an operation' : `an operation has exactly one operator, this object has ${keys.length} keys (${keys.slice(0, 4).map(show).join(', ')})`);
      return FAILED;
    }
    const op = keys[0]!;
    const raw = (expr as Record<string, unknown>)[op];
    const opPath = `${path}/${escapePointer(op)}`;
    const args = Array.isArray(raw) ? raw : [raw];
    const argPath = (i: number) => (Array.isArray(raw) ? `${opPath}/${i}` : opPath);
    const spec = RULE_OPERATORS[op];
    if (!spec || !Object.hasOwn(RULE_OPERATORS, op)) {
      const refused = Object.hasOwn(REFUSED_OPERATORS, op) ? REFUSED_OPERATORS[op] : undefined;
      this.problem(opPath, refused ? `the operator ${show(op)} is not allowed: ${refused}` : `unknown operator ${show(op)} (docs/rules.md lists the dialect's operators)`);
      return FAILED;
    }
    const [fewest, most] = spec.arity;
    if (args.length < fewest || args.length > most) {
      this.problem(opPath, `${op} takes ${fewest === most ? fewest : most === Infinity ? `at least ${fewest}` : `${fewest} to ${most}`} argument${most === 1 ? '' : 's'}, not ${args.length}`);
      return spec.result === 'special' ? FAILED : { type: spec.result };
    }
    const next = depth + 1;
    switch (op) {
      case 'var':
        return this.variable(args, scope, path, argPath, next);
      case 'if':
        return this.conditional(args, scope, argPath, next);
      case '==':
      case '===':
      case '!=':
      case '!==': {
        const [left, right] = args.map((a, i) => kindsOf(this.infer(a, scope, argPath(i), next)));
        const l = new Set([...left!].filter((k) => k !== 'null'));
        const r = new Set([...right!].filter((k) => k !== 'null'));
        if (l.size > 0 && r.size > 0 && ![...l].some((k) => r.has(k))) this.problem(opPath, `compares ${describe(left!)} with ${describe(right!)}: they are never equal`);
        return BOOLEAN;
      }
      case 'tierAtLeast': {
        this.expectKinds(this.infer(args[0], scope, argPath(0), next), ['string', 'null'], argPath(0), 'the tier');
        if (typeof args[1] !== 'string' || args[1].length === 0) this.problem(argPath(1), 'the tier to compare with must be a tier id, written as a string');
        return BOOLEAN;
      }
      case 'in': {
        this.infer(args[0], scope, argPath(0), next);
        this.expectKinds(this.infer(args[1], scope, argPath(1), next), ['array', 'string'], argPath(1), 'what `in` looks in');
        return BOOLEAN;
      }
      case 'map':
      case 'filter':
      case 'all':
      case 'some':
      case 'none': {
        const list = this.infer(args[0], scope, argPath(0), next);
        const element = this.elementOf(list, argPath(0), op);
        const body = this.infer(args[1], element, argPath(1), next);
        if (op === 'map') return { type: 'array', items: body };
        if (op === 'filter') return { type: 'array', items: element };
        return BOOLEAN;
      }
      case 'reduce': {
        const list = this.infer(args[0], scope, argPath(0), next);
        const element = this.elementOf(list, argPath(0), op);
        const initial = this.infer(args[2], scope, argPath(2), next);
        const body = this.infer(args[1], { type: 'object', properties: { current: element, accumulator: initial } }, argPath(1), next);
        return union([initial, body]);
      }
    }
    const argKinds: Record<string, RuleValueKind[]> = { integers: ['integer'], booleans: ['boolean'], strings: ['string', 'integer'] };
    args.forEach((arg, i) => {
      const schema = this.infer(arg, scope, argPath(i), next);
      const allowed = argKinds[spec.args];
      if (allowed) this.expectKinds(schema, allowed, argPath(i), `each argument of ${op}`);
    });
    return spec.result === 'special' ? ANY : { type: spec.result };
  }

  /** A `{"var": …}` at `path`: its problems name the variable's own path, where the operator would look. */
  private variable(args: unknown[], scope: ScopeSchema, path: string, argPath: (i: number) => string, depth: number): ScopeSchema {
    const name = args[0];
    if (typeof name !== 'string') {
      this.problem(path, 'a variable is named by a string, e.g. {"var":"order.totalFen"}');
      return FAILED;
    }
    const found = this.resolve(name, scope, path);
    if (!found) return FAILED;
    // A default stands in for a missing value (a null parent, an index past the end), not for a field
    // that is present and null: json-logic-engine returns that null.
    if (args.length === 2) return union([found.schema, this.infer(args[1], scope, argPath(1), depth)]);
    return found.mayBeMissing ? union([found.schema, NULL]) : found.schema;
  }

  /**
   * What the dotted `name` gives in `scope` and whether it may be missing, or undefined (with a problem)
   * when it names nothing.
   */
  private resolve(name: string, scope: ScopeSchema, path: string): { schema: ScopeSchema; mayBeMissing: boolean } | undefined {
    if (name === '') return { schema: scope, mayBeMissing: false };
    if (name.startsWith('../') || name.includes('\\')) {
      this.problem(path, `the variable ${show(name)} reaches outside its scope; name a field with a dotted path`);
      return undefined;
    }
    let current: ScopeSchema[] = [scope];
    let mayBeMissing = false;
    const segments = name.split('.');
    for (const [i, segment] of segments.entries()) {
      const walked = segments.slice(0, i + 1).join('.');
      if (UNSAFE_SEGMENTS.has(segment)) {
        this.problem(path, `the variable ${show(name)} names ${show(segment)}, which is not data`);
        return undefined;
      }
      const next: ScopeSchema[] = [];
      const known: string[] = [];
      for (const member of current.flatMap(membersOf)) {
        const kinds = kindsOf(member);
        if (kinds.has('null')) mayBeMissing = true;
        if (member.properties) {
          known.push(...Object.keys(member.properties));
          if (Object.hasOwn(member.properties, segment)) next.push(member.properties[segment]!);
        } else if (kinds.has('array') && /^(0|[1-9]\d{0,5})$/.test(segment)) {
          mayBeMissing = true;
          next.push(member.items ?? ANY);
        }
      }
      if (next.length === 0) {
        const hint = known.length > 0 ? ` (here: ${[...new Set(known)].slice(0, 12).join(', ')})` : '';
        this.problem(path, `unknown variable ${show(name)}: ${show(walked)} is not a field of the input${hint}`);
        return undefined;
      }
      current = next;
    }
    return { schema: union(current), mayBeMissing };
  }

  private conditional(args: unknown[], scope: ScopeSchema, argPath: (i: number) => string, depth: number): ScopeSchema {
    if (args.length === 1) return this.infer(args[0], scope, argPath(0), depth);
    const results: ScopeSchema[] = [];
    for (let i = 0; i < args.length; i += 2) {
      if (i + 1 < args.length) {
        this.infer(args[i], scope, argPath(i), depth);
        results.push(this.infer(args[i + 1], scope, argPath(i + 1), depth));
      } else {
        results.push(this.infer(args[i], scope, argPath(i), depth));
      }
    }
    if (args.length % 2 === 0) results.push(NULL);
    return union(results);
  }

  private elementOf(list: ScopeSchema, path: string, op: string): ScopeSchema {
    this.expectKinds(list, ['array', 'null'], path, `what ${op} walks`);
    const items = membersOf(list).filter((m) => kindsOf(m).has('array')).map((m) => m.items ?? ANY);
    return items.length === 0 ? ANY : union(items);
  }
}

/**
 * Checks a rule against the dialect: every operator allowed and given the right number and kind of
 * arguments, every `var` path a field of `scope`, the result of the kind the setting needs, and the
 * rule within {@link RULE_LIMITS}. Returns up to ten problems, each at a JSON Pointer into the rule;
 * empty when the rule is good. Never evaluates anything.
 */
export function checkRule(rule: unknown, options: CheckRuleOptions): RuleProblem[] {
  let bytes: number;
  try {
    bytes = new TextEncoder().encode(JSON.stringify(rule) ?? '').length;
  } catch {
    return [{ path: '/', message: 'the rule is not JSON' }];
  }
  if (bytes > RULE_LIMITS.maxBytes) return [{ path: '/', message: `the rule is ${bytes} bytes of JSON, over the ${RULE_LIMITS.maxBytes}-byte limit` }];
  const checker = new RuleChecker();
  const result = checker.infer(rule, options.scope, '', 0);
  if (checker.problems.length === 0 && result !== FAILED) {
    const kinds = kindsOf(result);
    const wanted: RuleValueKind = options.result;
    if (kinds.size === 0 || [...kinds].some((k) => k !== wanted)) {
      const nullable = kinds.has('null') ? ' (a missing field or an `if` without an else gives null: add a default or an else)' : '';
      checker.problem('', `the rule gives ${describe(kinds)}; this setting needs ${wanted === 'integer' ? 'an integer' : 'a boolean'}${nullable}`);
    }
  }
  return checker.problems;
}
