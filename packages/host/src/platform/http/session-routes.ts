import { Type } from '@sinclair/typebox';
import { TkError } from '@tongkit/sdk';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PlatformRole as Role } from '../auth/principal.js';
import { DEFAULT_SESSION_TTL_MS, csrfMatches, endSession, findSession, openSession } from '../auth/sessions.js';
import type { Queryable } from '../storage/database.js';
import type { HostApp } from './app.js';

/** The cookie that carries a workbench session's secret. */
export const SESSION_COOKIE = 'tk_session';

/** Options of the workbench's sign-in. */
export interface SessionOptions {
  /** How long a session lasts from sign-in (default 8 hours). */
  sessionTtlMs?: number | undefined;
  /**
   * Development sign-in: the tokens of the host's bootstrap identities by role, offered as one-click
   * sign-ins. Only a host on its embedded storage (a developer's own machine) sets this.
   */
  devSignIn?: Partial<Record<Role, string>> | undefined;
}

/** The session secret a request's cookie carries, if any. */
export function sessionSecretOf(request: FastifyRequest): string | undefined {
  const value = request.cookies?.[SESSION_COOKIE];
  return value === undefined || value === '' ? undefined : value;
}

const Session = Type.Object({
  signedIn: Type.Literal(true),
  role: Type.Union([Type.Literal('developer'), Type.Literal('reviewer'), Type.Literal('merchant'), Type.Literal('admin')]),
  subjectId: Type.String(),
  csrfToken: Type.String({ description: 'Send it in X-CSRF-Token on every state-changing request' }),
  expiresAt: Type.String({ format: 'date-time' }),
  devSignIn: Type.Boolean(),
});
const SignedOut = Type.Object({ signedIn: Type.Literal(false), devSignIn: Type.Boolean({ description: 'Whether POST /v1/session/development is offered' }) });
const DevRole = Type.Union([Type.Literal('developer'), Type.Literal('reviewer'), Type.Literal('merchant'), Type.Literal('admin')]);

/**
 * The workbench's session routes: sign in by exchanging a bearer token for an httpOnly, SameSite=Strict
 * cookie (Secure over HTTPS), development sign-in on an embedded host, the current session (with its CSRF
 * token), and sign-out. The API routes accept the cookie in place of the bearer token (see server.ts).
 */
export function registerSessionRoutes(app: HostApp, db: Queryable, options: SessionOptions): void {
  const ttlMs = options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  const devSignIn = options.devSignIn !== undefined && Object.keys(options.devSignIn).length > 0;

  const setCookie = (request: FastifyRequest, reply: FastifyReply, secret: string) =>
    reply.setCookie(SESSION_COOKIE, secret, { httpOnly: true, sameSite: 'strict', secure: request.protocol === 'https', path: '/', maxAge: Math.floor(ttlMs / 1000) });

  app.post(
    '/v1/session',
    {
      config: { auth: ['developer', 'reviewer', 'merchant'] },
      schema: {
        summary: 'Sign in to the workbench: exchange the bearer token for a session cookie',
        tags: ['session'],
        response: { 201: Session },
      },
    },
    async (request, reply) => {
      // Only a bearer token opens a session: a session cannot extend itself into a new one.
      if (request.headers.authorization === undefined) throw new TkError('TK_UNAUTHORIZED', 'signing in needs `Authorization: Bearer <token>`');
      const { secret, session } = await openSession(db, request.headers.authorization, ttlMs);
      setCookie(request, reply, secret);
      return reply.status(201).send({ signedIn: true as const, ...session, devSignIn });
    },
  );

  app.post(
    '/v1/session/development',
    {
      config: { auth: 'public' },
      schema: {
        summary: 'Development sign-in as one of the host’s bootstrap identities (embedded hosts only)',
        tags: ['session'],
        body: Type.Object({ role: DevRole }, { additionalProperties: false }),
        response: { 201: Session },
      },
    },
    async (request, reply) => {
      const token = options.devSignIn?.[request.body.role];
      if (token === undefined) {
        throw new TkError('TK_NOT_FOUND', 'this host offers no development sign-in', { hint: 'Sign in with a token (`tongkit login` prints where to get one).' });
      }
      const { secret, session } = await openSession(db, `Bearer ${token}`, ttlMs);
      setCookie(request, reply, secret);
      return reply.status(201).send({ signedIn: true as const, ...session, devSignIn });
    },
  );

  app.get(
    '/v1/session',
    {
      config: { auth: 'public' },
      schema: { summary: 'The caller’s workbench session and its CSRF token', tags: ['session'], response: { 200: Type.Union([Session, SignedOut]) } },
    },
    async (request) => {
      const secret = sessionSecretOf(request);
      const session = secret === undefined ? undefined : await findSession(db, secret);
      return session ? { signedIn: true as const, ...session, devSignIn } : { signedIn: false as const, devSignIn };
    },
  );

  app.delete(
    '/v1/session',
    { config: { auth: 'public' }, schema: { summary: 'Sign out: end the session and clear its cookie', tags: ['session'], response: { 204: Type.Null() } } },
    async (request, reply) => {
      const secret = sessionSecretOf(request);
      if (secret !== undefined) {
        // Signing out changes state too: a cross-site request must not end someone's session.
        const header = request.headers['x-csrf-token'];
        if (!csrfMatches(secret, typeof header === 'string' ? header : undefined)) {
          throw new TkError('TK_FORBIDDEN', 'signing out needs the session’s CSRF token', { hint: 'Send the csrfToken of GET /v1/session in X-CSRF-Token.' });
        }
        await endSession(db, secret);
      }
      void reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure: request.protocol === 'https' });
      return reply.status(204).send(null);
    },
  );
}
