import type { HostModuleFactory } from '../../platform/modules/host-module.js';
import { kvHostApi } from './host-api.js';

/**
 * Plugin KV storage as a host module: the table `plugin_kv` (and the shared `idempotency_keys`) of
 * migration 004, and the `ctx.kv` namespace of the host-API catalogue. No routes: merchants see KV only
 * through the plugin; uninstalling purges it (ON DELETE CASCADE from the install).
 */
export const kvModule: HostModuleFactory = () => ({
  name: 'kv',
  migrations: ['004_events.sql'],
  hostApis: { kv: kvHostApi },
});
