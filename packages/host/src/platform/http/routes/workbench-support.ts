import { Type } from '@sinclair/typebox';
import { merchantScope } from '../../auth/principal.js';
import type { HostServices } from '../../../host-services.js';
import { versionVisibleTo } from '../../registry/visibility.js';
import type { HostApp } from '../app.js';
import { MerchantQuery } from '../merchant-query.js';

const Breaker = Type.Object({
  point: Type.String(),
  status: Type.Union([Type.Literal('closed'), Type.Literal('open'), Type.Literal('half_open')]),
  calls: Type.Integer({ description: 'Calls in the sliding window of the host process that answered (breakers count per process).' }),
  errors: Type.Integer({ description: 'Failures among them; the breaker opens at the policy’s threshold.' }),
  openedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

/**
 * Reads the workbench needs that the API lacked: the versions an install may move to (the merchant's
 * version listing covers only its own brand's private plugins), and the circuit breakers of an install's
 * points (paused or not, and why). The merchant's stores are in routes/stores.ts.
 */
export function registerWorkbenchSupportRoutes(app: HostApp, { db, installs, extensions }: HostServices): void {
  app.get(
    '/v1/installs/:id/versions',
    {
      config: { auth: ['merchant'] },
      schema: {
        summary: 'The versions of the install’s plugin the merchant may run, newest first',
        tags: ['installs'],
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        querystring: MerchantQuery,
        response: {
          200: Type.Object({
            items: Type.Array(Type.Object({ plugin: Type.String(), version: Type.String(), status: Type.String(), permissions: Type.Array(Type.String()), createdAt: Type.String({ format: 'date-time' }) })),
          }),
        },
      },
    },
    async (request) => {
      const merchantId = merchantScope(request.principal, request.query.merchantId);
      const install = await installs.get(merchantId, request.params.id);
      const params: unknown[] = [];
      // What this merchant may see of the registry (approved, or any status on a development merchant).
      const visible = versionVisibleTo({ role: 'merchant', subjectId: merchantId }, params);
      params.push(install.plugin);
      const { rows } = await db.query<{ version: string; status: string; permissions: string[]; created_at: Date }>(
        `SELECT v.version, v.status, v.manifest->'permissions' AS permissions, v.created_at FROM plugin_versions v JOIN plugins p ON p.name = v.plugin_name
         WHERE ${visible} AND v.plugin_name = $${params.length} ORDER BY v.created_at DESC LIMIT 200`,
        params,
      );
      return { items: rows.map((r) => ({ plugin: install.plugin, version: r.version, status: r.status, permissions: r.permissions, createdAt: r.created_at.toISOString() })) };
    },
  );

  app.get(
    '/v1/installs/:id/breakers',
    {
      config: { auth: ['merchant'] },
      schema: {
        summary: 'Circuit-breaker state of each enabled extension point of the install',
        tags: ['installs'],
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        querystring: MerchantQuery,
        response: { 200: Type.Object({ items: Type.Array(Breaker) }) },
      },
    },
    async (request) => {
      // The install is read through the merchant's scope first: another merchant's id is a 404.
      const install = await installs.get(merchantScope(request.principal, request.query.merchantId), request.params.id);
      const items = await Promise.all(
        install.enabledPoints.map(async (point) => {
          const state = await extensions.breaker(install.id, point);
          return { point, status: state.status, calls: state.calls, errors: state.errors, openedAt: state.openedAt === null ? null : new Date(state.openedAt).toISOString() };
        }),
      );
      return { items };
    },
  );
}
