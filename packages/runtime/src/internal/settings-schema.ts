import { Type, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { getExtensionPoint, TkError } from '@tongkit/sdk';
import { checkRule, RULE_KEYWORD, type ScopeSchema } from '@tongkit/sdk/rules';
import { firstTooDeep, MAX_JSON_DEPTH } from './json-depth.js';
import { findProblems } from './validation.js';

// A plugin's settings schema reaches the host as JSON (TypeBox's [Kind] symbols do not survive
// JSON.stringify), and it comes from an untrusted manifest. We rebuild it as a TypeBox schema from a
// deliberately small subset of JSON Schema: what a merchant settings form can render, and nothing that
// could hurt the host while validating (no `pattern`: a hostile regex would run host-side).

const ANNOTATIONS = ['title', 'description', 'default', 'examples'] as const;
const NUMBER_KEYWORDS = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'] as const;
const STRING_FORMATS = new Set(['date-time', 'date']);
/**
 * Every keyword the reader understands. Anything else (`$ref`, `allOf`, `patternProperties`, `if`…) is
 * refused rather than dropped: a dropped keyword would make the host validate less than the plugin declared.
 */
const KEYWORDS = new Set<string>([
  ...ANNOTATIONS,
  ...NUMBER_KEYWORDS,
  'type', 'const', 'anyOf', 'enum', 'properties', 'required', 'additionalProperties', 'items', 'minItems', 'maxItems', 'uniqueItems',
  'minLength', 'maxLength', 'format',
]);
const MAX_DEPTH = 8;
const MAX_NODES = 500;

type JsonObject = Record<string, unknown>;

function fail(path: string, message: string): never {
  throw new TkError('TK_MANIFEST_INVALID', `settings schema at ${path || '/'}: ${message}`, {
    path: `/settings${path}`,
    hint: 'Settings schemas may use objects, arrays, strings (no pattern), numbers, integers, booleans, enums (Type.Union of Type.Literal) and null.',
  });
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pick(node: JsonObject, keys: readonly string[], path: string, kind: (v: unknown) => boolean): JsonObject {
  const options: JsonObject = {};
  for (const key of keys) {
    if (node[key] === undefined) continue;
    if (!kind(node[key])) fail(`${path}/${key}`, `has an invalid value`);
    options[key] = node[key];
  }
  return options;
}

const isNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const isCount = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const anything = () => true;

/**
 * A default applies when the merchant leaves the setting out, so one that breaks its own schema fails
 * every call with TK_VALIDATION blaming the merchant's settings for the plugin's mistake. Refuse it here,
 * at build and at load. Nested defaults are applied first, as they are at run time.
 */
function checkDefault(node: JsonObject, schema: TSchema, path: string): void {
  if (node.default === undefined) return;
  const effective = Value.Default(schema, Value.Clone(node.default));
  const problem = findProblems(schema, effective, 1)[0];
  if (problem) fail(`${path}/default${problem.path === '/' ? '' : problem.path}`, `the default does not match its own schema: ${problem.message}`);
}

class SettingsSchemaReader {
  private nodes = 0;
  /** How many `anyOf`s the node being read sits in: a rule field may not (see {@link ruleProblemsIn}). */
  private unions = 0;

  read(node: unknown, path: string, depth: number): TSchema {
    const schema = this.readNode(node, path, depth);
    checkDefault(node as JsonObject, schema, path);
    return schema;
  }

  private readNode(node: unknown, path: string, depth: number): TSchema {
    if (++this.nodes > MAX_NODES) fail(path, `has more than ${MAX_NODES} schema nodes`);
    if (depth > MAX_DEPTH) fail(path, `nests deeper than ${MAX_DEPTH} levels`);
    if (!isObject(node)) fail(path, 'must be a JSON Schema object');
    if (node.pattern !== undefined) fail(`${path}/pattern`, '`pattern` is not supported in settings (it would run a plugin-supplied regex on the host)');
    if (node[RULE_KEYWORD] !== undefined) return this.readRule(node, path);
    for (const key of Object.keys(node)) {
      if (!KEYWORDS.has(key)) {
        const shown = key.length > 64 ? `${key.slice(0, 64)}…` : key;
        fail(`${path}/${shown}`, `\`${shown}\` is not supported in settings schemas`);
      }
    }
    // Annotations are copied into the schema as they are and travel to workers over a JSON channel,
    // whose JSON.stringify overflows the stack a few thousand levels down; no form needs them deep.
    for (const key of ANNOTATIONS) {
      const tooDeep = firstTooDeep(node[key], MAX_JSON_DEPTH);
      if (tooDeep) fail(`${path}/${key}${tooDeep.path}`, `nests deeper than ${MAX_JSON_DEPTH} levels`);
    }
    const annotations = pick(node, ANNOTATIONS, path, anything);
    if (node.title !== undefined && typeof node.title !== 'string') fail(`${path}/title`, 'must be a string');

    if (node.const !== undefined) {
      const value = node.const;
      if (!['string', 'number', 'boolean'].includes(typeof value)) fail(`${path}/const`, 'must be a string, number or boolean');
      return Type.Literal(value as string | number | boolean, annotations);
    }
    if (node.anyOf !== undefined) {
      if (!Array.isArray(node.anyOf) || node.anyOf.length === 0 || node.anyOf.length > 100) fail(`${path}/anyOf`, 'must be a list of 1–100 schemas');
      this.unions += 1;
      try {
        return Type.Union(
          node.anyOf.map((member, i) => this.read(member, `${path}/anyOf/${i}`, depth + 1)),
          annotations,
        );
      } finally {
        this.unions -= 1;
      }
    }
    if (node.enum !== undefined) {
      if (!Array.isArray(node.enum) || node.enum.length === 0 || node.enum.length > 100) fail(`${path}/enum`, 'must be a list of 1–100 values');
      return Type.Union(
        node.enum.map((value, i) => {
          if (!['string', 'number', 'boolean'].includes(typeof value)) fail(`${path}/enum/${i}`, 'must be a string, number or boolean');
          return Type.Literal(value as string | number | boolean);
        }),
        annotations,
      );
    }

    switch (node.type) {
      case 'object':
        return this.readObject(node, path, depth, annotations);
      case 'array': {
        const options = pick(node, ['minItems', 'maxItems'], path, isCount);
        if (node.uniqueItems !== undefined) options.uniqueItems = node.uniqueItems === true;
        return Type.Array(this.read(node.items, `${path}/items`, depth + 1), { ...annotations, ...options });
      }
      case 'string': {
        if (node.pattern !== undefined) fail(`${path}/pattern`, '`pattern` is not supported in settings (it would run a plugin-supplied regex on the host)');
        const options = pick(node, ['minLength', 'maxLength'], path, isCount);
        if (node.format !== undefined) {
          if (typeof node.format !== 'string' || !STRING_FORMATS.has(node.format)) fail(`${path}/format`, `only ${[...STRING_FORMATS].join(', ')} are supported`);
          options.format = node.format;
        }
        return Type.String({ ...annotations, ...options });
      }
      case 'integer':
        return Type.Integer({ ...annotations, ...pick(node, NUMBER_KEYWORDS, path, isNumber) });
      case 'number':
        return Type.Number({ ...annotations, ...pick(node, NUMBER_KEYWORDS, path, isNumber) });
      case 'boolean':
        return Type.Boolean(annotations);
      case 'null':
        return Type.Null(annotations);
      default:
        return fail(`${path}/type`, `unsupported type ${JSON.stringify(node.type) ?? 'undefined'}`);
    }
  }

  /**
   * A rule field (`Rule()` of `@tongkit/sdk/rules`): any JSON as far as the schema goes, checked by the
   * dialect's checker against its point's input when settings are resolved ({@link ruleProblemsIn}).
   */
  private readRule(node: JsonObject, path: string): TSchema {
    // Settings are checked against one schema; which member of a union a value matched is not known, so
    // a rule inside one would go unchecked. Refused, rather than validating less than declared.
    if (this.unions > 0) fail(path, 'a rule field cannot sit inside anyOf (Type.Union); make it a property of an object, optional if need be');
    for (const key of Object.keys(node)) {
      if (key !== RULE_KEYWORD && !(ANNOTATIONS as readonly string[]).includes(key)) fail(`${path}/${key.slice(0, 64)}`, `a rule field takes only ${RULE_KEYWORD} and annotations`);
    }
    const spec = node[RULE_KEYWORD];
    if (!isObject(spec) || Object.keys(spec).some((k) => k !== 'point' && k !== 'result')) fail(`${path}/${RULE_KEYWORD}`, 'must be { point, result }');
    const point = typeof spec.point === 'string' ? getExtensionPoint(spec.point) : undefined;
    if (!point) fail(`${path}/${RULE_KEYWORD}/point`, 'must name an extension point of the catalogue');
    if (spec.result !== 'boolean' && spec.result !== 'integer') fail(`${path}/${RULE_KEYWORD}/result`, 'must be "boolean" or "integer"');
    const firstTooDeepAnnotation = ANNOTATIONS.map((key) => ({ key, deep: firstTooDeep(node[key], MAX_JSON_DEPTH) })).find((a) => a.deep);
    if (firstTooDeepAnnotation) fail(`${path}/${firstTooDeepAnnotation.key}`, `nests deeper than ${MAX_JSON_DEPTH} levels`);
    const annotations = pick(node, ANNOTATIONS, path, anything);
    if (node.default !== undefined) {
      const problem = checkRule(node.default, { scope: ruleScope(spec.point as string), result: spec.result })[0];
      if (problem) fail(`${path}/default${problem.path === '/' ? '' : problem.path}`, `the default rule is invalid: ${problem.message}`);
    }
    return Type.Unknown({ ...annotations, [RULE_KEYWORD]: { point: spec.point, result: spec.result } });
  }

  private readObject(node: JsonObject, path: string, depth: number, annotations: JsonObject): TSchema {
    const properties = node.properties ?? {};
    if (!isObject(properties)) fail(`${path}/properties`, 'must be an object');
    const required = node.required ?? [];
    if (!Array.isArray(required) || !required.every((r) => typeof r === 'string' && Object.hasOwn(properties, r))) {
      fail(`${path}/required`, 'must list names of declared properties');
    }
    const shape: Record<string, TSchema> = {};
    for (const [name, child] of Object.entries(properties)) {
      if (name === '__proto__' || name.length > 64) fail(`${path}/properties`, `invalid property name ${JSON.stringify(name)}`);
      const schema = this.read(child, `${path}/properties/${name}`, depth + 1);
      shape[name] = required.includes(name) ? schema : Type.Optional(schema);
    }
    const additional = node.additionalProperties === undefined ? true : node.additionalProperties;
    if (typeof additional !== 'boolean') fail(`${path}/additionalProperties`, 'must be true or false');
    return Type.Object(shape, { ...annotations, additionalProperties: additional });
  }
}

/**
 * Rebuilds a plugin's settings JSON Schema (from its manifest) as a TypeBox schema, refusing anything
 * outside the supported subset with `TK_MANIFEST_INVALID` and the offending path.
 */
export function settingsSchemaFromJson(json: unknown): TSchema {
  if (isObject(json) && Object.keys(json).length === 0) return Type.Object({});
  if (!isObject(json) || json.type !== 'object') fail('', 'must be an object schema (Type.Object)');
  return new SettingsSchemaReader().read(json, '', 0);
}

const scopes = new Map<string, ScopeSchema>();

/** The input schema of a catalogue point as plain JSON Schema: what a rule's `var` paths read. */
export function ruleScope(pointId: string): ScopeSchema {
  let scope = scopes.get(pointId);
  if (!scope) {
    scope = JSON.parse(JSON.stringify(getExtensionPoint(pointId)!.input)) as ScopeSchema;
    scopes.set(pointId, scope);
  }
  return scope;
}

/**
 * The rule problems in settings that passed their schema: every value at a rule field checked by the
 * dialect's checker, with paths from the settings' root into the rule (`/earnRules/2/points/if/0/>=/0`).
 * Rule fields sit in objects and arrays only: the schema reader refuses one inside an `anyOf`.
 */
export function ruleProblemsIn(schema: TSchema, value: unknown, path = ''): Array<{ path: string; message: string }> {
  const node = schema as JsonObject;
  const spec = node[RULE_KEYWORD] as { point: string; result: 'boolean' | 'integer' } | undefined;
  if (spec) return value === undefined ? [] : checkRule(value, { scope: ruleScope(spec.point), result: spec.result }).map((p) => ({ path: `${path}${p.path === '/' ? '' : p.path}` || '/', message: p.message }));
  if (node.type === 'object' && isObject(node.properties) && isObject(value)) {
    return Object.entries(node.properties as Record<string, TSchema>).flatMap(([name, child]) => (Object.hasOwn(value, name) ? ruleProblemsIn(child, value[name], `${path}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`) : []));
  }
  if (node.type === 'array' && Array.isArray(value) && node.items) return value.flatMap((item, i) => ruleProblemsIn(node.items as TSchema, item, `${path}/${i}`));
  return [];
}
