import type { FastifyError } from 'fastify';
import { TkError, isTkError, type TkErrorCode } from '@tongkit/sdk';
import { MAX_REQUEST_DEPTH, unstorableTextError } from './request-json.js';

/** The HTTP status of each error code; the body is always the TkError's JSON. */
const STATUS: Partial<Record<TkErrorCode, number>> = {
  TK_VALIDATION: 400,
  TK_UNAUTHORIZED: 401,
  TK_FORBIDDEN: 403,
  TK_PERMISSION_DENIED: 403,
  TK_NOT_FOUND: 404,
  TK_CONFLICT: 409,
  TK_MANIFEST_INVALID: 422,
  TK_BUILD_FAILED: 422,
  TK_TEST_FAILED: 422,
  TK_RATE_LIMITED: 429,
  TK_CIRCUIT_OPEN: 503,
  TK_WORKER_CRASHED: 503,
  TK_INTERNAL: 500,
};

export function statusOf(error: TkError): number {
  return STATUS[error.code] ?? (error.fault === 'plugin' ? 422 : 500);
}

/** Turns anything a route threw into a TkError: Fastify's validation and body errors become TK_VALIDATION with a path. */
export function toTkError(error: unknown): TkError {
  if (isTkError(error)) return error as TkError;
  const fastify = error as FastifyError & { validation?: Array<{ instancePath?: string; message?: string }>; validationContext?: string };
  if (fastify.validation) {
    const context = fastify.validationContext ?? 'body';
    // Paths point into the JSON the caller sent, like the paths of the host's own checks (`/input/…`,
    // `/grantPermissions`); the URL's parts and headers are named: `/params/point`, `/querystring/limit`.
    const pathOf = (instancePath: string | undefined) => (context === 'body' ? instancePath || '/' : `/${context}${instancePath ?? ''}`);
    const first = fastify.validation[0];
    const path = pathOf(first?.instancePath);
    return new TkError('TK_VALIDATION', `the request ${context} is invalid at ${path}: ${first?.message ?? 'invalid'}`, {
      path,
      details: { problems: fastify.validation.slice(0, 10).map((v) => ({ path: pathOf(v.instancePath), message: v.message })) },
    });
  }
  if (fastify.code === 'FST_ERR_BAD_URL' || fastify.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    // Met before routing (Fastify's frameworkErrors): the URL cannot be decoded into parameters.
    const problem = fastify.code === 'FST_ERR_BAD_URL' ? 'is not valid percent-encoded UTF-8' : 'has a path parameter longer than the host accepts';
    return new TkError('TK_VALIDATION', `the request URL ${problem}`, { hint: 'Percent-encode the URL as UTF-8 (encodeURIComponent) and keep ids short.' });
  }
  if (fastify.statusCode === 413) return new TkError('TK_VALIDATION', 'the request body is larger than this route accepts', { path: '/' });
  if (fastify.statusCode === 415 || fastify.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new TkError('TK_VALIDATION', 'send JSON (Content-Type: application/json)', { path: '/headers/content-type' });
  if (fastify.statusCode === 400) return new TkError('TK_VALIDATION', fastify.message, { path: '/' });
  if (fastify.statusCode === 404) return new TkError('TK_NOT_FOUND', fastify.message);
  const database = fromDatabaseError(error);
  if (database) return database;
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    // The request check refuses deep nesting first; this catches any recursion it does not cover.
    return new TkError('TK_VALIDATION', 'the request is nested too deeply to process', {
      path: '/',
      hint: `Send objects and arrays nested at most ${MAX_REQUEST_DEPTH} levels deep.`,
      cause: error,
    });
  }
  return new TkError('TK_INTERNAL', fastify.message || String(error), { cause: error });
}

/**
 * PostgreSQL refusals that the caller's request caused: text it cannot store (a NUL character or a lone
 * surrogate, which JSON allows and PostgreSQL does not: the request check refuses them with their path
 * first, this is for text that reaches the database another way) and ids that name nothing (a foreign
 * key). Anything else stays TK_INTERNAL.
 */
function fromDatabaseError(error: unknown): TkError | undefined {
  const pg = error as { code?: unknown; severity?: unknown; detail?: unknown; message?: unknown };
  if (typeof pg.code !== 'string' || typeof pg.severity !== 'string') return undefined;
  // 22021: a NUL byte in text; 22P05: the \u0000 escape in jsonb.
  if (pg.code === '22021' || pg.code === '22P05') return unstorableTextError('a NUL character (\\u0000)', undefined, error);
  // 22P02 is any text that does not parse as its type; only JSON's is the request's text (a lone
  // surrogate escape, which jsonb refuses); a bad uuid or number is the host's bug.
  if (pg.code === '22P02' && typeof pg.message === 'string' && /type jsonb?\b/.test(pg.message)) {
    const detail = typeof pg.detail === 'string' ? pg.detail.replace(/\.$/, '') : pg.message;
    return unstorableTextError(/surrogate/i.test(detail) ? `a lone surrogate (${detail})` : `JSON the database refuses (${detail})`, undefined, error);
  }
  if (pg.code === '23503' && typeof pg.detail === 'string' && pg.detail.includes('is not present in table')) {
    return new TkError('TK_NOT_FOUND', `the request refers to something that does not exist (${pg.detail.replace(/"/g, '')})`, { cause: error });
  }
  return undefined;
}
