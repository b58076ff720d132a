import { API_VERSIONS, EVENT_NAMES, EXTENSION_POINT_IDS, PERMISSION_NAMES, TkError } from '@tongkit/sdk';

/**
 * No catalogue name is near this long (the longest is about 25 characters). Longer values are refused
 * before the fuzzy match: its cost grows with the value's length, and a deploy body may hold megabytes.
 */
export const MAX_CATALOGUE_NAME_LENGTH = 64;

/** How much of an unknown value a message quotes: enough to recognise it, never a megabyte. */
const QUOTED_CHARS = 80;

/** `value` for an error message, cut to {@link QUOTED_CHARS} characters with `…` and the full length. */
export function quoteName(value: string): string {
  if (value.length <= QUOTED_CHARS) return `"${value}"`;
  // Don't cut a surrogate pair in half.
  const end = /[\ud800-\udbff]/.test(value.charAt(QUOTED_CHARS - 1)) ? QUOTED_CHARS - 1 : QUOTED_CHARS;
  return `"${value.slice(0, end)}…" (${value.length} characters)`;
}

/** Levenshtein distance, for "did you mean" hints on misspelt catalogue names. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

function closest(name: string, known: readonly string[]): string | undefined {
  if (name.length > MAX_CATALOGUE_NAME_LENGTH) return undefined;
  const best = known.map((k) => ({ k, d: distance(name, k) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= Math.max(2, Math.floor(name.length / 4)) ? best.k : undefined;
}

/**
 * Names a plugin definition uses that the catalogue does not know — an extension point, an event, a
 * permission, an API version — with a "did you mean" when one is close. Runs before the manifest
 * schema check, whose message for these would only say "Expected union value".
 */
export function checkCatalogueNames(definition: { extensions?: unknown; events?: unknown; permissions?: unknown; apiVersion?: unknown }): void {
  const lists: Array<[string, unknown, readonly string[], string]> = [
    ['extensions', definition.extensions, EXTENSION_POINT_IDS, 'extension point'],
    ['events', definition.events, EVENT_NAMES, 'event'],
    ['permissions', definition.permissions, PERMISSION_NAMES, 'permission'],
  ];
  for (const [field, values, known, what] of lists) {
    if (!Array.isArray(values)) continue;
    values.forEach((value, index) => {
      if (typeof value !== 'string' || known.includes(value)) return;
      if (value.length > MAX_CATALOGUE_NAME_LENGTH) {
        throw new TkError('TK_MANIFEST_INVALID', `unknown ${what} ${quoteName(value)}: ${what} names are at most ${MAX_CATALOGUE_NAME_LENGTH} characters`, {
          path: `/${field}/${index}`,
          hint: `Known ${what}s: ${known.join(', ')}.`,
        });
      }
      const suggestion = closest(value, known);
      throw new TkError('TK_MANIFEST_INVALID', `unknown ${what} ${quoteName(value)}${suggestion ? ` — did you mean "${suggestion}"?` : ''}`, {
        path: `/${field}/${index}`,
        hint: `Known ${what}s: ${known.join(', ')}.`,
      });
    });
  }
  if (typeof definition.apiVersion === 'string' && !(API_VERSIONS as readonly string[]).includes(definition.apiVersion)) {
    throw new TkError('TK_MANIFEST_INVALID', `apiVersion ${quoteName(definition.apiVersion)} is not supported`, {
      path: '/apiVersion',
      hint: `Supported API versions: ${API_VERSIONS.join(', ')}.`,
    });
  }
}
