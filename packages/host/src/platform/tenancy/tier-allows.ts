/**
 * SQL conditions on `installs` rows: the install's merchant is still on a tier (商家分层) that includes
 * its plugin (and, for an extension call, the point). Tiers are checked at install, enable and upgrade,
 * but a merchant can be moved to a narrower tier afterwards; these keep its existing installs from
 * serving what the tier no longer includes (they stay installed, and serve again if the tier widens).
 */

/** The install's plugin is in its merchant's tier. */
export const TIER_ALLOWS_PLUGIN = `EXISTS (
  SELECT 1 FROM merchants tier_m JOIN merchant_tiers tier_t ON tier_t.id = tier_m.tier_id
  WHERE tier_m.id = installs.merchant_id
    AND (tier_t.allowed_plugins IS NULL OR installs.plugin_name = ANY(tier_t.allowed_plugins)))`;

/** The install's plugin and the extension point (the SQL expression `point`) are in its merchant's tier. */
export function tierAllowsPluginAndPoint(point: string): string {
  return `EXISTS (
  SELECT 1 FROM merchants tier_m JOIN merchant_tiers tier_t ON tier_t.id = tier_m.tier_id
  WHERE tier_m.id = installs.merchant_id
    AND (tier_t.allowed_plugins IS NULL OR installs.plugin_name = ANY(tier_t.allowed_plugins))
    AND (tier_t.allowed_points IS NULL OR ${point} = ANY(tier_t.allowed_points)))`;
}
