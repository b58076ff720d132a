import { parse, type Node } from 'acorn';
import { full } from 'acorn-walk';
import { EVENT_NAMES, HOST_API, getHostMethod, permissionsOfNamespace, type Permission } from '@tongkit/sdk';

/** What a static read of a bundle tells about the host APIs its event handlers use. */
export interface PermissionScan {
  /** Permissions whose host APIs the code visibly calls. */
  used: Permission[];
  /** Host API namespaces seen (e.g. `kv`, `points`). */
  namespaces: string[];
  /** Host API methods seen called as `ctx.<namespace>.<method>` (e.g. `kv.increment`). */
  methods: string[];
  /**
   * True when some access could not be read statically — a computed property such as
   * `ctx['po' + 'ints']`, the context passed to another function, or an unparsable bundle — so
   * "not seen" must be reported as *unverified*, never as *unused*.
   */
  unverified: boolean;
  /** Why the scan is unverified, for the reviewer. */
  notes: string[];
}

type AnyNode = Node & Record<string, any>;
const EVENTS = new Set<string>(EVENT_NAMES);

function keyName(property: AnyNode): string | undefined {
  const key = property.key as AnyNode;
  if (!property.computed && key.type === 'Identifier') return key.name as string;
  if (key.type === 'Literal' && typeof key.value === 'string') return key.value;
  return undefined;
}

function isFunction(node: AnyNode | undefined): boolean {
  return !!node && ['FunctionExpression', 'ArrowFunctionExpression', 'FunctionDeclaration'].includes(node.type);
}

/** What {@link scanHostApiUse} knows besides the code. */
export interface ScanOptions {
  /**
   * The events the manifest declares. Each must have a handler the scan can read; one it cannot find
   * (registered under a computed key, say) makes the result unverified.
   */
  events?: readonly string[] | undefined;
}

/** The property a member expression reads when it is written in the code (`a.b`, `a['b']`), else undefined. */
function staticProperty(member: AnyNode): string | undefined {
  if (!member.computed && member.property.type === 'Identifier') return member.property.name as string;
  if (member.property.type === 'Literal' && typeof member.property.value === 'string') return member.property.value;
  return undefined;
}

/** True when the property's key is worked out at run time (`{ [name]: … }`), not written in the code. */
function hasComputedKey(property: AnyNode): boolean {
  return property.computed === true && !(property.key.type === 'Literal' && typeof property.key.value === 'string');
}

/** True when a function reads its parameters through `arguments` (arrow functions have none of their own). */
function readsArguments(fn: AnyNode): boolean {
  if (fn.type === 'ArrowFunctionExpression') return false;
  let found = false;
  full(fn.body, (node: AnyNode) => {
    if (node.type === 'Identifier' && node.name === 'arguments') found = true;
  });
  return found;
}

/**
 * Reads the event handlers of a built bundle and lists the host APIs they reach through their context
 * parameter. Conservative by design: anything it cannot follow marks the result unverified.
 *
 * @example
 * const scan = scanHostApiUse(bundle.code, { events: bundle.manifest.events });
 * if (!scan.unverified && !scan.used.includes('storage:kv')) console.log('storage:kv is asked for but unused');
 */
export function scanHostApiUse(code: string, options: ScanOptions = {}): PermissionScan {
  const namespaces = new Set<string>();
  const notes: string[] = [];
  let program: AnyNode;
  try {
    program = parse(code, { ecmaVersion: 'latest', sourceType: 'script' }) as AnyNode;
  } catch (error) {
    return { used: [], namespaces: [], methods: [], unverified: true, notes: [`the bundle could not be parsed: ${(error as Error).message}`] };
  }

  const functionsByName = new Map<string, AnyNode>();
  full(program, (node: AnyNode) => {
    if (node.type === 'FunctionDeclaration' && node.id) functionsByName.set(node.id.name, node);
    if (node.type === 'VariableDeclarator' && node.id.type === 'Identifier' && isFunction(node.init)) functionsByName.set(node.id.name, node.init);
  });

  const handlers: Array<{ event: string; fn: AnyNode }> = [];
  full(program, (node: AnyNode) => {
    // A handler map whose keys are worked out at run time (`events: { [name]: … }`, `{ ...more }`)
    // holds handlers the scan cannot name, so it cannot tell what they use.
    if (node.type === 'Property' && keyName(node) === 'events' && node.value.type === 'ObjectExpression') {
      for (const entry of node.value.properties as AnyNode[]) {
        if (entry.type === 'SpreadElement') notes.push('the events object spreads handlers in from elsewhere');
        else if (hasComputedKey(entry)) notes.push('the events object registers a handler under a computed key');
      }
    }
    if (node.type !== 'Property') return;
    if (hasComputedKey(node) && isFunction(node.value) && (node.value as AnyNode).params.length >= 2) {
      notes.push('a function that takes an event and a context is registered under a computed key');
    }
    const name = keyName(node);
    if (!name || !EVENTS.has(name)) return;
    const value = node.value as AnyNode;
    if (isFunction(value)) handlers.push({ event: name, fn: value });
    else if (value.type === 'Identifier' && functionsByName.has(value.name)) handlers.push({ event: name, fn: functionsByName.get(value.name)! });
    else notes.push(`the ${name} handler is not a function literal the scan can follow`);
  });

  const methods = new Set<string>();
  const bare = new Set<string>();
  const found = new Set(handlers.map((h) => h.event));
  for (const event of options.events ?? []) {
    if (!found.has(event)) notes.push(`the ${event} handler could not be found in the code (registered under a computed key, or built at run time)`);
  }

  for (const { event, fn } of handlers) {
    const params = fn.params as AnyNode[];
    if (params.slice(0, 2).some((param) => param.type === 'RestElement') || readsArguments(fn)) {
      notes.push(`the ${event} handler reads its parameters as a list (rest or arguments), so its context use cannot be followed`);
      continue;
    }
    const ctx = params[1];
    if (!ctx) continue;
    if (ctx.type === 'ObjectPattern') {
      for (const property of ctx.properties as AnyNode[]) {
        const name = property.type === 'Property' ? keyName(property) : undefined;
        if (!name) {
          notes.push(`the ${event} handler destructures its context dynamically`);
          continue;
        }
        namespaces.add(name);
        // `{ kv: { get, set } }` names the methods; anything else leaves them to be worked out.
        const inner = property.value as AnyNode;
        const innerNames = inner.type === 'ObjectPattern' ? (inner.properties as AnyNode[]).map((p) => (p.type === 'Property' ? keyName(p) : undefined)) : [];
        if (innerNames.length > 0 && innerNames.every((n) => n !== undefined)) for (const method of innerNames) methods.add(`${name}.${method}`);
        else bare.add(name);
      }
      continue;
    }
    if (ctx.type !== 'Identifier') {
      notes.push(`the ${event} handler's context parameter is not a plain name`);
      continue;
    }
    const ctxName = ctx.name as string;
    const memberObjects = new Set<AnyNode>();
    // `ctx.<namespace>.<method>`: the outer member names the method of the inner one.
    const methodOf = new Map<AnyNode, string>();
    full(fn.body, (node: AnyNode) => {
      if (node.type !== 'MemberExpression' || node.object.type !== 'MemberExpression') return;
      const name = staticProperty(node);
      if (name !== undefined) methodOf.set(node.object, name);
    });
    full(fn.body, (node: AnyNode) => {
      if (node.type !== 'MemberExpression' || node.object.type !== 'Identifier' || node.object.name !== ctxName) return;
      memberObjects.add(node.object);
      const namespace = staticProperty(node);
      if (namespace === undefined) {
        notes.push(`the ${event} handler reads its context with a computed property`);
        return;
      }
      namespaces.add(namespace);
      const method = methodOf.get(node);
      if (method !== undefined) methods.add(`${namespace}.${method}`);
      else bare.add(namespace);
    });
    full(fn.body, (node: AnyNode) => {
      if (node.type === 'Identifier' && node.name === ctxName && !memberObjects.has(node)) {
        notes.push(`the ${event} handler passes its context on (e.g. to a helper), so its use cannot be followed`);
      }
    });
  }

  // Permissions are per method (HOST_API): a method seen counts its own; a namespace used without a
  // method the scan can name (`const kv = ctx.kv`, destructured) counts all of its methods' — and when
  // those differ (a read and a write), which one is used is unverified.
  const used = new Set<Permission>();
  for (const entry of methods) {
    const [namespace, method] = entry.split('.') as [string, string];
    const spec = getHostMethod(namespace, method);
    if (spec?.permission) used.add(spec.permission);
    else if (!spec && Object.hasOwn(HOST_API, namespace)) bare.add(namespace);
  }
  for (const namespace of bare) {
    const permissions = permissionsOfNamespace(namespace);
    for (const permission of permissions) used.add(permission);
    if (permissions.length > 1) notes.push(`ctx.${namespace} is used without naming its methods, and they need different permissions (${permissions.join(', ')})`);
  }
  return {
    used: [...used].sort(),
    namespaces: [...namespaces].sort(),
    methods: [...methods].sort(),
    unverified: notes.length > 0,
    notes: [...new Set(notes)],
  };
}
