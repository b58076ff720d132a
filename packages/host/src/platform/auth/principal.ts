import { TkError } from '@tongkit/sdk';

/**
 * The roles a bearer token can carry. `store`, `staff` and `integration` tokens are issued (and revoked)
 * by a merchant, scoped to one of its stores, one of its staff members, or — for `integration`, a POS or
 * ERP of the merchant's — the merchant's orders in; they reach only routes that declare them, and those
 * routes resolve the resource's tenant against the token (see route-tenant.ts).
 */
export type Role = 'developer' | 'reviewer' | 'merchant' | 'admin' | 'store' | 'staff' | 'integration';

/** The roles a merchant issues tokens for (see principal-tokens.ts). */
export type MerchantIssuedRole = 'store' | 'staff' | 'integration';

/** The roles the platform issues tokens for itself. */
export type PlatformRole = Exclude<Role, MerchantIssuedRole>;

/** Who is calling: a role and whom it acts for (a developer id, a merchant id, a reviewer's name, a store or staff id). */
export interface Principal {
  role: Role;
  subjectId: string;
  /** The merchant a merchant, store, staff or integration token belongs to. */
  merchantId?: string | undefined;
  /** The store of a store token, or the store a staff member works at. */
  storeId?: string | undefined;
  /** The staff member of a staff token. */
  staffId?: string | undefined;
}

/** Throws TK_FORBIDDEN unless the principal has one of `roles` (admins always pass). */
export function requireRole(principal: Principal, ...roles: Role[]): void {
  if (principal.role === 'admin' || roles.includes(principal.role)) return;
  throw new TkError('TK_FORBIDDEN', `a ${principal.role} may not do this (needs ${roles.join(' or ')})`);
}

/**
 * The merchant a call is scoped to: a merchant's own id, or — for admins — the merchant they name.
 * Everyone else is refused: tenant data is only ever read through this.
 */
export function merchantScope(principal: Principal, requested?: string): string {
  if (principal.role === 'merchant') {
    if (requested !== undefined && requested !== principal.subjectId) {
      throw new TkError('TK_FORBIDDEN', `merchant ${principal.subjectId} may not act for merchant ${requested}`);
    }
    return principal.subjectId;
  }
  if (principal.role === 'admin') {
    if (!requested) throw new TkError('TK_VALIDATION', 'name the merchant to act for', { path: '/merchantId' });
    return requested;
  }
  throw new TkError('TK_FORBIDDEN', `a ${principal.role} may not act for a merchant`);
}
