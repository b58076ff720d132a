import type { Database } from '../storage/database.js';

/**
 * The channel migration 110's triggers announce a merchant's configuration change on (its installs,
 * their settings and store overrides, its stores, its tier; `'*'`: every merchant, a tier's rules), at
 * commit, to every host process; the extension invoker's cache listens (serving-config.ts).
 */
export const CONFIG_CHANNEL = 'tk_config';

/**
 * Tells this process's caches that the merchant's configuration changed (`'*'`: every merchant's). A
 * writer calls it after its commit so that its own next call sees the change: the commit's
 * notification reaches the other processes, and this one a moment later.
 */
export function announceConfigChange(db: Database, merchantId: string): void {
  db.changes.announce(CONFIG_CHANNEL, merchantId);
}
