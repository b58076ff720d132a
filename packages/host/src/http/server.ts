import Fastify, { type FastifyInstance } from 'fastify';
import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import { TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { TkError } from '@tongkit/sdk';
import { authenticate } from '../auth/tokens.js';
import type { Principal, Role } from '../auth/principal.js';
import type { HostServices } from '../host-services.js';
import { statusOf, toTkError } from './errors.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerEventRoutes } from './routes/events.js';
import { registerInstallRoutes } from './routes/installs.js';
import { registerRegistryRoutes } from './routes/registry.js';

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

/** Default request body limit; deploy raises it for bundles and source maps. */
export const BODY_LIMIT = 256 * 1024;

/** Options of the HTTP API. */
export interface HttpApiOptions {
  /**
   * Requests one credential (a bearer token; an IP address without one) may make per window, checked
   * before the token is even looked up: a flood is refused with TK_RATE_LIMITED (429) before it costs
   * a database query or a sandbox call. Default 1,000 per second; `false` turns it off.
   */
  rateLimit?: { max: number; timeWindowMs: number } | false;
}

export const DEFAULT_RATE_LIMIT = { max: 1_000, timeWindowMs: 1_000 };

/**
 * Builds the host's HTTP API: bearer-token auth with roles on every route (a route without an `auth`
 * declaration refuses to register), TK_* error bodies, and an OpenAPI document generated from the same
 * TypeBox schemas that validate requests (`GET /openapi.json`).
 */
export async function buildHttpApi(services: HostServices, options: HttpApiOptions = {}): Promise<HostApp> {
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT, ajv: undefined }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(TypeBoxValidatorCompiler);

  const limit = options.rateLimit === undefined ? DEFAULT_RATE_LIMIT : options.rateLimit;
  if (limit) {
    await app.register(rateLimit, {
      max: limit.max,
      timeWindow: limit.timeWindowMs,
      // Its onRequest hooks run before authentication (a preParsing hook). Keyed by a hash of the
      // credential: the limiter's cache holds no tokens.
      keyGenerator: (request) => {
        const credential = request.headers.authorization;
        return credential ? createHash('sha256').update(credential).digest('base64url') : `ip:${request.ip}`;
      },
      errorResponseBuilder: (_request, context) =>
        new TkError('TK_RATE_LIMITED', `more than ${context.max} requests in ${limit.timeWindowMs} ms with this credential`, {
          hint: `Slow down; retry after ${context.after}.`,
          details: { limit: 'requests', max: context.max, retryAfterMs: context.ttl },
        }),
    });
  }

  app.addHook('onRoute', (route) => {
    if (route.config?.auth === undefined && !route.url.startsWith('/documentation')) {
      throw new Error(`route ${route.method} ${route.url} declares no auth (config.auth: roles or 'public')`);
    }
  });
  app.decorateRequest('principal', null as unknown as Principal);
  // preParsing: after every onRequest hook (the rate limit's are per route, so an onRequest hook here
  // would run before them) and before a body is read for an unauthenticated caller.
  app.addHook('preParsing', async (request) => {
    const auth = request.routeOptions.config.auth;
    if (auth === 'public' || auth === undefined) return;
    request.principal = await authenticate(services.db, request.headers.authorization);
    if (request.principal.role !== 'admin' && !auth.includes(request.principal.role)) {
      throw new TkError('TK_FORBIDDEN', `a ${request.principal.role} token may not call ${request.method} ${request.routeOptions.url}`, {
        hint: `This route is for: ${auth.join(', ')}.`,
      });
    }
  });
  app.setErrorHandler((error, _request, reply) => {
    const tk = toTkError(error);
    void reply.status(statusOf(tk)).send({ error: tk.toJSON() });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: new TkError('TK_NOT_FOUND', `no route ${request.method} ${request.url}`).toJSON() });
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'Tongkit host API', version: '0.1.0', description: 'Registry, review, installs, extensions and events of a Tongkit host.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });

  app.get('/healthz', { config: { auth: 'public' }, schema: { hide: true } }, async () => ({ ok: true }));
  app.get('/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());

  registerRegistryRoutes(app, services);
  registerInstallRoutes(app, services);
  registerEventRoutes(app, services);
  registerAdminRoutes(app, services);
  return app;
}
