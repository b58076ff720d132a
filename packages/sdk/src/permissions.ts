/**
 * The permission catalogue: every host capability a plugin can ask for, with the consent text a
 * merchant reads at install. A plugin declares what it needs in `permissions`; the host enforces it on
 * every host call. Each method of the host-API catalogue (`HOST_API`) names the one permission it needs,
 * so reading is consented apart from writing (`inventory:read` vs `inventory:write`); prepaid balances
 * are money, so they have their own `stored-value:read` rather than riding on `member:read`.
 */
export const PERMISSIONS = {
  'member:read': { consent: 'Read member tiers, points balances and spend totals (opaque member IDs only).' },
  'member:pii': { consent: 'Read members’ personal data (name, phone number). Only grant this if the plugin needs to contact members itself.' },
  'points:write': { consent: 'Grant, deduct and freeze members’ points and growth value.' },
  'inventory:read': { consent: 'Read stock levels per store and SKU.' },
  'inventory:write': { consent: 'Change stock levels and allocate orders to stores.' },
  'orders:read': { consent: 'Read orders and refunds.' },
  'service:read': { consent: 'Read service orders, their payment stages and appointments.' },
  'service:write': { consent: 'Create and change service orders, stages and appointments.' },
  'vouchers:read': { consent: 'Read e-vouchers and whether they are available, used or locked.' },
  'vouchers:write': { consent: 'Issue, redeem and reverse e-vouchers.' },
  'stored-value:read': { consent: 'Read members’ prepaid (stored-value) balances and top-ups: money the members paid in advance.' },
  'guides:read': { consent: 'Read store guides and their member relations.' },
  'messages:send': { consent: 'Send messages to members on the merchant’s behalf.' },
  'network:fetch': { consent: 'Send data to the external hosts listed in the plugin manifest.' },
  'storage:kv': { consent: 'Keep its own data in plugin storage (purged when uninstalled).' },
} as const satisfies Record<string, { consent: string }>;

/** A permission name from {@link PERMISSIONS}, e.g. `member:read`. */
export type Permission = keyof typeof PERMISSIONS;

/** All permission names, in catalogue order. */
export const PERMISSION_NAMES = Object.keys(PERMISSIONS) as Permission[];
