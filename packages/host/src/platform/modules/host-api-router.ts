import { TkError, getHostMethod, type HostMethodSpec } from '@tongkit/sdk';
import { validateAgainst } from '@tongkit/runtime';
import type { Database, Queryable } from '../storage/database.js';
import type { HostCallScope, HostModule } from './host-module.js';

type AnyHandler = (call: unknown, ...args: unknown[]) => Promise<unknown>;
interface Route {
  transaction: 'delivery-batch' | 'own';
  handlers: Record<string, AnyHandler>;
}

/** Who a delivery's host calls are for, and the batch transaction they may use. */
export interface HostCallSite extends HostCallScope {
  /** The batch's transaction, for namespaces bound to `delivery-batch` only. */
  batch: Queryable;
}

/**
 * Checks a call's arguments against the catalogue's schemas, each at its own JSON path (`/0` the first
 * argument): what a module's handler receives is what the catalogue says. A left-out optional argument
 * (which crosses the sandbox as `null`) becomes `undefined`; arguments past the declared ones are
 * ignored, as they always were.
 */
function checkedArguments(namespace: string, method: string, spec: HostMethodSpec, args: unknown[]): unknown[] {
  return spec.params.map((param, index) => {
    const value = args[index];
    if (param.optional && (value === undefined || value === null)) return undefined;
    const problem = validateAgainst(param.schema, value, 1)[0];
    if (problem) {
      const path = `/${index}${problem.path === '/' ? '' : problem.path}`;
      throw new TkError('TK_VALIDATION', `ctx.${namespace}.${method}: the ${param.name} argument is invalid at ${path}: ${problem.message}`, {
        fault: 'plugin',
        path,
      });
    }
    return value;
  });
}

/**
 * The host side of `ctx`: looks up `hostApis[namespace]` among the modules' bindings, validates the
 * arguments against the catalogue and runs the module's handler in the transaction its binding names.
 * Built once per host from the module list; refuses a module list that binds a namespace twice or
 * handles a method the catalogue does not have. (A catalogued namespace no module answers is
 * TK_NOT_FOUND on this host: the SDK may be newer than the host.)
 */
export class HostApiRouter {
  private readonly routes = new Map<string, Route>();

  constructor(
    modules: readonly HostModule[],
    private readonly db: Database,
  ) {
    for (const module of modules) {
      for (const [namespace, binding] of Object.entries(module.hostApis ?? {}) as unknown as Array<[string, { transaction: Route['transaction']; handlers: object } | undefined]>) {
        if (!binding) continue;
        if (this.routes.has(namespace)) throw new Error(`two host modules handle ctx.${namespace} (the second is ${module.name})`);
        for (const method of Object.keys(binding.handlers)) {
          if (!getHostMethod(namespace, method)) throw new Error(`host module ${module.name} handles ctx.${namespace}.${method}, which the host-API catalogue does not have`);
        }
        this.routes.set(namespace, { transaction: binding.transaction, handlers: binding.handlers as unknown as Record<string, AnyHandler> });
      }
    }
  }

  /** The namespaces some module answers. */
  namespaces(): string[] {
    return [...this.routes.keys()];
  }

  /** Answers `ctx.<namespace>.<method>(...args)` of a delivery's handler (permission already checked by the runtime). */
  async call(site: HostCallSite, namespace: string, method: string, args: unknown[]): Promise<unknown> {
    const route = this.routes.get(namespace);
    const spec = getHostMethod(namespace, method);
    if (!route || !spec) throw new TkError('TK_NOT_FOUND', `ctx.${namespace} is not available on this host yet`, { fault: 'plugin' });
    const handler = Object.hasOwn(route.handlers, method) ? route.handlers[method] : undefined;
    if (!handler) throw new TkError('TK_NOT_FOUND', `ctx.${namespace} has no method ${method} on this host`, { fault: 'plugin' });
    const checked = checkedArguments(namespace, method, spec, args);
    const scope: HostCallScope = { installId: site.installId, merchantId: site.merchantId, plugin: site.plugin, eventId: site.eventId, causationDepth: site.causationDepth };
    const call = route.transaction === 'delivery-batch' ? { ...scope, tx: site.batch } : { ...scope, db: this.db };
    return handler(call, ...checked);
  }
}
