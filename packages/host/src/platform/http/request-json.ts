import { TkError } from '@tongkit/sdk';

/**
 * How deep a request may nest objects and arrays. Nothing the API takes comes close (a settings
 * schema inside a manifest is the deepest, around 20); the limit keeps a few KB of `[[[[…` from
 * overflowing the stack of any recursive code after it (schema checks, merge patches, the database
 * driver's JSON.stringify). The same as the runtime's limit on plugin outputs and host-call arguments.
 */
export const MAX_REQUEST_DEPTH = 64;

/** Object keys that would reach an object's prototype if a naive merge copied them; refused anywhere in a request. */
const PROTOTYPE_KEY = '__proto__';

/**
 * Parses a JSON request body. Unlike Fastify's default parser, a `__proto__` key is parsed (as the plain
 * own property JSON.parse makes it), so that {@link checkRequestJson} can refuse it naming its path,
 * instead of the whole body being called "not valid JSON".
 */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0) throw new TkError('TK_VALIDATION', 'the request body is empty; send a JSON value or no Content-Type', { path: '/' });
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new TkError('TK_VALIDATION', `the request body is not valid JSON: ${(error as Error).message}`, { path: '/' });
  }
}

/**
 * Refuses a request value the host could not handle as sent, with TK_VALIDATION at the JSON path of the
 * first offending value or key (under `basePath`: `''` for the body, `/params`, `/querystring`):
 * - text PostgreSQL cannot store ({@link unstorableCharacterIn}): a NUL character or a lone surrogate. A
 *   `jsonb` column refuses them (a 500 after the work was done), a `text` column silently turns a lone
 *   surrogate into U+FFFD, so that `"e\ud800"` and `"e\ufffd"` would be the same id;
 * - nesting deeper than {@link MAX_REQUEST_DEPTH};
 * - a `__proto__` key, or `prototype` inside a `constructor` key (prototype pollution).
 *
 * Iterative, so that the check itself cannot overflow the stack however deep the value is.
 *
 * @example
 * checkRequestJson({ data: { note: 'a\ud800' } }, ''); // throws TK_VALIDATION at /data/note
 */
export function checkRequestJson(value: unknown, basePath: string): void {
  const pending: Entry[] = [{ value, parent: undefined, key: '', depth: 1 }];
  while (pending.length > 0) {
    const entry = pending.pop()!;
    const item = entry.value;
    if (typeof item === 'string') {
      const problem = unstorableCharacterIn(item);
      if (problem) throw unstorableTextError(problem, basePath + pathOf(entry) || '/');
      continue;
    }
    if (item === null || typeof item !== 'object') continue;
    if (entry.depth > MAX_REQUEST_DEPTH) {
      const path = basePath + pathOf(entry) || '/';
      throw new TkError('TK_VALIDATION', `the request nests objects and arrays deeper than ${MAX_REQUEST_DEPTH} levels at ${path}`, {
        path,
        details: { limit: MAX_REQUEST_DEPTH },
      });
    }
    for (const key of Object.keys(item)) {
      const child: Entry = { value: (item as Record<string, unknown>)[key], parent: entry, key, depth: entry.depth + 1 };
      const problem = Array.isArray(item) ? undefined : unstorableCharacterIn(key);
      if (problem) throw unstorableTextError(`${problem} in a key`, basePath + pathOf(child));
      if (key === PROTOTYPE_KEY || (key === 'prototype' && entry.key === 'constructor' && entry.parent)) {
        const path = basePath + pathOf(child);
        throw new TkError('TK_VALIDATION', `the request has a forbidden key "${key}" at ${path}`, {
          path,
          hint: 'Rename the key: "__proto__", and "prototype" inside "constructor", are refused anywhere in a request.',
        });
      }
      pending.push(child);
    }
  }
}

/**
 * What makes `text` unstorable in PostgreSQL, or undefined: a NUL character (`text` and `jsonb` refuse
 * it) or a UTF-16 surrogate without its pair (`jsonb` refuses it; `text` replaces it).
 */
export function unstorableCharacterIn(text: string): string | undefined {
  if (text.includes('\u0000')) return 'a NUL character (\\u0000)';
  const lone = LONE_SURROGATE.exec(text);
  if (lone) return `a lone surrogate (\\u${lone[0].charCodeAt(0).toString(16)}) with no pair to make a character`;
  return undefined;
}

/**
 * The one error for request text PostgreSQL cannot store: {@link checkRequestJson} gives it with the
 * value's path; `toTkError` with what the database said, for text that got past the check.
 */
export function unstorableTextError(problem: string, path?: string, cause?: unknown): TkError {
  const where = path === undefined ? '' : ` at ${path}`;
  return new TkError('TK_VALIDATION', `the request contains text that cannot be stored${where}: ${problem}`, {
    hint: 'Remove NUL characters and unpaired surrogates (half of an emoji, e.g. a string cut in the middle) from the request.',
    ...(path === undefined ? {} : { path }),
    ...(cause === undefined ? {} : { cause }),
  });
}

/** One value to check, with how it was reached (its path is only built when it is refused). */
interface Entry {
  value: unknown;
  parent: Entry | undefined;
  key: string;
  depth: number;
}

/** The JSON Pointer (RFC 6901) of an entry, relative to the checked value: `''` for the value itself. */
function pathOf(entry: Entry): string {
  const keys: string[] = [];
  for (let at: Entry | undefined = entry; at?.parent; at = at.parent) keys.push(at.key.replaceAll('~', '~0').replaceAll('/', '~1'));
  return keys.reverse().map((key) => `/${key}`).join('');
}

/** A high surrogate not followed by a low one, or a low surrogate not preceded by a high one (code units: no `u` flag). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
