import { createRuntime, createWorkerRuntime, type LoadedPlugin, type Runtime, type WorkerRuntime, type WorkerRuntimeOptions } from '@tongkit/runtime';
import type { Database } from './platform/storage/database.js';
import type { Principal } from './platform/auth/principal.js';
import { Registry } from './platform/registry/registry.js';
import { Installs } from './platform/installs/installs.js';
import { DEFAULT_BACKFILL_POLICY, InstallBackfills, type BackfillPolicy } from './platform/installs/backfill.js';
import { ExtensionInvoker } from './platform/extensions/invoke-extension.js';
import { DEFAULT_BREAKER_POLICY, type BreakerPolicy } from './platform/extensions/circuit-breaker.js';
import { DEFAULT_DISPATCH_POLICY, Dispatcher, type DispatchPolicy } from './platform/dispatch/dispatcher.js';
import { Tenancy } from './platform/tenancy/tenancy.js';
import { createHostModules } from './modules.js';
import { HostApiRouter } from './platform/modules/host-api-router.js';
import type { HostModule, HostPlatform } from './platform/modules/host-module.js';
import { readLogs, type LogEntry } from './logs.js';
import type { HostKeyRing } from './platform/host-keys.js';
import { unlessNotFound } from './platform/modules/unless-not-found.js';
import { membersOf } from './domains/members/index.js';
import type { Members } from './domains/members/members.js';
import { ordersOf } from './domains/orders/index.js';
import type { Orders } from './domains/orders/orders.js';
import { OrderPointsWorker, pointsLedgerOf, type PointsLedger } from './domains/points/index.js';
import { tiersOf, type MemberTiers, type TierWork } from './domains/tiers/index.js';
import { guidesOf, type GuideServices } from './domains/guides/index.js';
import { DEFAULT_SCHEDULE_POLICY, ScheduleRunner, type SchedulePolicy } from './platform/schedules/schedule-runner.js';

/** Everything the HTTP API (and tests) call into: one instance per host process. */
export interface HostServices {
  db: Database;
  /** The sandbox: supervised worker processes (`poolStats()`), or this process when `runtime.isolation` is `in-process`. */
  runtime: Runtime & Partial<Pick<WorkerRuntime, 'poolStats'>>;
  registry: Registry;
  installs: Installs;
  /** `install.created` and the members' backfill of a new install, page by page (started with the host). */
  backfills: InstallBackfills;
  extensions: ExtensionInvoker;
  dispatcher: Dispatcher;
  tenancy: Tenancy;
  /** The host's modules (one per primitive): their routes are registered by the HTTP API. */
  modules: readonly HostModule[];
  /** 会员通 members (the members module's service): registration, consented binding, unbind, erasure. */
  members: Members;
  /** Orders in, with tenders and refunds (the orders module's service). */
  orders: Orders;
  /** The points & growth ledger (the points module's service). */
  points: PointsLedger;
  /** Points per order: member.points.earn on order.paid, reversal on order.refunded. */
  orderPoints: OrderPointsWorker;
  /** Tiers applied by the host (the tiers module's service): the ladder, members' tiers and history. */
  tiers: MemberTiers;
  /** Members queued for a tier computation (order.paid, order.refunded, growth changes, the schedule). */
  tierWork: TierWork;
  /** 导购: guides, relations, shares, the commission ledger, statements and its order worker. */
  guides: GuideServices;
  /** Cron triggers of plugins and host modules, claimed per slot in the database (started with the host). */
  schedules: ScheduleRunner;
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
  /**
   * The host key ring of members' personal data and phone digests. `startHost` loads it from
   * configuration or the key file; without one a random in-memory key is used, which is for tests
   * only: what it encrypted cannot be read by the next process.
   */
  hostKeys?: HostKeyRing;
  schedules?: Partial<SchedulePolicy>;
  backfill?: Partial<BackfillPolicy>;
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

  // Services and modules are built before the dispatcher whose outbox they write to: publishIn reaches
  // it once it exists.
  let dispatcher: Dispatcher | undefined;
  // The backfill walks members through the members service (never its tables), and sends pages through
  // the dispatcher, both built below.
  const backfills = new InstallBackfills(
    db,
    { publishToInstallIn: (tx, merchantId, installId, event) => dispatcher!.publishToInstallIn(tx, merchantId, installId, event), notify: () => dispatcher?.notify() },
    {
      count: (tx, merchantId, upTo) => membersOf(platform).countActive(merchantId, upTo, tx),
      page: (tx, merchantId, upTo, after, limit) => membersOf(platform).activeIdsPage(merchantId, upTo, after, limit, tx),
    },
    { ...DEFAULT_BACKFILL_POLICY, ...options.backfill },
  );
  const installs = new Installs(db, registry, loadVersion, backfills);
  const extensions = new ExtensionInvoker(db, installs, loadInstall, { ...DEFAULT_BREAKER_POLICY, ...options.breaker });
  // order.paid and order.refunded (and service stages' payments and refunds) also reach the points worker's queue, in the transaction that publishes
  // them; the worker is built once the modules (its ledger) exist.
  let orderPoints: OrderPointsWorker | undefined;
  const platform: HostPlatform = {
    db,
    publishIn: async (tx, merchantId, event, depth) => {
      if (!dispatcher) throw new Error('a host module published an event while the host was being built');
      const published = await dispatcher.publishIn(tx, merchantId, event, depth);
      // So do each service stage's payment and refund: the money fact of a service order.
      if (!published.duplicate && ['order.paid', 'order.refunded', 'service.stage.paid', 'service.stage.refunded'].includes(event.type)) {
        await orderPoints!.enqueueIn(tx, merchantId, { id: published.id, type: event.type, data: event.data });
        await guidesOf(platform).worker.enqueueIn(tx, merchantId, { id: published.id, type: event.type, data: event.data });
      }
      // The member's tier is computed again, after the change commits (a redelivery only queues it again).
      if (!published.duplicate && (event.type === 'order.paid' || event.type === 'order.refunded' || event.type === 'points.changed')) {
        await tiersOf(platform).work.enqueueIn(tx, merchantId, event);
      }
      return published;
    },
    hostKeys: options.hostKeys,
    // Through the members service, never its tables: an unknown (or another merchant's) member is
    // TK_NOT_FOUND there. An erased member earns and spends nothing more.
    memberExists: async (tx, merchantId, memberId) => (await unlessNotFound(membersOf(platform).get(merchantId, memberId, tx)))?.status === 'active',
    invokePoint: (merchantId, point, input, storeId) => extensions.invoke(merchantId, point, input, { storeId }),
    flushInvocationLog: () => extensions.flushLog(),
    memberTier: (merchantId, memberId) => tiersOf(platform).tiers.tierOf(merchantId, memberId),
    decidePoint: async (merchantId, point, input) => {
      const { decision, version, logIn } = await extensions.decide(merchantId, point, input);
      return { output: decision.output, source: decision.source, installId: decision.installId, invocationId: decision.invocationId, version, logIn };
    },
    invokeEachPoint: (merchantId, point, input, storeId) => extensions.invokeEach(merchantId, point, input, { storeId }),
  };
  const modules = createHostModules(platform);
  dispatcher = new Dispatcher(db, loadInstall, { ...DEFAULT_DISPATCH_POLICY, ...options.dispatch }, new HostApiRouter(modules, db));
  const tenancy = new Tenancy(db);
  const points = pointsLedgerOf(modules);
  orderPoints = new OrderPointsWorker(db, points, extensions, async (merchantId, memberId) => (await tiersOf(platform).tiers.tierOf(merchantId, memberId))?.tierId ?? null);
  return {
    db,
    runtime,
    registry,
    installs,
    backfills,
    extensions,
    dispatcher,
    tenancy,
    modules,
    members: membersOf(platform),
    orders: ordersOf(platform),
    points,
    orderPoints,
    tiers: tiersOf(platform).tiers,
    tierWork: tiersOf(platform).work,
    guides: guidesOf(platform),
    schedules: new ScheduleRunner(db, dispatcher, modules, platform, { ...DEFAULT_SCHEDULE_POLICY, ...options.schedules }),
    catalog: (merchantId) => tenancy.catalog(merchantId),
    // This process's buffered invocation rows first: a caller reads the calls it just made.
    logs: async (principal, query) => {
      await extensions.flushLog();
      return readLogs(db, principal, query);
    },
  };
}
