import { TkError } from '@tongkit/sdk';
import type { Database } from './storage/database.js';
import type { Principal } from './auth/principal.js';
import { merchantScope } from './auth/principal.js';

/** One line of `tongkit logs`: an invocation (with fallback/failure) or a plugin's own log line. */
export interface LogEntry {
  cursor: string;
  at: string;
  kind: 'invocation' | 'log';
  merchantId: string;
  plugin: string | null;
  installId: string | null;
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  invocationId?: string;
  point?: string;
  fallback?: boolean;
  errorCode?: string | null;
  measurements?: unknown;
}

/**
 * Invocations and plugin logs, newest first. A merchant sees its own; a developer sees the installs of
 * its own plugins across merchants (ISV, many merchants) — without the logged inputs, which stay with
 * the merchant.
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
  if (query.after) {
    const at = Date.parse(query.after.split('|')[0] ?? '');
    if (Number.isNaN(at)) throw new TkError('TK_VALIDATION', 'the cursor is not one this API returned', { path: '/querystring/after' });
    params.push(new Date(at));
    where.push(`created_at > $${params.length}`);
  }
  params.push(query.limit ?? 50);
  const limit = `$${params.length}`;
  const { rows } = await db.query<{ kind: 'invocation' | 'log'; id: string; created_at: Date; merchant_id: string; plugin_name: string | null; install_id: string | null; level: LogEntry['level']; message: string; point: string | null; fallback: boolean | null; error_code: string | null; measurements: unknown }>(
    `SELECT * FROM (
       SELECT 'invocation' AS kind, id, created_at, merchant_id, plugin_name, install_id,
              CASE WHEN ok THEN 'info' ELSE 'error' END AS level,
              CASE WHEN ok THEN point || ' ok' ELSE point || ' ' || error_code || ': ' || coalesce(error_message, '') END AS message,
              point, fallback, error_code, measurements
         FROM invocations
       UNION ALL
       SELECT 'log', id::text, created_at, merchant_id, plugin_name, install_id, level, message, NULL, NULL, NULL, data
         FROM plugin_logs
     ) entries WHERE ${where.join(' AND ')} ORDER BY created_at DESC LIMIT ${limit}`,
    params,
  );
  return {
    items: rows.map((r) => ({
      cursor: `${r.created_at.toISOString()}|${r.id}`,
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
