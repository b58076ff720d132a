import { Type, type Static } from '@sinclair/typebox';
import { TkError } from '@tongkit/sdk';
import type { Database } from './platform/storage/database.js';
import type { Principal } from './platform/auth/principal.js';
import { merchantScope } from './platform/auth/principal.js';

/** One line of `tongkit logs`: an invocation (with fallback/failure) or a plugin's own log line. */
export const LogEntrySchema = Type.Object({
  cursor: Type.String({ description: 'Pass as `after` to read the entries that follow' }),
  at: Type.String({ format: 'date-time' }),
  kind: Type.Union([Type.Literal('invocation'), Type.Literal('log')]),
  merchantId: Type.String(),
  plugin: Type.Union([Type.String(), Type.Null()]),
  installId: Type.Union([Type.String(), Type.Null()]),
  level: Type.Union([Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')]),
  message: Type.String(),
  invocationId: Type.Optional(Type.String()),
  point: Type.Optional(Type.String()),
  fallback: Type.Optional(Type.Boolean()),
  errorCode: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  measurements: Type.Optional(Type.Unknown()),
});

/** `GET /v1/logs`. */
export const LogPageSchema = Type.Object({ items: Type.Array(LogEntrySchema) });

/** One line of `tongkit logs`. */
export type LogEntry = Static<typeof LogEntrySchema>;

/** A cursor of {@link readLogs}: the entry's time in microseconds since 1970 and its sort key. */
const CURSOR = /^(\d{1,16})\|([A-Za-z0-9_]{1,40})$/;

/**
 * Invocations and plugin logs. A merchant sees its own; a developer sees the installs of its own
 * plugins across merchants (ISV, many merchants) — without the logged inputs, which stay with the
 * merchant. Without `after`: the newest `limit` entries, newest first. With `after` (an entry's
 * `cursor`): the `limit` entries that follow it, oldest first, so `tongkit logs --follow` pages
 * forward through a burst without skipping any, and never sees an entry twice.
 *
 * @example
 * const { items } = await readLogs(db, principal, { after: last.cursor, limit: 200 });
 */
export async function readLogs(db: Database, principal: Principal, query: { merchantId?: string | undefined; plugin?: string | undefined; after?: string | undefined; limit?: number | undefined }): Promise<{ items: LogEntry[] }> {
  const params: unknown[] = [];
  const where: string[] = [];
  if (principal.role === 'developer') {
    params.push(principal.subjectId);
    where.push(`plugin_name IN (SELECT name FROM plugins WHERE developer_id = $${params.length})`);
    if (query.merchantId) {
      params.push(query.merchantId);
      where.push(`merchant_id = $${params.length}`);
    }
  } else {
    params.push(merchantScope(principal, query.merchantId));
    where.push(`merchant_id = $${params.length}`);
  }
  if (query.plugin) {
    params.push(query.plugin);
    where.push(`plugin_name = $${params.length}`);
  }
  if (query.after !== undefined) {
    const cursor = CURSOR.exec(query.after);
    if (!cursor) throw new TkError('TK_VALIDATION', 'the cursor is not one this API returned', { path: '/querystring/after', hint: 'Pass the `cursor` of an entry as it came back.' });
    // Keyset on the full-precision time and a unique key: entries in the same millisecond (or the
    // same transaction) are told apart, and none is skipped or repeated. The time is rebuilt from
    // whole seconds plus microseconds so no floating point rounds it.
    params.push(cursor[1], cursor[2]);
    const [micros, key] = [`$${params.length - 1}::bigint`, `$${params.length}::text`];
    where.push(`(created_at, sort_key) > (to_timestamp(${micros} / 1000000) + (${micros} % 1000000) * interval '1 microsecond', ${key} COLLATE "C")`);
  }
  params.push(query.limit ?? 50);
  const limit = `$${params.length}`;
  const order = query.after === undefined ? 'DESC' : 'ASC';
  const { rows } = await db.query<{ kind: 'invocation' | 'log'; id: string; sort_key: string; micros: string; created_at: Date; merchant_id: string; plugin_name: string | null; install_id: string | null; level: LogEntry['level']; message: string; point: string | null; fallback: boolean | null; error_code: string | null; measurements: unknown }>(
    `SELECT *, (extract(epoch FROM created_at) * 1000000)::bigint::text AS micros FROM (
       SELECT 'invocation' AS kind, id, id COLLATE "C" AS sort_key, created_at, merchant_id, plugin_name, install_id,
              CASE WHEN ok THEN 'info' ELSE 'error' END AS level,
              CASE WHEN ok THEN point || ' ok' ELSE point || ' ' || error_code || ': ' || coalesce(error_message, '') END AS message,
              point, fallback, error_code, measurements
         FROM invocations
       UNION ALL
       -- Zero-padded so that the text order of log ids is their numeric (insertion) order.
       SELECT 'log', id::text, lpad(id::text, 20, '0') COLLATE "C", created_at, merchant_id, plugin_name, install_id, level, message, NULL, NULL, NULL, data
         FROM plugin_logs
     ) entries WHERE ${where.join(' AND ')} ORDER BY created_at ${order}, sort_key ${order} LIMIT ${limit}`,
    params,
  );
  return {
    items: rows.map((r) => ({
      cursor: `${r.micros}|${r.sort_key}`,
      at: r.created_at.toISOString(),
      kind: r.kind,
      merchantId: r.merchant_id,
      plugin: r.plugin_name,
      installId: r.install_id,
      level: r.level,
      message: r.kind === 'invocation' && r.fallback ? `${r.message} (fallback applied)` : r.message,
      ...(r.kind === 'invocation' ? { invocationId: r.id, point: r.point ?? '', fallback: r.fallback ?? false, errorCode: r.error_code, measurements: r.measurements } : {}),
    })),
  };
}
