import { createRuntime, createWorkerRuntime, type LoadedPlugin, type Runtime, type WorkerRuntime, type WorkerRuntimeOptions } from '@tongkit/runtime';
import type { Database } from './storage/database.js';
import type { Principal } from './auth/principal.js';
import { Registry } from './registry/registry.js';
import { Installs } from './installs/installs.js';
import { ExtensionInvoker } from './extensions/invoke-extension.js';
import { DEFAULT_BREAKER_POLICY, type BreakerPolicy } from './extensions/circuit-breaker.js';
import { DEFAULT_DISPATCH_POLICY, Dispatcher, type DispatchPolicy } from './dispatch/dispatcher.js';
import { Tenancy } from './tenancy/tenancy.js';
import { readLogs, type LogEntry } from './logs.js';
import { StoreFulfilment } from './domains/fulfilment/store-fulfilment.js';

/** Everything the HTTP API (and tests) call into: one instance per host process. */
export interface HostServices {
  db: Database;
  /** The sandbox: supervised worker processes (`poolStats()`), or this process when `runtime.isolation` is `in-process`. */
  runtime: Runtime & Partial<Pick<WorkerRuntime, 'poolStats'>>;
  registry: Registry;
  installs: Installs;
  extensions: ExtensionInvoker;
  dispatcher: Dispatcher;
  tenancy: Tenancy;
  /** Stores as fulfilment points (商品通). */
  fulfilment: StoreFulfilment;
  catalog: (merchantId: string) => ReturnType<Tenancy['catalog']>;
  logs: (principal: Principal, query: { merchantId?: string | undefined; plugin?: string | undefined; after?: string | undefined; limit?: number | undefined }) => Promise<{ items: LogEntry[] }>;
}

/** Where plugins run: `workers` (default) are supervised child processes; `in-process` is for tools and tests only. */
export type SandboxIsolation = 'workers' | 'in-process';

/** Tunables of a host process. */
export interface HostServiceOptions {
  /** Limits, worker count and per-tenant quotas of the sandbox. */
  runtime?: WorkerRuntimeOptions & { isolation?: SandboxIsolation };
  breaker?: Partial<BreakerPolicy>;
  dispatch?: Partial<DispatchPolicy>;
}

/** Wires the host's services on one database. */
export function createHostServices(db: Database, options: HostServiceOptions = {}): HostServices {
  const { isolation = 'workers', ...runtimeOptions } = options.runtime ?? {};
  // Guest code never runs in the process that serves the API: V8 aborts a process on some guest faults.
  const runtime = isolation === 'workers' ? createWorkerRuntime(runtimeOptions) : createRuntime(runtimeOptions);
  const registry = new Registry(db, runtime);

  // Loaded plugins per (install or review scope, version); the runtime keeps their isolates warm.
  const loaded = new Map<string, Promise<LoadedPlugin>>();
  const loadCached = (cacheKey: string, installId: string, tenant: string, plugin: string, version: string) => {
    let promise = loaded.get(cacheKey);
    if (!promise) {
      promise = registry.bundleOf(db, plugin, version).then((bundle) => runtime.load(bundle, { installId, tenant }));
      promise.catch(() => loaded.delete(cacheKey));
      if (loaded.size > 5000) loaded.clear();
      loaded.set(cacheKey, promise);
    }
    return promise;
  };
  const loadVersion = (plugin: string, version: string) => loadCached(`version:${plugin}@${version}`, `settings:${plugin}`, `platform:${plugin}`, plugin, version);
  // Merchants are the tenants of the sandbox: sharding, quotas and quarantine are per merchant.
  const loadInstall = (install: { id: string; plugin_name: string; version: string; merchant_id: string }) =>
    loadCached(`install:${install.id}@${install.plugin_name}@${install.version}`, install.id, install.merchant_id, install.plugin_name, install.version);

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
    fulfilment: new StoreFulfilment(db),
    catalog: (merchantId) => tenancy.catalog(merchantId),
    logs: (principal, query) => readLogs(db, principal, query),
  };
}
