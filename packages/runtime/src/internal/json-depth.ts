import { TkError, type TkErrorCode } from '@tongkit/sdk';

/**
 * How deep the JSON the runtime is handed may nest objects and arrays: inputs, settings, events and
 * manifests. Nothing legitimate comes close (a settings schema inside a manifest is the deepest, around
 * 20). Past a few thousand levels every recursive step after the check — JSON.stringify for the worker's
 * IPC channel, structuredClone, schema checks — overflows the stack, so the value is refused up front.
 * The same limit as plugin outputs, host-call arguments and the host's HTTP requests.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * How deep a manifest may nest. It carries the settings schema, whose own check (8 levels of settings)
 * names the offending property far better; this looser bound only keeps the recursive steps safe.
 */
export const MAX_MANIFEST_DEPTH = 256;

/** One value on the walk, with how it was reached (its path is only built when it is refused). */
interface Entry {
  value: object;
  parent: Entry | undefined;
  key: string;
  depth: number;
}

/**
 * The JSON Pointer (relative to `value`) of the first object or array nested deeper than `limit`
 * levels, and whether that is because the value contains itself; undefined when it nests no deeper.
 * Iterative, so that the check itself cannot overflow the stack however deep the value is.
 */
export function firstTooDeep(value: unknown, limit = MAX_JSON_DEPTH): { path: string; cycle: boolean } | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const pending: Entry[] = [{ value, parent: undefined, key: '', depth: 1 }];
  while (pending.length > 0) {
    const entry = pending.pop()!;
    if (entry.depth > limit) return { path: pathOf(entry), cycle: isCycle(entry) };
    const item = entry.value as Record<string, unknown>;
    const keys = Array.isArray(item) ? item.keys() : Object.keys(item);
    for (const key of keys) {
      const child = item[key];
      if (child !== null && typeof child === 'object') pending.push({ value: child, parent: entry, key: String(key), depth: entry.depth + 1 });
    }
  }
  return undefined;
}

/**
 * Throws TkError `code` at the path of the first value of `value` nested deeper than
 * {@link MAX_JSON_DEPTH}, naming it as `what` ("the input", "the settings"). Paths are relative to
 * `value`, as the schema checks' are.
 *
 * @example
 * refuseDeepJson(input, 'the input'); // TK_VALIDATION at /member/a/a/… for 5,000 levels of { a: … }
 */
export function refuseDeepJson(value: unknown, what: string, code: TkErrorCode = 'TK_VALIDATION', limit = MAX_JSON_DEPTH): void {
  const found = firstTooDeep(value, limit);
  if (!found) return;
  const path = found.path || '/';
  const shown = path.length > 200 ? `${path.slice(0, 200)}…` : path;
  throw new TkError(
    code,
    found.cycle ? `${what} cannot be JSON: a value contains itself at ${shown}` : `objects and arrays in ${what} nest deeper than ${limit} levels at ${shown}`,
    { path, details: { limit } },
  );
}

/** Whether the entry's object is one of its own ancestors (a cycle, which JSON cannot express). */
function isCycle(entry: Entry): boolean {
  for (let at = entry.parent; at; at = at.parent) if (at.value === entry.value) return true;
  return false;
}

/** The JSON Pointer (RFC 6901) of an entry, relative to the checked value: `''` for the value itself. */
function pathOf(entry: Entry): string {
  const keys: string[] = [];
  for (let at: Entry | undefined = entry; at?.parent; at = at.parent) keys.push(at.key.replaceAll('~', '~0').replaceAll('/', '~1'));
  return keys.reverse().map((key) => `/${key}`).join('');
}

/** How {@link encodeJsonValue} names a value and bounds its size. */
export interface JsonValueLimit {
  /** The value in messages: `the input`, `the settings`, `the order.paid event`. */
  what: string;
  limitBytes: number;
  /** The message when the JSON is larger than `limitBytes`. */
  tooLarge: (bytes: number) => string;
  hint?: string;
  /** Told the size once it is known, even when the value is then refused (for measurements). */
  onBytes?: (bytes: number) => void;
}

/**
 * A value the runtime is handed (input, settings, event) as JSON, after the checks that must come
 * before anything recursive touches it: nesting (the stringify itself is recursive), JSON-ness, then
 * size. TK_VALIDATION at the offending path (`/` for the whole value) otherwise.
 */
export function encodeJsonValue(value: unknown, limit: JsonValueLimit): string {
  refuseDeepJson(value, limit.what);
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new TkError('TK_VALIDATION', `${limit.what} cannot be JSON: ${(error as Error).message}`, { path: '/' });
  }
  if (json === undefined) throw new TkError('TK_VALIDATION', `${limit.what} cannot be JSON: there is none (undefined, a function or a symbol)`, { path: '/' });
  const bytes = Buffer.byteLength(json);
  limit.onBytes?.(bytes);
  if (bytes > limit.limitBytes) {
    throw new TkError('TK_VALIDATION', limit.tooLarge(bytes), {
      path: '/',
      ...(limit.hint ? { hint: limit.hint } : {}),
      details: { bytes, limit: limit.limitBytes },
    });
  }
  return json;
}
