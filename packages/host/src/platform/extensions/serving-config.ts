import type { Database } from '../storage/database.js';
import { storeNotFound } from '../tenancy/store-of-merchant.js';
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
  serving: Map<string, Promise<ServingInstall[]>>;
  settings: Map<string, Promise<Record<string, unknown>>>;
}

/** Merchants whose configuration is kept; past it the oldest is dropped (a Map keeps insertion order). */
const MAX_MERCHANTS = 10_000;

/**
 * The extension invoker's reads, cached per merchant under its configuration version (migration 110:
 * every change to the merchant's installs, store overrides or tier bumps it in the changing
 * transaction). Each call reads the version and checks the store in one round trip; the installs
 * serving a point and each store's effective settings are read once per version. So a change is seen by
 * every host process on its next call — no staleness window, no message to lose — and a call costs one
 * small query instead of three or four. A read that raced a change is kept under the version read
 * before it and replaced on the next call, which sees the new version.
 */
export class ServingConfig {
  private readonly merchants = new Map<string, MerchantConfig>();

  constructor(private readonly db: Database) {}

  /**
   * The merchant's configuration as of now. With `storeId`, the store must be the merchant's: another
   * merchant's store and a missing one answer the same TK_NOT_FOUND (see requireStoreOfMerchant).
   */
  async current(merchantId: string, storeId: string | undefined, path: string): Promise<MerchantConfig> {
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
      config = { key, serving: new Map(), settings: new Map() };
      this.merchants.delete(merchantId);
      if (this.merchants.size >= MAX_MERCHANTS) this.merchants.delete(this.merchants.keys().next().value!);
      this.merchants.set(merchantId, config);
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
