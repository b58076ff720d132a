import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import type { FastifyReply } from 'fastify';
import type { HostServices } from '../../host-services.js';
import { registerSessionRoutes, type SessionOptions } from './session-routes.js';
import { registerWorkbenchSupportRoutes } from './routes/workbench-support.js';
import type { HostApp } from './app.js';

/** Options of the web workbench the host serves at `/`. */
export interface WorkbenchOptions extends SessionOptions {
  /** The built workbench (a folder with index.html and assets/). Default: @tongkit/workbench's dist. */
  root?: string | undefined;
}

/** Where the built workbench is, or undefined when @tongkit/workbench is not installed or not built. */
export function builtWorkbenchRoot(): string | undefined {
  try {
    const root = join(dirname(createRequire(import.meta.url).resolve('@tongkit/workbench/package.json')), 'dist');
    return existsSync(join(root, 'index.html')) ? root : undefined;
  } catch {
    return undefined;
  }
}

/** The client-side routes of the single-page app: each answers with its index.html. */
const PAGE_ROUTES = ['/', '/sign-in', '/review', '/review/*', '/merchant', '/merchant/*', '/developer', '/developer/*'];

/**
 * The policy of every response. No inline script and no eval anywhere (the workbench validates settings
 * through the API, not with a schema compiler); styles only from this origin or, on the page itself,
 * carrying the response's nonce (antd's CSS-in-JS inserts its <style> elements with it); nothing from
 * another origin; no framing.
 */
function contentSecurityPolicy(styleNonce?: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self'${styleNonce ? ` 'nonce-${styleNonce}'` : ''}`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Serves the web workbench (React + antd, built by Vite into @tongkit/workbench) at `/` with
 * @fastify/static, and its session routes; sets the security headers of every response. The workbench
 * talks only to `/v1`; its session cookie is accepted by the API's authentication (server.ts).
 */
export async function registerWorkbench(app: HostApp, services: HostServices, options: WorkbenchOptions = {}): Promise<void> {
  await app.register(cookie);
  app.addHook('onSend', async (_request, reply: FastifyReply, payload) => {
    if (!reply.hasHeader('content-security-policy')) void reply.header('content-security-policy', contentSecurityPolicy());
    void reply.header('x-content-type-options', 'nosniff');
    void reply.header('referrer-policy', 'no-referrer');
    void reply.header('x-frame-options', 'DENY');
    void reply.header('cross-origin-opener-policy', 'same-origin');
    return payload;
  });
  registerSessionRoutes(app, services.db, options);
  registerWorkbenchSupportRoutes(app, services);

  const root = options.root ?? builtWorkbenchRoot();
  if (root === undefined) {
    for (const url of PAGE_ROUTES.slice(0, 1)) {
      app.get(url, { config: { auth: 'public' }, schema: { hide: true } }, async (_request, reply) =>
        reply.type('text/plain; charset=utf-8').send('The Tongkit workbench is not built: run `npm run build` (packages/workbench), then restart the host.\n'),
      );
    }
    return;
  }
  await app.register(fastifyStatic, { root, serve: false });
  const index = readFileSync(join(root, 'index.html'), 'utf8');
  for (const url of PAGE_ROUTES) {
    app.get(url, { config: { auth: 'public' }, schema: { hide: true } }, async (_request, reply) => {
      const nonce = randomBytes(16).toString('base64');
      return reply
        .header('content-security-policy', contentSecurityPolicy(nonce))
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(index.replaceAll('%TK_STYLE_NONCE%', nonce));
    });
  }
  app.get('/assets/*', { config: { auth: 'public' }, schema: { hide: true } }, async (request, reply) => {
    const file = (request.params as { '*': string })['*'];
    // Vite names assets by content hash: a file never changes under its name.
    return reply.sendFile(join('assets', file), { immutable: true, maxAge: '365d' });
  });
  for (const file of ['favicon.svg']) {
    if (existsSync(join(root, file))) app.get(`/${file}`, { config: { auth: 'public' }, schema: { hide: true } }, async (_request, reply) => reply.sendFile(file));
  }
}
