import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';
import { TkError } from '@tongkit/sdk';
import { encodeJsonValue } from './json-depth.js';
import { ruleProblemsIn } from './settings-schema.js';
import { assertMatches } from './validation.js';

/**
 * The largest settings an install may pass, in bytes of UTF-8 JSON. Settings are a merchant's
 * configuration (thresholds, tier names, a few lists); every call copies them into the guest, so they
 * must stay far below the guest's heap. Past this, TK_VALIDATION blames the caller's settings, not the
 * plugin for running out of memory parsing them.
 */
export const MAX_SETTINGS_BYTES = 64 * 1024;

/**
 * The checks settings pass before anything recursive touches them: JSON nested no deeper than the
 * runtime's limit, and at most {@link MAX_SETTINGS_BYTES}. Returns them as JSON; throws TK_VALIDATION
 * (fault: user) with a path relative to the settings, as the schema check's.
 */
export function encodeSettings(settings: unknown = {}): string {
  return encodeJsonValue(settings ?? {}, {
    what: 'the settings',
    limitBytes: MAX_SETTINGS_BYTES,
    tooLarge: (bytes) => `the settings are ${bytes} bytes of JSON, over the ${MAX_SETTINGS_BYTES}-byte limit`,
    hint: 'Keep settings to configuration (thresholds, names, short lists); data belongs in the input or in storage.',
  });
}

/** Applies `schema`'s defaults to a copy of `settings` and validates the result; throws TK_VALIDATION with the path. */
export function resolveSettingsWith(schema: TSchema, settings: unknown = {}): Record<string, unknown> {
  encodeSettings(settings);
  const withDefaults = Value.Default(schema, structuredClone(settings ?? {}));
  assertMatches(schema, withDefaults, 'TK_VALIDATION', 'the settings');
  const problems = ruleProblemsIn(schema, withDefaults);
  const first = problems[0];
  if (first) {
    throw new TkError('TK_VALIDATION', `the settings are invalid at ${first.path}: ${first.message}`, {
      fault: 'user',
      path: first.path,
      details: { problems: problems.slice(0, 10) },
      hint: 'docs/rules.md lists the operators of the rule dialect and the fields each extension point’s rules can read.',
    });
  }
  return withDefaults as Record<string, unknown>;
}
