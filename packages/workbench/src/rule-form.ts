// Rule fields (`Rule()` of `@tongkit/sdk/rules`, JSON Schema keyword `x-tongkit-rule`) in the rjsf
// settings form. A rule is a JSON value of any shape, and rjsf deep-merges schema defaults into object
// form data: an edited rule `{"bps": …}` would come back as `{"bps": …, "div": …}` beside its default.
// So the form holds every rule as its JSON text (a string field with a rule widget) and the text is
// parsed back when the settings are saved or previewed; text that is not JSON stays in the form, marked
// at its field, and nothing is sent. The host checks the rule itself (docs/rules.md) and its answer,
// which may name a path inside the rule, is shown at the rule's field.
import type { ErrorSchema, RJSFSchema, UiSchema } from '@rjsf/utils';

/** The JSON Schema keyword of a rule field. */
export const RULE_KEYWORD = 'x-tongkit-rule';

type Node = Record<string, unknown>;

function isRule(node: Node): boolean {
  return node[RULE_KEYWORD] !== undefined;
}

function propertiesOf(node: Node): Record<string, Node> | undefined {
  return node['type'] === 'object' && node['properties'] !== null && typeof node['properties'] === 'object' ? (node['properties'] as Record<string, Node>) : undefined;
}

function itemsOf(node: Node): Node | undefined {
  return node['type'] === 'array' && node['items'] !== null && typeof node['items'] === 'object' && !Array.isArray(node['items']) ? (node['items'] as Node) : undefined;
}

/** Whether any rule field sits in `schema` (rules sit in objects and arrays only; the host refuses one in anyOf). */
export function hasRules(schema: RJSFSchema): boolean {
  const node = schema as Node;
  if (isRule(node)) return true;
  const properties = propertiesOf(node);
  if (properties) return Object.values(properties).some((child) => hasRules(child as RJSFSchema));
  const items = itemsOf(node);
  return items ? hasRules(items as RJSFSchema) : false;
}

/** A rule as the text the form shows: pretty JSON, or nothing when there is no rule yet. */
export function ruleText(rule: unknown): string | undefined {
  return rule === undefined ? undefined : JSON.stringify(rule, null, 2);
}

/** `value` of `schema` with every rule in it replaced by its JSON text (for the form). */
export function toFormValue(schema: RJSFSchema, value: unknown): unknown {
  const node = schema as Node;
  if (isRule(node)) return ruleText(value);
  const properties = propertiesOf(node);
  if (properties && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const [name, child] of Object.entries(properties)) if (Object.hasOwn(out, name)) out[name] = toFormValue(child as RJSFSchema, out[name]);
    return out;
  }
  const items = itemsOf(node);
  if (items && Array.isArray(value)) return value.map((item) => toFormValue(items as RJSFSchema, item));
  return value;
}

/** A rule's text that does not parse, at its settings path (a JSON pointer, as the host's answers). */
export interface RuleTextProblem {
  path: string;
}

/** The form's value parsed back: every rule's text as its JSON value, and the texts that do not parse. */
export function fromFormValue(schema: RJSFSchema, value: unknown, path = ''): { value: unknown; problems: RuleTextProblem[] } {
  const node = schema as Node;
  if (isRule(node)) {
    if (typeof value !== 'string') return { value, problems: [] };
    try {
      return { value: JSON.parse(value) as unknown, problems: [] };
    } catch {
      return { value, problems: [{ path }] };
    }
  }
  const problems: RuleTextProblem[] = [];
  const properties = propertiesOf(node);
  if (properties && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const [name, child] of Object.entries(properties)) {
      if (!Object.hasOwn(out, name)) continue;
      const parsed = fromFormValue(child as RJSFSchema, out[name], `${path}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`);
      out[name] = parsed.value;
      problems.push(...parsed.problems);
    }
    return { value: out, problems };
  }
  const items = itemsOf(node);
  if (items && Array.isArray(value)) {
    const out = value.map((item, i) => {
      const parsed = fromFormValue(items as RJSFSchema, item, `${path}/${i}`);
      problems.push(...parsed.problems);
      return parsed.value;
    });
    return { value: out, problems };
  }
  return { value, problems };
}

/**
 * The schema rjsf renders and its uiSchema: each rule field becomes a string field (its default as JSON
 * text) drawn by the `rule` widget, and every default that holds rules holds their text instead.
 */
export function ruleForm(schema: RJSFSchema): { schema: RJSFSchema; uiSchema: UiSchema | undefined } {
  const node = schema as Node;
  if (isRule(node)) {
    const { default: rule, ...rest } = node;
    const text = ruleText(rule);
    return { schema: { ...rest, type: 'string', ...(text === undefined ? {} : { default: text }) } as RJSFSchema, uiSchema: { 'ui:widget': 'rule' } };
  }
  if (!hasRules(schema)) return { schema, uiSchema: undefined };
  const out: Node = { ...node };
  if (Object.hasOwn(node, 'default')) out['default'] = toFormValue(schema, node['default']);
  const properties = propertiesOf(node);
  if (properties) {
    const ui: UiSchema = {};
    const shape: Record<string, RJSFSchema> = {};
    for (const [name, child] of Object.entries(properties)) {
      const inner = ruleForm(child as RJSFSchema);
      shape[name] = inner.schema;
      if (inner.uiSchema) ui[name] = inner.uiSchema;
    }
    out['properties'] = shape;
    return { schema: out as RJSFSchema, uiSchema: ui };
  }
  const inner = ruleForm(itemsOf(node) as RJSFSchema);
  out['items'] = inner.schema;
  return { schema: out as RJSFSchema, uiSchema: inner.uiSchema ? { items: inner.uiSchema } : undefined };
}

function messagesOf(errors: ErrorSchema | undefined): string[] {
  if (!errors) return [];
  return Object.entries(errors).flatMap(([key, value]) => (key === '__errors' ? ((value as string[] | undefined) ?? []) : messagesOf(value as ErrorSchema)));
}

/**
 * `errors` with every message at or inside a rule field moved onto that field: the host names paths
 * inside a rule (`/earnRules/0/points/div/0`), and the form draws a rule as one text box.
 */
export function foldRuleErrors(schema: RJSFSchema, errors: ErrorSchema | undefined): ErrorSchema | undefined {
  if (!errors) return errors;
  const node = schema as Node;
  if (isRule(node)) {
    const messages = [...new Set(messagesOf(errors))];
    return messages.length > 0 ? ({ __errors: messages } as ErrorSchema) : undefined;
  }
  const properties = propertiesOf(node);
  const items = itemsOf(node);
  if (!properties && !items) return errors;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(errors)) {
    if (key === '__errors') out[key] = value;
    else if (properties && Object.hasOwn(properties, key)) out[key] = foldRuleErrors(properties[key] as RJSFSchema, value as ErrorSchema);
    else if (items && /^\d+$/.test(key)) out[key] = foldRuleErrors(items as RJSFSchema, value as ErrorSchema);
    else out[key] = value;
  }
  return out as ErrorSchema;
}
