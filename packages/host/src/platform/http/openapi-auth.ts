import type { FastifySchema, RouteOptions } from 'fastify';
import type { Role } from '../auth/principal.js';

/** The error body every refusal has: `{ error: TkErrorJSON }`. */
const ERROR_BODY = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'fault', 'hint'],
      properties: {
        code: { type: 'string', description: 'A stable TK_* code' },
        message: { type: 'string' },
        fault: { type: 'string', enum: ['user', 'plugin', 'platform'] },
        hint: { type: 'string' },
        path: { type: 'string', description: 'JSON path of the request part at fault' },
        details: { type: 'object', additionalProperties: true },
      },
    },
  },
} as const;

/** The refusals every authenticated route documents, with what each means. */
const REFUSALS = {
  400: 'TK_VALIDATION: the request is malformed (the path names the part)',
  401: 'TK_UNAUTHORIZED: no token, or a token that is unknown or revoked',
  403: 'TK_FORBIDDEN: the token’s role may not call this route, or may not do this to something it may see',
  404: 'TK_NOT_FOUND: no such thing — or another tenant’s, which answers exactly like a missing one',
} as const;

/**
 * The `transform` of the OpenAPI document (it changes the document only, never validation or
 * serialisation): each operation states who may call it, as `x-tongkit-roles` (the route's
 * `config.auth` plus `admin`, who may call every route), and the refusals it answers with. The
 * route-walking test (`packages/host/test/route-walk.test.ts`) reads these and holds every route to them.
 * What a route answers on success is its own `response` schema (openapi-responses.test.ts requires one).
 */
export function documentAuth({ schema, url, route }: { schema: FastifySchema; url: string; route: RouteOptions }): { schema: FastifySchema; url: string } {
  const auth = (route.config as { auth?: Role[] | 'public' } | undefined)?.auth;
  if (auth === undefined || auth === 'public') return { schema, url };
  const roles = [...new Set<Role>([...auth, 'admin'])];
  const refusals = Object.fromEntries(Object.entries(REFUSALS).map(([status, description]) => [status, { description, ...ERROR_BODY }]));
  return {
    url,
    schema: { ...schema, 'x-tongkit-roles': roles, response: { ...refusals, ...(schema?.response as object | undefined) } } as FastifySchema,
  };
}
