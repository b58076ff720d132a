import { parse, type Node } from 'acorn';
import { full } from 'acorn-walk';
import { EVENT_NAMES, HOST_API_PERMISSIONS, type Permission } from '@tongkit/sdk';

/** What a static read of a bundle tells about the host APIs its event handlers use. */
export interface PermissionScan {
  /** Permissions whose host APIs the code visibly calls. */
  used: Permission[];
  /** Host API namespaces seen (e.g. `kv`, `points`). */
  namespaces: string[];
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
    return { used: [], namespaces: [], unverified: true, notes: [`the bundle could not be parsed: ${(error as Error).message}`] };
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
        if (name) namespaces.add(name);
        else notes.push(`the ${event} handler destructures its context dynamically`);
      }
      continue;
    }
    if (ctx.type !== 'Identifier') {
      notes.push(`the ${event} handler's context parameter is not a plain name`);
      continue;
    }
    const ctxName = ctx.name as string;
    const memberObjects = new Set<AnyNode>();
    full(fn.body, (node: AnyNode) => {
      if (node.type !== 'MemberExpression' || node.object.type !== 'Identifier' || node.object.name !== ctxName) return;
      memberObjects.add(node.object);
      if (!node.computed) namespaces.add(node.property.name);
      else if (node.property.type === 'Literal' && typeof node.property.value === 'string') namespaces.add(node.property.value);
      else notes.push(`the ${event} handler reads its context with a computed property`);
    });
    full(fn.body, (node: AnyNode) => {
      if (node.type === 'Identifier' && node.name === ctxName && !memberObjects.has(node)) {
        notes.push(`the ${event} handler passes its context on (e.g. to a helper), so its use cannot be followed`);
      }
    });
  }

  const used = new Set<Permission>();
  for (const namespace of namespaces) {
    const permission = (HOST_API_PERMISSIONS as Record<string, Permission | null>)[namespace];
    if (permission) used.add(permission);
  }
  return { used: [...used].sort(), namespaces: [...namespaces].sort(), unverified: notes.length > 0, notes: [...new Set(notes)] };
}
