import type { Database } from '../storage/database.js';
import { storeNotFound } from '../tenancy/store-of-merchant.js';
import { CONFIG_CHANNEL } from '../tenancy/config-changes.js';
import { tierAllowsPluginAndPoint } from '../tenancy/merchant-tier.js';

/** An install serving a point, as the invoker reads it. */
export interface ServingInstall {
  id: string;
  plugin_name: string;
  version: string;
  settings: Record<string, unknown>;
}

/** What one merchant's calls reuse while its configuration version stands. */
interface MerchantConfig {
  key: string;
  /** When the version was last read, and the change feed's epoch then: trusted without a read while both hold. */
  checkedAt: number;
  epoch: number;
  /** The merchant's stores a call named and the database found (a missing one is asked again each time). */
  stores: Set<string>;
  serving: Map<string, Promise<ServingInstall[]>>;
  settings: Map<string, Promise<Record<string, unknown>>>;
}

/** Merchants whose configuration is kept; past it the oldest is dropped (a Map keeps insertion order). */
const MAX_MERCHANTS = 10_000;

/**
 * How long a host trusts a merchant's cached configuration without reading its version, when no change
 * was announced: the bound on a change whose notification was lost. Announced changes (NOTIFY on
 * tk_config at commit) take effect on the next call; while the change feed is down, every call reads
 * the version, as if this were 0.
 */
export const CONFIG_RECHECK_MS = 1_000;

/**
 * The extension invoker's reads, cached per merchant under its configuration version (migration 110:
 * every change to the merchant's installs, store overrides, stores or tier bumps it in the changing
 * transaction and announces it on CONFIG_CHANNEL). The installs serving a point, each store's
 * effective settings and the stores found are read once per version; a call asks the database nothing
 * while the merchant's entry is trusted: the change feed live since the entry was checked and the check
 * younger than {@link CONFIG_RECHECK_MS}. A notification drops the entry; a writer in this process
 * announces its change after its commit (so its own next call sees it); the re-check bounds what a lost
 * notification could hide. A read that raced a change is kept under the version read before it and
 * dropped by the change's notification.
 */
export class ServingConfig {
  private readonly merchants = new Map<string, MerchantConfig>();
  /** Counts notifications: a version read that a notification overtook is not trusted (its answer may predate the change). */
  private changesSeen = 0;

  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {
    db.changes.on(CONFIG_CHANNEL, (merchantId) => {
      this.changesSeen++;
      if (merchantId === '*') this.merchants.clear();
      else this.merchants.delete(merchantId);
    });
  }

  /**
   * The merchant's configuration as of now. With `storeId`, the store must be the merchant's: another
   * merchant's store and a missing one answer the same TK_NOT_FOUND (see requireStoreOfMerchant).
   */
  async current(merchantId: string, storeId: string | undefined, path: string): Promise<MerchantConfig> {
    const cached = this.merchants.get(merchantId);
    const feed = this.db.changes;
    if (cached && feed.live && cached.epoch === feed.epoch && this.now() - cached.checkedAt < CONFIG_RECHECK_MS && (storeId === undefined || cached.stores.has(storeId))) {
      return cached;
    }
    const epoch = feed.epoch;
    const seen = this.changesSeen;
    const checkedAt = this.now();
    const { rows } = await this.db.query<{ merchant: string | null; everyone: string | null; store: boolean }>(
      `SELECT (SELECT version FROM config_versions WHERE merchant_id = $1)::text AS merchant,
              (SELECT version FROM config_versions WHERE merchant_id = '*')::text AS everyone,
              ($2::text IS NULL OR EXISTS (SELECT 1 FROM stores WHERE merchant_id = $1 AND id = $2)) AS store`,
      [merchantId, storeId ?? null],
    );
    const row = rows[0]!;
    if (!row.store) throw storeNotFound(merchantId, storeId, path);
    const key = `${row.merchant ?? 0}/${row.everyone ?? 0}`;
    let config = this.merchants.get(merchantId);
    if (config?.key !== key) {
      config = { key, checkedAt: 0, epoch: -1, stores: new Set(), serving: new Map(), settings: new Map() };
      this.merchants.delete(merchantId);
      if (this.merchants.size >= MAX_MERCHANTS) this.merchants.delete(this.merchants.keys().next().value!);
      this.merchants.set(merchantId, config);
    }
    // Trusted from now only if no change was announced while the version was being read.
    if (this.changesSeen === seen && feed.epoch === epoch) {
      config.checkedAt = checkedAt;
      config.epoch = epoch;
      if (storeId !== undefined) config.stores.add(storeId);
    }
    return config;
  }

  /** The active installs serving `point` that the merchant's tier allows, oldest first. */
  serving(config: MerchantConfig, merchantId: string, point: string): Promise<ServingInstall[]> {
    return remember(config.serving, point, async () => {
      const { rows } = await this.db.query<ServingInstall>(
        `SELECT id, plugin_name, version, settings FROM installs
         WHERE merchant_id = $1 AND status = 'active' AND $2 = ANY(enabled_points) AND ${tierAllowsPluginAndPoint('$2')} ORDER BY created_at, id`,
        [merchantId, point],
      );
      return rows;
    });
  }

  /** A store's effective settings for an install (read by `resolve` once per version; its failure is not kept). */
  settings(config: MerchantConfig, install: ServingInstall, storeId: string | undefined, resolve: () => Promise<Record<string, unknown>>): Promise<Record<string, unknown>> {
    return remember(config.settings, `${install.id}\u0000${install.version}\u0000${storeId ?? ''}`, resolve);
  }
}

/** The cached promise for `key`, or a new one from `load`; a rejected one is forgotten (the next call tries again). */
function remember<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let pending = cache.get(key);
  if (!pending) {
    pending = load();
    cache.set(key, pending);
    pending.catch(() => {
      if (cache.get(key) === pending) cache.delete(key);
    });
  }
  return pending;
}
