import type { Install, InstallRequest } from './schemas.js';
import { randomUUID } from 'node:crypto';
import { EXTENSION_POINTS, PERMISSIONS, TkError, type Manifest, type Permission } from '@tongkit/sdk';
import type { LoadedPlugin } from '@tongkit/runtime';
import type { Database, Queryable } from '../storage/database.js';
import type { Registry } from '../registry/registry.js';
import { requireStoreOfMerchant } from '../tenancy/store-of-merchant.js';
import { announceConfigChange } from '../tenancy/config-changes.js';
import { checkTierAllows, type MerchantTierRow } from '../tenancy/merchant-tier.js';
import { versionVisibleTo } from '../registry/visibility.js';
import { applyMergePatch } from './merge-patch.js';
import type { BackfillStatus, InstallBackfills } from './backfill.js';

/** What a merchant asks for when installing. */
export type { Install, InstallRequest } from './schemas.js';

interface InstallRow {
  id: string;
  merchant_id: string;
  plugin_name: string;
  version: string;
  previous_version: string | null;
  pending_version: string | null;
  status: 'active' | 'disabled';
  settings: Record<string, unknown>;
  granted_permissions: Permission[];
  enabled_points: string[];
  enabled_events: string[];
  created_at: Date;
  updated_at: Date;
}

interface MerchantRow extends MerchantTierRow {
  id: string;
  is_development: boolean;
}

/** Loads a version's bundle into the sandbox (cached by the caller) to validate settings against it. */
export type PluginLoader = (plugin: string, version: string) => Promise<LoadedPlugin>;

/**
 * Installs: a merchant's copy of a plugin, pinned to a version, with validated settings, granted
 * permissions, enabled points/events and per-store overrides. Every method is scoped to one merchant.
 */
export class Installs {
  constructor(
    private readonly db: Database,
    private readonly registry: Registry,
    private readonly load: PluginLoader,
    /** `install.created` and the members' backfill, started in the install's transaction (absent in tools and some tests). */
    private readonly backfills?: InstallBackfills,
  ) {}

  /** Installs a plugin for a merchant. Installing the same plugin again returns the existing install. */
  async install(merchantId: string, request: InstallRequest): Promise<Install> {
    const merchant = await this.merchant(merchantId);
    const existing = await this.db.query<InstallRow>('SELECT * FROM installs WHERE merchant_id = $1 AND plugin_name = $2', [merchantId, request.plugin]);
    if (existing.rows[0]) return this.present(existing.rows[0]);

    const version = request.version ?? (await this.newestRunnable(merchant, request.plugin));
    const { manifest } = await this.runnableVersion(merchant, request.plugin, version);
    this.checkTier(merchant, request.plugin, manifest);
    this.checkConsent(manifest.permissions, request.grantPermissions, '/grantPermissions');
    const enabledPoints = this.subset(request.enablePoints, manifest.extensions, '/enablePoints');
    const enabledEvents = this.subset(request.enableEvents, manifest.events, '/enableEvents');
    const plugin = await this.load(request.plugin, version);
    const settings = this.validSettings(plugin, request.settings ?? {}, '/settings');

    const id = `ins_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
    await this.db.transaction(async (tx) => {
      await this.checkExclusive(tx, merchantId, request.plugin, enabledPoints);
      const inserted = await tx.query(
        `INSERT INTO installs (id, merchant_id, plugin_name, version, settings, granted_permissions, enabled_points, enabled_events)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (merchant_id, plugin_name) DO NOTHING`,
        [id, merchantId, request.plugin, version, settings, request.grantPermissions, enabledPoints, enabledEvents],
      );
      // Only the request that created the install announces it (a racing second install returns it).
      if (inserted.rowCount === 1) await this.backfills?.onInstallCreatedIn(tx, { id, merchantId, plugin: request.plugin, version, enabledEvents });
    });
    announceConfigChange(this.db, merchantId);
    const row = await this.db.query<InstallRow>('SELECT * FROM installs WHERE merchant_id = $1 AND plugin_name = $2', [merchantId, request.plugin]);
    return this.present(row.rows[0]!);
  }

  async list(merchantId: string): Promise<Install[]> {
    const { rows } = await this.db.query<InstallRow>('SELECT * FROM installs WHERE merchant_id = $1 ORDER BY created_at', [merchantId]);
    // Every install's store overrides in one query, not one per install.
    const overrides = await this.db.query<{ install_id: string; store_id: string; patch: unknown }>(
      'SELECT o.install_id, o.store_id, o.patch FROM install_store_overrides o JOIN installs i ON i.id = o.install_id WHERE i.merchant_id = $1',
      [merchantId],
    );
    const byInstall = new Map<string, Record<string, unknown>>();
    for (const o of overrides.rows) byInstall.set(o.install_id, { ...byInstall.get(o.install_id), [o.store_id]: o.patch });
    const backfills = (await this.backfills?.statusOf(merchantId, rows.map((row) => row.id))) ?? new Map<string, BackfillStatus>();
    return rows.map((row) => presentInstall(row, byInstall.get(row.id) ?? {}, backfills.get(row.id) ?? null));
  }

  async get(merchantId: string, installId: string): Promise<Install> {
    return this.present(await this.row(this.db, merchantId, installId));
  }

  /** Replaces the install's settings (validated against the pinned version's schema). */
  async setSettings(merchantId: string, installId: string, settings: Record<string, unknown>): Promise<Install> {
    await this.withLockedInstall(merchantId, installId, async (tx, row, plugin) => {
      const valid = this.validSettings(plugin, settings, '/settings');
      await this.checkStoreOverrides(tx, plugin, row.id, valid);
      await tx.query('UPDATE installs SET settings = $3, updated_at = now() WHERE merchant_id = $1 AND id = $2', [merchantId, installId, valid]);
    });
    announceConfigChange(this.db, merchantId);
    return this.get(merchantId, installId);
  }

  /** Sets (or with `null`, removes) one store's JSON Merge Patch over the install's settings. */
  async setStoreOverride(merchantId: string, installId: string, storeId: string, patch: Record<string, unknown> | null): Promise<Install> {
    await this.row(this.db, merchantId, installId);
    await requireStoreOfMerchant(this.db, merchantId, storeId, '/params/storeId');
    if (patch === null) {
      await this.db.query('DELETE FROM install_store_overrides WHERE install_id = $1 AND store_id = $2', [installId, storeId]);
      announceConfigChange(this.db, merchantId);
    return this.get(merchantId, installId);
    }
    await this.withLockedInstall(merchantId, installId, async (tx, row, plugin) => {
      this.validSettings(plugin, applyMergePatch(row.settings, patch), `/storeOverrides/${storeId}`);
      await tx.query(
        `INSERT INTO install_store_overrides (install_id, merchant_id, store_id, patch) VALUES ($1, $2, $3, $4)
         ON CONFLICT (install_id, store_id) DO UPDATE SET patch = EXCLUDED.patch, updated_at = now()`,
        [installId, merchantId, storeId, patch],
      );
    });
    announceConfigChange(this.db, merchantId);
    return this.get(merchantId, installId);
  }

  /**
   * The settings a store's invocations see: install settings, the store's patch merged, defaults
   * applied. A store that is not the merchant's is TK_NOT_FOUND, as in every call that takes a store.
   */
  async effectiveSettings(merchantId: string, installId: string, storeId?: string): Promise<Record<string, unknown>> {
    const row = await this.row(this.db, merchantId, installId);
    if (storeId !== undefined) await requireStoreOfMerchant(this.db, merchantId, storeId, '/querystring/storeId');
    return this.effectiveFor(row, storeId);
  }

  /**
   * As {@link effectiveSettings}, from an install row already read. Settings that no longer validate
   * (stored before a schema change, say) fail with TK_VALIDATION at the path of what to fix: under
   * `/storeOverrides/<store>` when the store's patch broke them, under `/settings` otherwise. The
   * caller has checked `storeId` with requireStoreOfMerchant (invoke does, before it looks anything up).
   */
  async effectiveFor(row: { id: string; plugin_name: string; version: string; settings: Record<string, unknown> }, storeId?: string): Promise<Record<string, unknown>> {
    const plugin = await this.load(row.plugin_name, row.version);
    const patch = storeId ? (await this.overrides(this.db, row.id))[storeId] : undefined;
    if (patch === undefined) return this.validSettings(plugin, row.settings, '/settings', true);
    const merged = applyMergePatch(row.settings, patch);
    try {
      return plugin.resolveSettings(merged);
    } catch {
      // Name what to fix: the install's own settings when they fail alone, else the store's patch.
      this.validSettings(plugin, row.settings, '/settings');
      return this.validSettings(plugin, merged, `/storeOverrides/${storeId}`, true);
    }
  }

  /**
   * Moves an install to another version. When it asks for permissions the merchant has not granted, the
   * upgrade waits as `pendingVersion` until the merchant consents (`consent` lists them). The install's
   * settings and every store's override must validate against the new version's schema; otherwise
   * nothing changes and the error names the value to fix (`/settings/…`, `/storeOverrides/<store>/…`).
   */
  async upgrade(merchantId: string, installId: string, version: string, consent: Permission[] = []): Promise<Install> {
    const merchant = await this.merchant(merchantId);
    const current = await this.row(this.db, merchantId, installId);
    if (current.version === version) return this.present(current);
    const { manifest } = await this.runnableVersion(merchant, current.plugin_name, version);
    this.checkTier(merchant, current.plugin_name, manifest);
    // Loaded before the row is locked: a cold load must not hold up the install's other writers.
    const plugin = await this.load(current.plugin_name, version);
    await this.db.transaction(async (tx) => {
      // Everything written back is computed from the locked row, so a settings or override change
      // that committed while the plugin loaded is validated and kept, never overwritten.
      const row = await this.row(tx, merchantId, installId, { forUpdate: true });
      if (row.version === version) return;
      const granted = [...new Set([...row.granted_permissions, ...consent])];
      const missing = manifest.permissions.filter((p) => !granted.includes(p));
      if (missing.length > 0) {
        await tx.query('UPDATE installs SET pending_version = $3, updated_at = now() WHERE merchant_id = $1 AND id = $2', [merchantId, installId, version]);
        return;
      }
      const settings = this.validSettings(plugin, row.settings, '/settings');
      await this.checkStoreOverrides(tx, plugin, row.id, settings);
      const points = row.enabled_points.filter((p) => manifest.extensions.includes(p as never));
      const events = row.enabled_events.filter((e) => manifest.events.includes(e as never));
      // A point or event the old version already declared but the merchant switched off stays off. Only
      // the old manifest is read (once): its bundle is not loaded or re-hashed while the row is locked.
      const old = await this.manifestOf(tx, row.plugin_name, row.version);
      for (const p of manifest.extensions) if (!row.enabled_points.includes(p) && !old.extensions.includes(p)) points.push(p);
      for (const e of manifest.events) if (!row.enabled_events.includes(e) && !old.events.includes(e)) events.push(e);
      await this.checkExclusive(tx, merchantId, row.plugin_name, points);
      await tx.query(
        `UPDATE installs SET version = $3, previous_version = $4, pending_version = NULL, settings = $5, granted_permissions = $6,
           enabled_points = $7, enabled_events = $8, updated_at = now() WHERE merchant_id = $1 AND id = $2`,
        [merchantId, installId, version, row.version, settings, granted, points, events],
      );
    });
    announceConfigChange(this.db, merchantId);
    return this.get(merchantId, installId);
  }

  /** Pins the version the install ran before its last upgrade. */
  async rollback(merchantId: string, installId: string): Promise<Install> {
    const row = await this.row(this.db, merchantId, installId);
    if (!row.previous_version) {
      throw new TkError('TK_CONFLICT', `${row.plugin_name} has no earlier version to roll back to: the install has run only ${row.version}`, {
        hint: `Rollback undoes a release. To run another version, list them with \`tongkit versions list --plugin ${row.plugin_name}\`, then \`tongkit release ${row.plugin_name}@<version>\`.`,
      });
    }
    return this.upgrade(merchantId, installId, row.previous_version);
  }

  /**
   * Turns an install on or off. Turning it on checks, in the same transaction as the write, that the
   * merchant's tier (商家分层) still includes the plugin and its points, and that no other active
   * install serves one of its exclusive points.
   */
  async setEnabled(merchantId: string, installId: string, enabled: boolean): Promise<Install> {
    await this.db.transaction(async (tx) => {
      const row = await this.row(tx, merchantId, installId, { forUpdate: true });
      if (enabled) {
        // The tier may have changed since the install: a downgraded merchant cannot switch it back on.
        this.checkTier(await this.merchant(merchantId, tx), row.plugin_name, await this.manifestOf(tx, row.plugin_name, row.version));
        await this.checkExclusive(tx, merchantId, row.plugin_name, row.enabled_points);
      }
      await tx.query('UPDATE installs SET status = $3, updated_at = now() WHERE merchant_id = $1 AND id = $2', [merchantId, installId, enabled ? 'active' : 'disabled']);
    });
    announceConfigChange(this.db, merchantId);
    return this.get(merchantId, installId);
  }

  /**
   * Switches one extension point of an install on or off, leaving its other points and events as they
   * are. Switching on checks, in the same transaction as the write, that the version declares the
   * point, that the merchant's tier includes it, and that no other active install serves it when it is
   * exclusive. Switching a point that is already in the asked state changes nothing (a retry is safe).
   */
  async setPointEnabled(merchantId: string, installId: string, point: string, enabled: boolean): Promise<Install> {
    await this.db.transaction(async (tx) => {
      const row = await this.row(tx, merchantId, installId, { forUpdate: true });
      const manifest = await this.manifestOf(tx, row.plugin_name, row.version);
      if (!(manifest.extensions as readonly string[]).includes(point)) {
        throw new TkError('TK_NOT_FOUND', `${row.plugin_name}@${row.version} does not declare the extension point ${point}`, {
          path: '/params/point',
          hint: `It declares: ${manifest.extensions.join(', ') || 'none'}.`,
        });
      }
      if (row.enabled_points.includes(point) === enabled) return;
      if (enabled) {
        this.checkTier(await this.merchant(merchantId, tx), row.plugin_name, { ...manifest, extensions: [point] as never });
        if (row.status === 'active') await this.checkExclusive(tx, merchantId, row.plugin_name, [point]);
      }
      const points = enabled ? [...row.enabled_points, point] : row.enabled_points.filter((p) => p !== point);
      await tx.query('UPDATE installs SET enabled_points = $3, updated_at = now() WHERE merchant_id = $1 AND id = $2', [merchantId, installId, points]);
    });
    announceConfigChange(this.db, merchantId);
    return this.get(merchantId, installId);
  }

  /**
   * What the install's invocations would see if `settings` replaced its own, without writing anything:
   * validated exactly as {@link setSettings} validates them (the brand's settings and, merged over them,
   * every store's override), and a function giving one store's effective settings under them. Used by
   * the settings impact preview.
   */
  async proposedSettings(
    merchantId: string,
    installId: string,
    settings: Record<string, unknown>,
  ): Promise<{ install: Install; row: { id: string; plugin_name: string; version: string; merchant_id: string }; effective: (storeId: string | null) => Record<string, unknown> }> {
    const row = await this.row(this.db, merchantId, installId);
    const plugin = await this.load(row.plugin_name, row.version);
    const resolved = this.validSettings(plugin, settings, '/settings', true);
    await this.checkStoreOverrides(this.db, plugin, row.id, settings);
    const overrides = await this.overrides(this.db, row.id);
    return {
      install: await this.present(row),
      row: { id: row.id, plugin_name: row.plugin_name, version: row.version, merchant_id: row.merchant_id },
      effective: (storeId) => {
        const patch = storeId === null ? undefined : overrides[storeId];
        return patch === undefined ? resolved : plugin.resolveSettings(applyMergePatch(settings, patch));
      },
    };
  }

  /** Removes the install and purges everything it stored (KV, idempotency keys, pending deliveries). */
  async uninstall(merchantId: string, installId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const found = await tx.query('DELETE FROM installs WHERE merchant_id = $1 AND id = $2', [merchantId, installId]);
      if (found.rowCount === 0) throw new TkError('TK_NOT_FOUND', `no install ${installId}`);
    });
    announceConfigChange(this.db, merchantId);
  }

  // --- rules ---------------------------------------------------------------------------------------

  private async merchant(merchantId: string, db: Queryable = this.db): Promise<MerchantRow> {
    const { rows } = await db.query<MerchantRow>(
      `SELECT m.id, m.is_development, t.allowed_plugins, t.allowed_points FROM merchants m JOIN merchant_tiers t ON t.id = m.tier_id WHERE m.id = $1`,
      [merchantId],
    );
    if (!rows[0]) throw new TkError('TK_NOT_FOUND', `no merchant ${merchantId}`);
    return rows[0];
  }

  /**
   * Live merchants run approved versions only; development merchants run any; a private plugin only its
   * brand. What the merchant may not see ({@link versionVisibleTo}: another brand's private plugin, a
   * public version not yet approved for a live merchant) is looked up as the merchant, so it is the same
   * TK_NOT_FOUND as a version that does not exist; the helpful refusal ("… is draft") is for what the
   * merchant may see but not run: its own brand's unapproved versions.
   */
  private async runnableVersion(merchant: MerchantRow, plugin: string, version: string): Promise<{ manifest: Manifest }> {
    const visible = await this.registry.getVersion({ role: 'merchant', subjectId: merchant.id }, plugin, version);
    if (visible.status !== 'approved' && !merchant.is_development) {
      throw new TkError('TK_FORBIDDEN', `${plugin}@${version} is ${visible.status}; live merchants install approved versions only`, {
        hint: 'Approve it for your brand first, or use a development merchant to try unreviewed versions.',
      });
    }
    return { manifest: visible.manifest };
  }

  /** The newest version of `plugin` the merchant may see and run (approved, or any for a development merchant). */
  private async newestRunnable(merchant: MerchantRow, plugin: string): Promise<string> {
    const params: unknown[] = [plugin, merchant.is_development];
    const visible = versionVisibleTo({ role: 'merchant', subjectId: merchant.id }, params);
    const { rows } = await this.db.query<{ version: string }>(
      `SELECT v.version FROM plugin_versions v JOIN plugins p ON p.name = v.plugin_name
       WHERE v.plugin_name = $1 AND (v.status = 'approved' OR $2) AND ${visible} ORDER BY v.created_at DESC LIMIT 1`,
      params,
    );
    if (!rows[0]) throw new TkError('TK_NOT_FOUND', `no installable version of ${plugin}`, { path: '/plugin' });
    return rows[0].version;
  }

  private checkTier(merchant: MerchantRow, plugin: string, manifest: Manifest): void {
    checkTierAllows(merchant.id, merchant, plugin, manifest.extensions);
  }

  private checkConsent(asked: readonly Permission[], granted: readonly Permission[], path: string): void {
    const missing = asked.filter((p) => !granted.includes(p));
    if (missing.length > 0) {
      throw new TkError('TK_VALIDATION', `the plugin needs consent to ${missing.join(', ')}`, {
        path,
        details: { consentTexts: Object.fromEntries(missing.map((p) => [p, PERMISSIONS[p].consent])) },
      });
    }
  }

  private subset(requested: string[] | undefined, declared: readonly string[], path: string): string[] {
    if (requested === undefined) return [...declared];
    const unknown = requested.filter((r) => !declared.includes(r));
    if (unknown.length > 0) throw new TkError('TK_VALIDATION', `the plugin does not declare ${unknown.join(', ')}`, { path });
    return [...new Set(requested)];
  }

  /** One install per merchant owns an exclusive point. */
  private async checkExclusive(tx: Queryable, merchantId: string, plugin: string, points: readonly string[]): Promise<void> {
    const exclusive = points.filter((p) => (EXTENSION_POINTS as Record<string, { combine: string }>)[p]?.combine === 'exclusive');
    if (exclusive.length === 0) return;
    // Serialise exclusive-point changes per merchant so two concurrent installs cannot both win.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`exclusive:${merchantId}`]);
    const { rows } = await tx.query<{ plugin_name: string; point: string }>(
      `SELECT plugin_name, point FROM installs, unnest(enabled_points) AS point
       WHERE merchant_id = $1 AND status = 'active' AND plugin_name <> $2 AND point = ANY($3)`,
      [merchantId, plugin, exclusive],
    );
    if (rows[0]) {
      throw new TkError('TK_CONFLICT', `${rows[0].point} is exclusive and already served by ${rows[0].plugin_name}`, {
        hint: `Disable ${rows[0].plugin_name}'s install first, or install without that point (enablePoints).`,
      });
    }
  }

  /**
   * Resolves `settings` against the plugin's schema (defaults applied); returns the resolved settings
   * when `resolved`, else `settings` as given (what is stored). Errors carry `path` as their prefix.
   */
  private validSettings(plugin: LoadedPlugin, settings: unknown, path: string, resolved = false): Record<string, unknown> {
    let withDefaults: Record<string, unknown>;
    try {
      withDefaults = plugin.resolveSettings(settings);
    } catch (error) {
      if (error instanceof TkError) throw new TkError('TK_VALIDATION', error.message, { path: `${path}${error.path === '/' ? '' : (error.path ?? '')}`, details: error.details ?? {} });
      throw error;
    }
    return resolved ? withDefaults : (settings as Record<string, unknown>);
  }

  /** Every store's override, merged over `settings`, must validate too: a store never silently runs on the fallback. */
  private async checkStoreOverrides(tx: Queryable, plugin: LoadedPlugin, installId: string, settings: Record<string, unknown>): Promise<void> {
    for (const [storeId, patch] of Object.entries(await this.overrides(tx, installId))) {
      this.validSettings(plugin, applyMergePatch(settings, patch), `/storeOverrides/${storeId}`);
    }
  }

  /**
   * Runs `change` on the install row locked FOR UPDATE, with its pinned version's plugin loaded, so
   * concurrent writers of one install (settings, overrides, upgrade, enable) queue instead of writing
   * back what they read before another committed. The plugin loads before the lock is taken; if the
   * version moved meanwhile, the new version is loaded and `change` runs on that.
   */
  private async withLockedInstall<T>(merchantId: string, installId: string, change: (tx: Queryable, row: InstallRow, plugin: LoadedPlugin) => Promise<T>): Promise<T> {
    let row = await this.row(this.db, merchantId, installId);
    for (let attempt = 1; ; attempt++) {
      const plugin = await this.load(row.plugin_name, row.version);
      const pinned = row.version;
      const outcome = await this.db.transaction(async (tx): Promise<{ done: T } | { moved: InstallRow }> => {
        const locked = await this.row(tx, merchantId, installId, { forUpdate: true });
        return locked.version === pinned ? { done: await change(tx, locked, plugin) } : { moved: locked };
      });
      if ('done' in outcome) return outcome.done;
      if (attempt >= 5) throw new TkError('TK_CONFLICT', `install ${installId} changed version while being updated`, { hint: 'Read the install again and retry.' });
      row = outcome.moved;
    }
  }

  private async manifestOf(db: Queryable, plugin: string, version: string): Promise<Manifest> {
    const { rows } = await db.query<{ manifest: Manifest }>('SELECT manifest FROM plugin_versions WHERE plugin_name = $1 AND version = $2', [plugin, version]);
    if (!rows[0]) throw new TkError('TK_NOT_FOUND', `no version ${plugin}@${version}`);
    return rows[0].manifest;
  }

  private async overrides(db: Queryable, installId: string): Promise<Record<string, unknown>> {
    const { rows } = await db.query<{ store_id: string; patch: unknown }>('SELECT store_id, patch FROM install_store_overrides WHERE install_id = $1', [installId]);
    return Object.fromEntries(rows.map((r) => [r.store_id, r.patch]));
  }

  private async row(db: Queryable, merchantId: string, installId: string, { forUpdate = false } = {}): Promise<InstallRow> {
    const { rows } = await db.query<InstallRow>(`SELECT * FROM installs WHERE merchant_id = $1 AND id = $2${forUpdate ? ' FOR UPDATE' : ''}`, [merchantId, installId]);
    if (!rows[0]) throw new TkError('TK_NOT_FOUND', `no install ${installId} for merchant ${merchantId}`);
    return rows[0];
  }

  private async present(row: InstallRow): Promise<Install> {
    const backfill = (await this.backfills?.statusOf(row.merchant_id, [row.id]))?.get(row.id) ?? null;
    return presentInstall(row, await this.overrides(this.db, row.id), backfill);
  }
}

/** An install row and its store overrides as the API returns them. */
function presentInstall(row: InstallRow, storeOverrides: Record<string, unknown>, backfill: BackfillStatus | null): Install {
  return {
    id: row.id,
    merchantId: row.merchant_id,
    plugin: row.plugin_name,
    version: row.version,
    previousVersion: row.previous_version,
    pendingVersion: row.pending_version,
    status: row.status,
    settings: row.settings,
    grantedPermissions: row.granted_permissions,
    enabledPoints: row.enabled_points,
    enabledEvents: row.enabled_events,
    storeOverrides,
    backfill,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
