import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Principal, Role } from '../auth/principal.js';

// What a route file needs of the app, apart from the server that builds it (so routes and the server
// do not import each other).

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route: roles (admins always may), or `public`. Every route must say. */
    auth?: Role[] | 'public';
  }
  interface FastifyRequest {
    principal: Principal;
  }
}

/** The Fastify app with the TypeBox type provider, as route modules receive it. */
export type HostApp = FastifyInstance<any, any, any, any, TypeBoxTypeProvider>;
