import { TkError } from '@tongkit/sdk';
import type { Database } from '../storage/database.js';
import { issueToken } from '../auth/tokens.js';
import { DEFAULT_TIME_ZONE, checkTimeZone } from './merchant-calendar.js';
import type { PlatformRole } from '../auth/principal.js';
import { tierIncludesPluginSql } from './merchant-tier.js';
import type { StoreChannel } from './schemas.js';
import { announceConfigChange } from './config-changes.js';

/**
 * Tenancy administration: merchant tiers (商家分层), merchants (live or development), their stores,
 * developers and tokens. Upserts, so a bootstrap or a retried request changes nothing twice.
 */
export class Tenancy {
  constructor(private readonly db: Database) {}

  async upsertTier(tier: { id: string; name: string; allowedPlugins?: string[] | null | undefined; allowedPoints?: string[] | null | undefined }) {
    await this.db.query(
      `INSERT INTO merchant_tiers (id, name, allowed_plugins, allowed_points) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, allowed_plugins = EXCLUDED.allowed_plugins, allowed_points = EXCLUDED.allowed_points`,
      [tier.id, tier.name, tier.allowedPlugins ?? null, tier.allowedPoints ?? null],
    );
    announceConfigChange(this.db, '*');
    return { id: tier.id, name: tier.name, allowedPlugins: tier.allowedPlugins ?? null, allowedPoints: tier.allowedPoints ?? null };
  }

  /** Creates or updates a merchant; `timeZone` (IANA, default Asia/Shanghai) is the calendar of its rules. */
  async upsertMerchant(merchant: { id: string; name: string; tierId: string; development?: boolean | undefined; timeZone?: string | undefined }) {
    const timeZone = merchant.timeZone === undefined ? undefined : checkTimeZone(merchant.timeZone);
    const tier = await this.db.query('SELECT 1 FROM merchant_tiers WHERE id = $1', [merchant.tierId]);
    if (tier.rowCount === 0) throw new TkError('TK_NOT_FOUND', `no merchant tier ${merchant.tierId}`, { path: '/tierId' });
    await this.db.query(
      `INSERT INTO merchants (id, name, tier_id, is_development, time_zone) VALUES ($1, $2, $3, $4, COALESCE($5, '${DEFAULT_TIME_ZONE}'))
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, tier_id = EXCLUDED.tier_id, is_development = EXCLUDED.is_development,
         time_zone = COALESCE($5, merchants.time_zone)`,
      [merchant.id, merchant.name, merchant.tierId, merchant.development ?? false, timeZone ?? null],
    );
    announceConfigChange(this.db, merchant.id);
    const { rows } = await this.db.query<{ time_zone: string }>('SELECT time_zone FROM merchants WHERE id = $1', [merchant.id]);
    return { id: merchant.id, name: merchant.name, tierId: merchant.tierId, development: merchant.development ?? false, timeZone: rows[0]!.time_zone };
  }

  /**
   * Creates a store of a merchant, or renames it and changes its channel. Store ids are the stores
   * table's key across the host, so an id another merchant holds is TK_CONFLICT: the ownership check is
   * the upsert's own `WHERE` (one statement), so two merchants racing for a new id can never leave one of
   * them renaming the other's store.
   */
  async upsertStore(store: { id: string; merchantId: string; name: string; channel: StoreChannel }) {
    const merchant = await this.db.query('SELECT 1 FROM merchants WHERE id = $1', [store.merchantId]);
    if (merchant.rowCount === 0) throw new TkError('TK_NOT_FOUND', `no merchant ${store.merchantId}`, { path: '/merchantId' });
    const written = await this.db.query(
      `INSERT INTO stores (id, merchant_id, name, channel) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, channel = EXCLUDED.channel WHERE stores.merchant_id = EXCLUDED.merchant_id
       RETURNING id`,
      [store.id, store.merchantId, store.name, store.channel],
    );
    if (written.rowCount === 0) {
      throw new TkError('TK_CONFLICT', `the store id ${store.id} is taken by another merchant`, {
        path: '/id',
        hint: 'Store ids are unique across the host: choose another id (your brand as a prefix keeps them apart, e.g. acme-sh-01).',
      });
    }
    return store;
  }

  /** The merchant's stores, by id. */
  async stores(merchantId: string): Promise<Array<{ id: string; name: string; channel: StoreChannel }>> {
    const { rows } = await this.db.query<{ id: string; name: string; channel: StoreChannel }>('SELECT id, name, channel FROM stores WHERE merchant_id = $1 ORDER BY id', [merchantId]);
    return rows;
  }

  /**
   * Creates those of `stores` that no merchant has yet, and leaves the others as they are: a store the
   * merchant renamed keeps its name, and an id another merchant holds stays theirs. Answers the
   * merchant's stores among them as they are now, in the order given.
   */
  async addMissingStores(merchantId: string, stores: ReadonlyArray<{ id: string; name: string; channel: StoreChannel }>) {
    for (const store of stores) {
      await this.db.query('INSERT INTO stores (id, merchant_id, name, channel) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING', [store.id, merchantId, store.name, store.channel]);
    }
    const own = new Map((await this.stores(merchantId)).map((s) => [s.id, s]));
    return stores.flatMap((s) => own.get(s.id) ?? []);
  }

  async upsertDeveloper(developer: { id: string; name: string }) {
    await this.db.query('INSERT INTO developers (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name', [developer.id, developer.name]);
    return developer;
  }

  async issueToken(role: PlatformRole, subjectId: string) {
    if (role === 'merchant') {
      const merchant = await this.db.query('SELECT 1 FROM merchants WHERE id = $1', [subjectId]);
      if (merchant.rowCount === 0) throw new TkError('TK_NOT_FOUND', `no merchant ${subjectId}`, { path: '/subjectId' });
    }
    if (role === 'developer') {
      const developer = await this.db.query('SELECT 1 FROM developers WHERE id = $1', [subjectId]);
      if (developer.rowCount === 0) throw new TkError('TK_NOT_FOUND', `no developer ${subjectId}`, { path: '/subjectId' });
    }
    return { role, subjectId, token: await issueToken(this.db, role, subjectId) };
  }

  /** Approved plugins (newest approved version) the merchant's tier allows, plus its own private ones. */
  async catalog(merchantId: string) {
    // What the merchant would get by installing without a version: the newest approved one, or — for a
    // development merchant, who may try unreviewed versions — the newest of any status.
    const { rows } = await this.db.query<{ name: string; version: string; status: string; manifest: { description?: string; permissions: string[]; extensions: string[]; events: string[]; settings: unknown } }>(
      `SELECT DISTINCT ON (v.plugin_name) v.plugin_name AS name, v.version, v.status, v.manifest
       FROM plugin_versions v JOIN plugins p ON p.name = v.plugin_name
       JOIN merchants m ON m.id = $1 JOIN merchant_tiers t ON t.id = m.tier_id
       WHERE (v.status = 'approved' OR m.is_development) AND (p.private_merchant_id IS NULL OR p.private_merchant_id = m.id)
         AND ${tierIncludesPluginSql('t', 'v.plugin_name')}
       ORDER BY v.plugin_name, CASE WHEN m.is_development THEN v.created_at ELSE v.reviewed_at END DESC NULLS LAST`,
      [merchantId],
    );
    return rows.map((r) => ({
      plugin: r.name,
      version: r.version,
      status: r.status,
      description: r.manifest.description ?? null,
      permissions: r.manifest.permissions,
      points: r.manifest.extensions,
      events: r.manifest.events,
      settingsSchema: r.manifest.settings,
    }));
  }
}
