import { Type, type Static } from '@sinclair/typebox';
import { getExtensionPoint, TkError } from '@tongkit/sdk';
import { validateAgainst } from '@tongkit/runtime';
import type { Database } from '../storage/database.js';
import type { ExtensionInvoker } from '../extensions/invoke-extension.js';
import type { Installs } from './installs.js';

/** At most this many logged invocations are replayed (the workbench asks for 200). */
export const MAX_PREVIEW_INVOCATIONS = 200;
/** Changed decisions shown as before/after samples. */
const SAMPLES = 10;
/** Value transitions listed (the most frequent first). */
const TRANSITIONS = 10;

const Decision = Type.Unknown({ description: 'A decision as the point outputs it' });

/** What the settings impact preview answers (POST /v1/installs/:id/settings/preview). */
export const SettingsImpactSchema = Type.Object({
  installId: Type.String(),
  version: Type.String(),
  replayed: Type.Integer({ description: 'Logged invocations run again, with the current and with the proposed settings' }),
  changed: Type.Integer({ description: 'Of those, the decisions the proposed settings change' }),
  unchanged: Type.Integer(),
  failed: Type.Integer({ description: 'Replays where the plugin failed under either settings (the live call would fall back)' }),
  skipped: Type.Integer({ description: 'Logged inputs that no longer match the point’s input schema, or of points the install no longer serves' }),
  transitions: Type.Array(
    Type.Object({ field: Type.String({ description: 'A top-level output field, or "" for the whole output' }), from: Type.Unknown(), to: Type.Unknown(), count: Type.Integer() }),
    { description: 'The most frequent value changes, e.g. tier: silver → gold × 12' },
  ),
  samples: Type.Array(
    Type.Object({
      invocationId: Type.String(),
      point: Type.String(),
      storeId: Type.Union([Type.String(), Type.Null()]),
      at: Type.String({ format: 'date-time' }),
      before: Decision,
      after: Decision,
    }),
  ),
  failures: Type.Array(Type.Object({ invocationId: Type.String(), code: Type.String(), message: Type.String() }), { description: 'The first few failed replays' }),
});
export type SettingsImpact = Static<typeof SettingsImpactSchema>;

interface LoggedInvocation {
  id: string;
  point: string;
  store_id: string | null;
  input: unknown;
  created_at: Date;
}

/**
 * The settings impact preview: before new settings are saved, the last `limit` logged invocations of the
 * install (≤ 200, successful ones with their input) run again in the sandbox, once with the settings the
 * install has and once with the proposed ones, on the version it runs now — so the difference is the
 * settings' alone, not a version's or a logged fallback's. Each store's invocation sees its own override
 * merged over the settings, as live calls do. Nothing is written: no log, no breaker, no ledger.
 */
export class SettingsPreview {
  constructor(
    private readonly db: Database,
    private readonly installs: Installs,
    private readonly extensions: ExtensionInvoker,
  ) {}

  async preview(merchantId: string, installId: string, proposed: Record<string, unknown>, limit = MAX_PREVIEW_INVOCATIONS): Promise<SettingsImpact> {
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PREVIEW_INVOCATIONS) {
      throw new TkError('TK_VALIDATION', `limit is 1–${MAX_PREVIEW_INVOCATIONS}`, { path: '/body/limit' });
    }
    // Validated as a save would be (TK_VALIDATION at /settings/… or /storeOverrides/<store>/…) before anything runs.
    const next = await this.installs.proposedSettings(merchantId, installId, proposed);
    const current = await this.installs.proposedSettings(merchantId, installId, next.install.settings);
    await this.extensions.flushLog();
    const { rows } = await this.db.query<LoggedInvocation>(
      `SELECT id, point, store_id, input, created_at FROM invocations
       WHERE merchant_id = $1 AND install_id = $2 AND ok AND NOT fallback AND input IS NOT NULL
       ORDER BY created_at DESC, id DESC LIMIT $3`,
      [merchantId, installId, limit],
    );

    const impact: SettingsImpact = { installId, version: next.install.version, replayed: 0, changed: 0, unchanged: 0, failed: 0, skipped: 0, transitions: [], samples: [], failures: [] };
    const transitions = new Map<string, { field: string; from: unknown; to: unknown; count: number }>();
    for (const logged of rows) {
      const spec = getExtensionPoint(logged.point);
      if (!spec || !next.install.enabledPoints.includes(logged.point) || validateAgainst(spec.input, logged.input).length > 0) {
        impact.skipped++;
        continue;
      }
      impact.replayed++;
      const before = await this.extensions.replay(next.row, logged.point, logged.input, current.effective(logged.store_id));
      const after = await this.extensions.replay(next.row, logged.point, logged.input, next.effective(logged.store_id));
      if (!before.ok || !after.ok) {
        impact.failed++;
        const error = !after.ok ? after.error : !before.ok ? before.error : undefined;
        if (error && impact.failures.length < SAMPLES) impact.failures.push({ invocationId: logged.id, code: error.code, message: error.message });
        continue;
      }
      if (canonical(before.output) === canonical(after.output)) {
        impact.unchanged++;
        continue;
      }
      impact.changed++;
      if (impact.samples.length < SAMPLES) {
        impact.samples.push({ invocationId: logged.id, point: logged.point, storeId: logged.store_id, at: logged.created_at.toISOString(), before: before.output, after: after.output });
      }
      for (const change of fieldChanges(before.output, after.output)) {
        const key = canonical([change.field, change.from, change.to]);
        const seen = transitions.get(key);
        if (seen) seen.count++;
        else transitions.set(key, { ...change, count: 1 });
      }
    }
    impact.transitions = [...transitions.values()].sort((a, b) => b.count - a.count).slice(0, TRANSITIONS);
    return impact;
  }
}

/** JSON with object keys sorted, so two equal decisions compare equal whatever their key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/**
 * The changes a merchant can read at a glance: per top-level field whose scalar value changed, from →
 * to (`tier: silver → gold`); a field holding an object or array, or an output that is not an object,
 * counts as one change of the whole.
 */
export function fieldChanges(before: unknown, after: unknown): Array<{ field: string; from: unknown; to: unknown }> {
  const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isRecord(before) || !isRecord(after)) return [{ field: '', from: before, to: after }];
  const changes: Array<{ field: string; from: unknown; to: unknown }> = [];
  for (const field of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const from = before[field];
    const to = after[field];
    if (canonical(from) === canonical(to)) continue;
    const scalar = (v: unknown) => v === undefined || v === null || typeof v !== 'object';
    changes.push(scalar(from) && scalar(to) ? { field, from: from ?? null, to: to ?? null } : { field, from: '…', to: '…' });
  }
  return changes;
}
