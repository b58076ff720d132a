import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';
import { assertMatches } from './validation.js';

/** Applies `schema`'s defaults to a copy of `settings` and validates the result; throws TK_VALIDATION with the path. */
export function resolveSettingsWith(schema: TSchema, settings: unknown = {}): Record<string, unknown> {
  const withDefaults = Value.Default(schema, structuredClone(settings ?? {}));
  assertMatches(schema, withDefaults, 'TK_VALIDATION', 'the settings');
  return withDefaults as Record<string, unknown>;
}
