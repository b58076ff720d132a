import type { FastifyRequest } from 'fastify';
import { TkError } from '@tongkit/sdk';
import type { Principal } from './principal.js';

/** Where a request names a resource's tenant: a path parameter, a query parameter or a body field. */
export type TenantSource = { param: string } | { query: string } | { body: string };

/**
 * How a route resolves the tenant of the resource it serves, declared next to its `auth`
 * (`config: { auth: ['merchant', 'store'], tenant: { store: { param: 'storeId' } } }`). The route layer
 * checks the caller's token against it before the handler runs, and hands the handler `request.tenant`.
 * A route that accepts `store`, `staff` or `integration` tokens must declare one (the server refuses to
 * register it otherwise).
 */
export interface RouteTenant {
  /** The merchant an admin acts for (merchant, store, staff and integration tokens carry their own). */
  merchant?: TenantSource;
  /** The store the resource belongs to: a store token reaches only its own store. */
  store?: TenantSource;
  /** The staff member the resource belongs to: a staff token reaches only its own. */
  staff?: TenantSource;
}

/** The tenant a request was resolved to: always a merchant, and the store or staff member when the route names one. */
export interface ResolvedTenant {
  merchantId: string;
  storeId?: string | undefined;
  staffId?: string | undefined;
}

function read(request: FastifyRequest, source: TenantSource | undefined): string | undefined {
  if (!source) return undefined;
  const bag = 'param' in source ? request.params : 'query' in source ? request.query : request.body;
  const name = 'param' in source ? source.param : 'query' in source ? source.query : source.body;
  const value = bag !== null && typeof bag === 'object' ? (bag as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** What a caller may not see answers exactly like what does not exist. */
const noStore = (id: string) => new TkError('TK_NOT_FOUND', `no store ${id}`);
const noStaff = (id: string) => new TkError('TK_NOT_FOUND', `no staff member ${id}`);

/**
 * Resolves the tenant of a request for `principal` by the route's declaration, or refuses it: a merchant
 * acts only for itself (TK_FORBIDDEN naming another merchant, as everywhere), a store token only for its
 * store and a staff token only for itself (another's answers TK_NOT_FOUND, like one that does not
 * exist); an admin names the merchant. Whether the named store or staff member exists at all is the
 * handler's query, scoped by the resolved merchant.
 */
export function resolveTenant(principal: Principal, rule: RouteTenant, request: FastifyRequest): ResolvedTenant {
  const merchant = read(request, rule.merchant);
  const store = read(request, rule.store);
  const staff = read(request, rule.staff);
  const tenant = (merchantId: string, storeId: string | undefined, staffId: string | undefined): ResolvedTenant => ({
    merchantId,
    ...(storeId === undefined ? {} : { storeId }),
    ...(staffId === undefined ? {} : { staffId }),
  });
  switch (principal.role) {
    case 'admin':
      if (!merchant) throw new TkError('TK_VALIDATION', 'name the merchant to act for', { path: '/merchantId' });
      return tenant(merchant, store, staff);
    case 'merchant': {
      const own = principal.merchantId ?? principal.subjectId;
      if (merchant !== undefined && merchant !== own) throw new TkError('TK_FORBIDDEN', `merchant ${own} may not act for merchant ${merchant}`);
      return tenant(own, store, staff);
    }
    case 'store': {
      if (!principal.merchantId || !principal.storeId) throw new TkError('TK_UNAUTHORIZED', 'the store token names no store');
      if (merchant !== undefined && merchant !== principal.merchantId) throw noStore(store ?? principal.storeId);
      if (store !== undefined && store !== principal.storeId) throw noStore(store);
      if (staff !== undefined) throw noStaff(staff);
      return tenant(principal.merchantId, principal.storeId, undefined);
    }
    case 'integration': {
      // A merchant's own system: the merchant's resources, any of its stores (the handler checks the
      // store is the merchant's); naming another merchant is refused as for the merchant's own token.
      if (!principal.merchantId) throw new TkError('TK_UNAUTHORIZED', 'the integration token names no merchant');
      if (merchant !== undefined && merchant !== principal.merchantId) throw new TkError('TK_FORBIDDEN', `an integration of merchant ${principal.merchantId} may not act for merchant ${merchant}`);
      return tenant(principal.merchantId, store, staff);
    }
    case 'staff': {
      if (!principal.merchantId || !principal.staffId) throw new TkError('TK_UNAUTHORIZED', 'the staff token names no staff member');
      if (merchant !== undefined && merchant !== principal.merchantId) throw noStaff(staff ?? principal.staffId);
      if (staff !== undefined && staff !== principal.staffId) throw noStaff(staff);
      if (store !== undefined && store !== principal.storeId) throw noStore(store);
      return tenant(principal.merchantId, principal.storeId, principal.staffId);
    }
    default:
      throw new TkError('TK_FORBIDDEN', `a ${principal.role} may not act for a merchant`);
  }
}
