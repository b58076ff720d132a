import { TkError } from '@tongkit/sdk';

/**
 * The merchant-tier rule (商家分层), in one place: a tier lists the plugins and the extension points
 * its merchants may use (null: all of them). Installs check it when a plugin is installed, enabled or
 * upgraded ({@link checkTierAllows}); the catalog lists only what it allows ({@link tierIncludesPluginSql});
 * and because a merchant can be moved to a narrower tier afterwards, delivery and extension calls
 * check it again on every `installs` row ({@link TIER_ALLOWS_PLUGIN}, {@link tierAllowsPluginAndPoint}),
 * so existing installs stop serving what the tier no longer includes (they stay installed, and serve
 * again if the tier widens).
 */

/** A tier's lists as `merchant_tiers` stores them (null: everything). */
export interface MerchantTierRow {
  allowed_plugins: string[] | null;
  allowed_points: string[] | null;
}

/** SQL: the tier (a `merchant_tiers` alias) includes the plugin (an SQL expression). */
export function tierIncludesPluginSql(tier: string, plugin: string): string {
  return `(${tier}.allowed_plugins IS NULL OR ${plugin} = ANY(${tier}.allowed_plugins))`;
}

/** SQL: the tier (a `merchant_tiers` alias) includes the extension point (an SQL expression). */
function tierIncludesPointSql(tier: string, point: string): string {
  return `(${tier}.allowed_points IS NULL OR ${point} = ANY(${tier}.allowed_points))`;
}

/** SQL on `installs` rows: the install's plugin is in its merchant's tier. */
export const TIER_ALLOWS_PLUGIN = `EXISTS (
  SELECT 1 FROM merchants tier_m JOIN merchant_tiers tier_t ON tier_t.id = tier_m.tier_id
  WHERE tier_m.id = installs.merchant_id
    AND ${tierIncludesPluginSql('tier_t', 'installs.plugin_name')})`;

/** SQL on `installs` rows: the install's plugin and the extension point (the SQL expression `point`) are in its merchant's tier. */
export function tierAllowsPluginAndPoint(point: string): string {
  return `EXISTS (
  SELECT 1 FROM merchants tier_m JOIN merchant_tiers tier_t ON tier_t.id = tier_m.tier_id
  WHERE tier_m.id = installs.merchant_id
    AND ${tierIncludesPluginSql('tier_t', 'installs.plugin_name')}
    AND ${tierIncludesPointSql('tier_t', point)})`;
}

/**
 * Refuses (TK_FORBIDDEN) a plugin, or any of the extension points it declares, that the merchant's
 * tier does not include.
 *
 * @example
 * checkTierAllows('m_1', merchantRow, 'member-tiers', manifest.extensions);
 */
export function checkTierAllows(merchantId: string, tier: MerchantTierRow, plugin: string, points: readonly string[]): void {
  if (tier.allowed_plugins && !tier.allowed_plugins.includes(plugin)) {
    throw new TkError('TK_FORBIDDEN', `merchant ${merchantId}'s tier does not include ${plugin}`, { hint: 'Upgrade the merchant tier (商家分层) to use this plugin.' });
  }
  const allowedPoints = tier.allowed_points;
  const blocked = allowedPoints ? points.filter((p) => !allowedPoints.includes(p)) : [];
  if (blocked.length > 0) throw new TkError('TK_FORBIDDEN', `merchant ${merchantId}'s tier does not include ${blocked.join(', ')}`);
}
