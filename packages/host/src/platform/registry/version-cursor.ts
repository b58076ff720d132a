import { PLUGIN_NAME_PATTERN, SEMVER_PATTERN, TkError } from '@tongkit/sdk';

/**
 * Where a page of versions ended: the last row's creation time in whole microseconds since the Unix
 * epoch (PostgreSQL's own precision, which a JavaScript Date would round), plugin and version.
 */
export interface VersionCursor {
  createdAtMicros: number;
  plugin: string;
  version: string;
}

/**
 * SQL for the cursor's time of a row, exact on every PostgreSQL version (`extract(epoch …)` is a
 * double before PostgreSQL 14): whole seconds, plus the microseconds within the second.
 */
export const CREATED_AT_MICROS_SQL = `(extract(epoch FROM date_trunc('second', v.created_at))::bigint * 1000000
  + extract(microseconds FROM v.created_at)::bigint % 1000000)`;

/** SQL turning a cursor time parameter (`$n`, whole microseconds) back into a timestamptz. */
export function timestampFromMicrosSql(param: string): string {
  return `(timestamptz 'epoch' + ${param}::bigint * interval '1 microsecond')`;
}

const PLUGIN_NAME = new RegExp(PLUGIN_NAME_PATTERN);
const VERSION = new RegExp(SEMVER_PATTERN);

/** The opaque `nextCursor` of a page. */
export function encodeVersionCursor(cursor: VersionCursor): string {
  return Buffer.from(JSON.stringify({ t: cursor.createdAtMicros, p: cursor.plugin, v: cursor.version })).toString('base64url');
}

/**
 * Reads a cursor a client sent back. Anything but a cursor this API could have returned — an integer
 * time PostgreSQL can represent, a valid plugin name and version, nothing else — is TK_VALIDATION at
 * `/querystring/cursor`: forged values never reach the database, so they cannot fail there.
 */
export function decodeVersionCursor(text: string): VersionCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
    const { t, p, v, ...rest } = parsed as Record<string, unknown>;
    // Any safe integer of microseconds is within ±285 years of 1970, inside timestamptz's range.
    if (
      Object.keys(rest).length === 0 &&
      Number.isSafeInteger(t) &&
      typeof p === 'string' &&
      PLUGIN_NAME.test(p) &&
      typeof v === 'string' &&
      v.length <= 64 &&
      VERSION.test(v)
    ) {
      return { createdAtMicros: t as number, plugin: p, version: v };
    }
  }
  throw new TkError('TK_VALIDATION', 'the cursor is not one this API returned', {
    path: '/querystring/cursor',
    hint: 'Pass the nextCursor of the previous page unchanged, or leave cursor out to start from the first page.',
  });
}
