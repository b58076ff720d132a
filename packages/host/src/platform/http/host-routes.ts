import type { FastifyPluginAsync } from 'fastify';
import type { HostServices } from '../../host-services.js';

// Apart from app.ts: domain modules' routes import app.ts, and the host services import the modules, so
// the type that names the services lives where only the platform's own route files import it.

/**
 * A group of routes as a Fastify plugin, registered with the host's services (`app.register(installRoutes,
 * { services })`): the server imports the plugins, the plugins import nothing of the server. The
 * server's hooks (auth, tenant, request checks, errors) apply inside them.
 */
export type HostRoutes = FastifyPluginAsync<{ services: HostServices }>;
