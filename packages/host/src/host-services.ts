import { createRuntime, type LoadedPlugin, type Runtime, type RuntimeOptions } from '@tongkit/runtime';
import type { Database } from './storage/database.js';
import type { Principal } from './auth/principal.js';
import { Registry } from './registry/registry.js';
import { Installs } from './installs/installs.js';
import { ExtensionInvoker } from './extensions/invoke-extension.js';
import { DEFAULT_BREAKER_POLICY, type BreakerPolicy } from './extensions/circuit-breaker.js';
import { DEFAULT_DISPATCH_POLICY, Dispatcher, type DispatchPolicy } from './dispatch/dispatcher.js';
import { Tenancy } from './tenancy/tenancy.js';
import { readLogs, type LogEntry } from './logs.js';

/** Everything the HTTP API (and tests) call into: one instance per host process. */
export interface HostServices {
  db: Database;
  runtime: Runtime;
  registry: Registry;
  installs: Installs;
  extensions: ExtensionInvoker;
  dispatcher: Dispatcher;
  tenancy: Tenancy;
  catalog: (merchantId: string) => ReturnType<Tenancy['catalog']>;
  logs: (principal: Principal, query: { merchantId?: string | undefined; plugin?: string | undefined; after?: string | undefined; limit?: number | undefined }) => Promise<{ items: LogEntry[] }>;
}

/** Tunables of a host process. */
export interface HostServiceOptions {
  runtime?: RuntimeOptions;
  breaker?: Partial<BreakerPolicy>;
  dispatch?: Partial<DispatchPolicy>;
}

/** Wires the host's services on one database. */
export function createHostServices(db: Database, options: HostServiceOptions = {}): HostServices {
  const runtime = createRuntime(options.runtime);
  const registry = new Registry(db, runtime);

  // Loaded plugins per (install or review scope, version); the runtime keeps their isolates warm.
  const loaded = new Map<string, Promise<LoadedPlugin>>();
  const loadCached = (cacheKey: string, installId: string, plugin: string, version: string) => {
    let promise = loaded.get(cacheKey);
    if (!promise) {
      promise = registry.bundleOf(db, plugin, version).then((bundle) => runtime.load(bundle, { installId }));
      promise.catch(() => loaded.delete(cacheKey));
      if (loaded.size > 5000) loaded.clear();
      loaded.set(cacheKey, promise);
    }
    return promise;
  };
  const loadVersion = (plugin: string, version: string) => loadCached(`version:${plugin}@${version}`, `settings:${plugin}`, plugin, version);
  const loadInstall = (install: { id: string; plugin_name: string; version: string }) =>
    loadCached(`install:${install.id}@${install.plugin_name}@${install.version}`, install.id, install.plugin_name, install.version);

  const installs = new Installs(db, registry, loadVersion);
  const extensions = new ExtensionInvoker(db, installs, loadInstall, { ...DEFAULT_BREAKER_POLICY, ...options.breaker });
  const dispatcher = new Dispatcher(db, loadInstall, { ...DEFAULT_DISPATCH_POLICY, ...options.dispatch });
  const tenancy = new Tenancy(db);
  return {
    db,
    runtime,
    registry,
    installs,
    extensions,
    dispatcher,
    tenancy,
    catalog: (merchantId) => tenancy.catalog(merchantId),
    logs: (principal, query) => readLogs(db, principal, query),
  };
}
