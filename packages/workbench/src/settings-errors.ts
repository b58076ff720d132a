// Settings are validated by the host (the plugin's schema, in the API), which answers TK_VALIDATION with
// a JSON path such as `/settings/goldAtFen`. rjsf shows errors at a field from an "error schema"; this
// turns the API's paths into one, so an invalid value is marked where the operator typed it.
import type { ErrorSchema } from '@rjsf/utils';
import type { ApiError } from './api';

/** The API's JSON pointer of a settings error, relative to the settings object (prefix removed). */
export function settingsPointer(path: string | undefined, prefix: string): string[] | undefined {
  if (path === undefined || !path.startsWith(prefix)) return undefined;
  return path
    .slice(prefix.length)
    .split('/')
    .filter((part) => part !== '')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** A problem at a JSON pointer into the settings (with the API's prefix), as the host lists them. */
export interface SettingsProblem {
  path?: string | undefined;
  message?: string | undefined;
}

/** An rjsf error schema with each problem's message at its path; problems outside the settings are left out. */
export function errorSchemaAt(problems: readonly SettingsProblem[], prefix: string): ErrorSchema | undefined {
  let schema: ErrorSchema | undefined;
  for (const problem of problems) {
    const parts = settingsPointer(problem.path, prefix);
    if (!parts) continue;
    schema ??= {};
    let node = schema as Record<string, unknown>;
    for (const part of parts) node = (node[part] ??= {}) as Record<string, unknown>;
    const errors = ((node['__errors'] as string[] | undefined) ??= []);
    if (problem.message && !errors.includes(problem.message)) errors.push(problem.message);
  }
  return schema;
}

/** An rjsf error schema with the error's message at its path (the first problem, and any others listed). */
export function errorSchemaOf(error: ApiError, prefix: string): ErrorSchema | undefined {
  const problems: SettingsProblem[] = [{ path: error.path, message: error.message }];
  const listed = error.details?.['problems'];
  if (Array.isArray(listed)) problems.push(...(listed as SettingsProblem[]));
  return errorSchemaAt(problems, prefix);
}
