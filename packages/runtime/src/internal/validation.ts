import { FormatRegistry, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { TkError, type TkErrorCode } from '@tongkit/sdk';

// TypeBox validates `format` only for registered formats; register the ones the catalogue uses.
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', (v) => RFC3339.test(v) && !Number.isNaN(Date.parse(v)));
if (!FormatRegistry.Has('date')) FormatRegistry.Set('date', (v) => /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)));

/** One validation failure: a JSON Pointer and a message. */
export interface ValidationProblem {
  path: string;
  message: string;
}

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

/** A compiled checker for `schema`, cached per schema object (compiling is the expensive part). */
export function checkerFor(schema: TSchema): TypeCheck<TSchema> {
  let checker = compiled.get(schema);
  if (!checker) {
    checker = TypeCompiler.Compile(schema);
    compiled.set(schema, checker);
  }
  return checker;
}

/** Up to `max` problems of `value` against `schema`; empty when valid. */
export function findProblems(schema: TSchema, value: unknown, max = 10): ValidationProblem[] {
  const checker = checkerFor(schema);
  if (checker.Check(value)) return [];
  const problems: ValidationProblem[] = [];
  for (const error of checker.Errors(value)) {
    problems.push({ path: error.path || '/', message: error.message });
    if (problems.length >= max) break;
  }
  return problems;
}

/**
 * Throws a {@link TkError} with `code` naming the first problem's JSON path when `value` does not match
 * `schema`; all problems (up to 10) go in `details.problems`.
 */
export function assertMatches(schema: TSchema, value: unknown, code: TkErrorCode, what: string, pathPrefix = ''): void {
  const problems = findProblems(schema, value);
  const first = problems[0];
  if (!first) return;
  const path = `${pathPrefix}${first.path === '/' ? '' : first.path}` || '/';
  throw new TkError(code, `${what} is invalid at ${path}: ${first.message}`, {
    path,
    details: { problems: problems.map((p) => ({ ...p, path: `${pathPrefix}${p.path === '/' ? '' : p.path}` || '/' })) },
  });
}

/**
 * True when `value` (parsed JSON) nests objects and arrays deeper than `limit` levels. Iterative: a
 * guest output nested thousands of levels deep must not overflow the host's stack, as a recursive
 * JSON.stringify or schema check would.
 */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 1]];
  while (pending.length > 0) {
    const [item, depth] = pending.pop()!;
    if (item === null || typeof item !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(item)) if (child !== null && typeof child === 'object') pending.push([child, depth + 1]);
  }
  return false;
}
