import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import { TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { TkError, isTkError } from '@tongkit/sdk';
import { CachedAuthenticator } from '../auth/token-cache.js';
import type { Principal } from '../auth/principal.js';
import { resolveTenant } from '../auth/route-tenant.js';
import type { HostApp } from './app.js';
import type { HostServices } from '../../host-services.js';
import { CredentialThrottle } from './credential-throttle.js';
import { statusOf, toTkError } from './errors.js';
import { documentAuth } from './openapi-auth.js';
import { checkRequestJson, parseJsonBody } from './request-json.js';
import { adminRoutes } from './routes/admin.js';
import { eventRoutes } from './routes/events.js';
import { installRoutes } from './routes/installs.js';
import { storeRoutes } from './routes/stores.js';
import { installToolRoutes } from './routes/install-tools.js';
import { registryRoutes } from './routes/registry.js';
import { principalRoutes } from './routes/principals.js';
import { authenticateSession } from '../auth/sessions.js';
import { sessionSecretOf } from './session-routes.js';
import { registerWorkbench, type WorkbenchOptions } from './workbench.js';

export type { HostApp } from './app.js';

/** Default request body limit; deploy raises it for bundles and source maps. */
export const BODY_LIMIT = 256 * 1024;

/** Options of the HTTP API. */
export interface HttpApiOptions {
  /**
   * Requests one credential (a bearer token; an IP address without one) may make per window, checked
   * before the token is even looked up: a flood is refused with TK_RATE_LIMITED (429) before it costs
   * a database query or a sandbox call. The same number is each IP address's budget of failed
   * authentications per window (see {@link CredentialThrottle}), so a flood of made-up tokens is
   * refused too. Default 1,000 per second; `false` turns both off.
   */
  rateLimit?: { max: number; timeWindowMs: number } | false;
  /** The web workbench at `/` and its cookie sessions (see {@link registerWorkbench}). */
  workbench?: WorkbenchOptions;
}

/** Replies with the one error body, `{ error: TkErrorJSON }`, and its status. */
function sendError(reply: FastifyReply, error: unknown): void {
  const tk = toTkError(error);
  void reply.status(statusOf(tk)).send({ error: tk.toJSON() });
}

export const DEFAULT_RATE_LIMIT = { max: 1_000, timeWindowMs: 1_000 };

/**
 * Builds the host's HTTP API: bearer-token auth with roles on every route (a route without an `auth`
 * declaration refuses to register), TK_* error bodies, and an OpenAPI document generated from the same
 * TypeBox schemas that validate requests (`GET /openapi.json`).
 */
export async function buildHttpApi(services: HostServices, options: HttpApiOptions = {}): Promise<HostApp> {
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    ajv: undefined,
    // Errors Fastify meets before routing (a malformed percent-encoding in the URL) get the TK_* body too.
    frameworkErrors: (error, _request, reply) => sendError(reply as unknown as FastifyReply, error),
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  // JSON bodies are parsed with JSON.parse, which keeps a `__proto__` key as a plain key, and checked
  // (with the URL's parameters) before validation: see checkRequestJson.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  const limit = options.rateLimit === undefined ? DEFAULT_RATE_LIMIT : options.rateLimit;
  const throttle = limit ? new CredentialThrottle(limit) : undefined;
  const authenticator = new CachedAuthenticator(services.db);
  if (limit && throttle) {
    await app.register(rateLimit, {
      max: limit.max,
      timeWindow: limit.timeWindowMs,
      // Its onRequest hooks run before authentication (a preParsing hook). Keyed by a hash of the token
      // authentication will read (however `Bearer` is spelt): the limiter's cache holds no tokens.
      keyGenerator: (request) => throttle.rateLimitKeyOf(request),
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
    const auth = route.config?.auth;
    if (Array.isArray(auth) && (auth.includes('store') || auth.includes('staff') || auth.includes('integration')) && !route.config?.tenant) {
      throw new Error(`route ${route.method} ${route.url} accepts store, staff or integration tokens but declares no config.tenant`);
    }
  });
  app.decorateRequest('principal', null as unknown as Principal);
  app.decorateRequest('tenant', undefined);
  // After validation: the parameters that name the tenant have their validated form.
  app.addHook('preHandler', async (request) => {
    const rule = request.routeOptions.config.tenant;
    if (rule && request.principal) request.tenant = resolveTenant(request.principal, rule, request);
  });
  // preParsing: after every onRequest hook (the rate limit's are per route, so an onRequest hook here
  // would run before them) and before a body is read for an unauthenticated caller.
  app.addHook('preParsing', async (request, reply) => {
    const auth = request.routeOptions.config.auth;
    if (auth === 'public' || auth === undefined) return;
    // A workbench session cookie stands in for the bearer token only when no Authorization header is
    // sent: a bearer token is always checked as before, and the session check adds its CSRF rule.
    const sessionSecret = request.headers.authorization === undefined ? sessionSecretOf(request) : undefined;
    request.principal = sessionSecret !== undefined
      ? await authenticateSession(services.db, sessionSecret, { method: request.method, csrfHeader: headerOf(request, 'x-csrf-token') })
      : await authenticateThrottled(authenticator, throttle, request, reply);
    if (request.principal.role !== 'admin' && !auth.includes(request.principal.role)) {
      throw new TkError('TK_FORBIDDEN', `a ${request.principal.role} token may not call ${request.method} ${request.routeOptions.url}`, {
        hint: `This route is for: ${auth.join(', ')}.`,
      });
    }
  });
  // Before schema validation and any route: text the database cannot store, deep nesting and
  // prototype keys are refused at their path, in the body and in the URL's parts alike.
  app.addHook('preValidation', async (request) => {
    checkRequestJson(request.params, '/params');
    checkRequestJson(request.query, '/querystring');
    if (request.body !== undefined) checkRequestJson(request.body, '');
  });
  app.setErrorHandler((error, _request, reply) => sendError(reply, error));
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: new TkError('TK_NOT_FOUND', `no route ${request.method} ${request.url}`).toJSON() });
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'Tongkit host API', version: '0.1.0', description: 'Registry, review, installs, extensions and events of a Tongkit host.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: documentAuth,
  });

  app.get('/healthz', { config: { auth: 'public' }, schema: { hide: true } }, async () => ({ ok: true }));
  app.get('/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());

  await registerWorkbench(app, services, options.workbench);
  await app.register(registryRoutes, { services });
  await app.register(installRoutes, { services });
  await app.register(installToolRoutes, { services });
  await app.register(eventRoutes, { services });
  await app.register(adminRoutes, { services });
  await app.register(principalRoutes, { services });
  await app.register(storeRoutes, { services });
  for (const module of services.modules) if (module.routes) await app.register(module.routes);
  return app;
}

/** A request header sent once, or undefined (a repeated header is no value). */
function headerOf(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** The bearer token's principal, within the failed-authentication budget of the caller's address when rate limits are on. */
async function authenticateThrottled(authenticator: CachedAuthenticator, throttle: CredentialThrottle | undefined, request: FastifyRequest, reply: FastifyReply): Promise<Principal> {
  const { authorization } = request.headers;
  if (!throttle) return authenticator.authenticate(authorization);
  try {
    throttle.checkBeforeLookup(authorization, request.ip);
  } catch (error) {
    void reply.header('retry-after', String((error as TkError).details?.['retryAfterS'] ?? 1));
    throw error;
  }
  try {
    const principal = await authenticator.authenticate(authorization);
    throttle.recordSuccess(authorization);
    return principal;
  } catch (error) {
    if (isTkError(error) && error.code === 'TK_UNAUTHORIZED') throttle.recordFailure(authorization, request.ip);
    throw error;
  }
}
