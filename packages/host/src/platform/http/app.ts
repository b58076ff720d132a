import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Principal, Role } from '../auth/principal.js';
import type { ResolvedTenant, RouteTenant } from '../auth/route-tenant.js';

// What a route file needs of the app, apart from the server that builds it (so routes and the server
// do not import each other).

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route: roles (admins always may), or `public`. Every route must say. */
    auth?: Role[] | 'public';
    /** How the resource's tenant is resolved against the caller's token (required to accept store or staff tokens). */
    tenant?: RouteTenant;
  }
  interface FastifyRequest {
    principal: Principal;
    /** The tenant the route layer resolved (routes that declare `config.tenant`). */
    tenant: ResolvedTenant | undefined;
  }
}

/** The Fastify app with the TypeBox type provider, as route modules receive it. */
export type HostApp = FastifyInstance<any, any, any, any, TypeBoxTypeProvider>;
