import type { Principal } from '../auth/principal.js';

/**
 * Who may read a plugin version, as one SQL condition over `v` (plugin_versions) joined with `p`
 * (plugins), so reading one version and listing versions cannot drift apart:
 *
 * - an admin: every version;
 * - a developer: the versions of its own plugins;
 * - a reviewer: every version past draft;
 * - a merchant: its own brand's private plugins (any status: the brand approves them), and public
 *   plugins once approved — or, for a development merchant, public versions of any status, the same
 *   rule its catalog and installs follow. Another brand's private plugin never.
 *
 * Pushes its parameters onto `params` and refers to them by position.
 *
 * @example
 * const params: unknown[] = [name];
 * const where = `v.plugin_name = $1 AND ${versionVisibleTo(principal, params)}`;
 */
export function versionVisibleTo(principal: Principal, params: unknown[]): string {
  switch (principal.role) {
    case 'admin':
      return 'TRUE';
    case 'developer':
      params.push(principal.subjectId);
      return `p.developer_id = $${params.length}`;
    case 'reviewer':
      return `v.status <> 'draft'`;
    case 'merchant': {
      params.push(principal.subjectId);
      const merchant = `$${params.length}`;
      return `(p.private_merchant_id = ${merchant} OR (p.private_merchant_id IS NULL AND (v.status = 'approved'
        OR EXISTS (SELECT 1 FROM merchants m WHERE m.id = ${merchant} AND m.is_development))))`;
    }
    default:
      // A role added later sees nothing until this rule names it.
      return 'FALSE';
  }
}
