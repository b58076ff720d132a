import { Type } from '@sinclair/typebox';
import { merchantScope } from '../../auth/principal.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { HostApp } from '../app.js';
import type { HostRoutes } from '../host-routes.js';
import { InstallListSchema, InstallRequestSchema, InstallSchema as Install, PermissionSchema as Permission, SettingsSchema as Settings } from '../../installs/schemas.js';
import { CatalogSchema } from '../../tenancy/schemas.js';
import { MerchantQuery } from '../merchant-query.js';

const InstallParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** Catalog, installs, settings, per-store overrides, upgrade/rollback, enable/disable, uninstall. */
export const installRoutes: HostRoutes = async (instance, { services }) => {
  const app: HostApp = instance.withTypeProvider<TypeBoxTypeProvider>();
  const { installs, catalog } = services;
  const merchant = { config: { auth: ['merchant'] as ['merchant'] } };

  app.get(
    '/v1/catalog',
    { ...merchant, schema: { summary: 'Approved plugins the merchant’s tier may install', tags: ['installs'], querystring: MerchantQuery, response: { 200: CatalogSchema } } },
    async (request) => ({ items: await catalog(merchantScope(request.principal, request.query.merchantId)) }),
  );

  app.post(
    '/v1/installs',
    {
      ...merchant,
      schema: {
        summary: 'Install a plugin (consenting to its permissions)',
        tags: ['installs'],
        querystring: MerchantQuery,
        body: InstallRequestSchema,
        response: { 201: Install },
      },
    },
    async (request, reply) => reply.status(201).send(await installs.install(merchantScope(request.principal, request.query.merchantId), request.body)),
  );

  app.get(
    '/v1/installs',
    { ...merchant, schema: { summary: 'The merchant’s installs', tags: ['installs'], querystring: MerchantQuery, response: { 200: InstallListSchema } } },
    async (request) => ({ items: await installs.list(merchantScope(request.principal, request.query.merchantId)) }),
  );

  app.get(
    '/v1/installs/:id',
    { ...merchant, schema: { summary: 'One install', tags: ['installs'], params: InstallParams, querystring: MerchantQuery, response: { 200: Install } } },
    async (request) => installs.get(merchantScope(request.principal, request.query.merchantId), request.params.id),
  );

  app.put(
    '/v1/installs/:id/settings',
    { ...merchant, schema: { summary: 'Replace the install’s settings', tags: ['installs'], params: InstallParams, querystring: MerchantQuery, body: Settings, response: { 200: Install } } },
    async (request) => installs.setSettings(merchantScope(request.principal, request.query.merchantId), request.params.id, request.body),
  );

  app.get(
    '/v1/installs/:id/settings',
    {
      ...merchant,
      schema: {
        summary: 'Effective settings (per store when storeId is given)',
        tags: ['installs'],
        params: InstallParams,
        querystring: Type.Object({ merchantId: Type.Optional(Type.String({ maxLength: 64 })), storeId: Type.Optional(Type.String({ maxLength: 64 })) }),
        response: { 200: Settings },
      },
    },
    async (request) => installs.effectiveSettings(merchantScope(request.principal, request.query.merchantId), request.params.id, request.query.storeId),
  );

  app.put(
    '/v1/installs/:id/stores/:storeId/settings',
    {
      ...merchant,
      schema: {
        summary: 'Override settings for one store (JSON Merge Patch; null removes the override)',
        tags: ['installs'],
        params: Type.Object({ id: Type.String({ maxLength: 64 }), storeId: Type.String({ maxLength: 64 }) }),
        querystring: MerchantQuery,
        body: Type.Union([Settings, Type.Null()]),
        response: { 200: Install },
      },
    },
    async (request) => installs.setStoreOverride(merchantScope(request.principal, request.query.merchantId), request.params.id, request.params.storeId, request.body),
  );

  app.post(
    '/v1/installs/:id/upgrade',
    {
      ...merchant,
      schema: {
        summary: 'Move to another version; new permissions need consent',
        tags: ['installs'],
        params: InstallParams,
        querystring: MerchantQuery,
        body: Type.Object({ version: Type.String({ maxLength: 64 }), consent: Type.Optional(Type.Array(Permission, { uniqueItems: true })) }, { additionalProperties: false }),
        response: { 200: Install },
      },
    },
    async (request) => installs.upgrade(merchantScope(request.principal, request.query.merchantId), request.params.id, request.body.version, request.body.consent),
  );

  app.post(
    '/v1/installs/:id/rollback',
    { ...merchant, schema: { summary: 'Pin the previous version', tags: ['installs'], params: InstallParams, querystring: MerchantQuery, response: { 200: Install } } },
    async (request) => installs.rollback(merchantScope(request.principal, request.query.merchantId), request.params.id),
  );

  for (const [action, enabled] of [['enable', true], ['disable', false]] as const) {
    app.post(
      `/v1/installs/:id/${action}`,
      { ...merchant, schema: { summary: `${action[0]!.toUpperCase()}${action.slice(1)} the install`, tags: ['installs'], params: InstallParams, querystring: MerchantQuery, response: { 200: Install } } },
      async (request) => installs.setEnabled(merchantScope(request.principal, request.query.merchantId), request.params.id, enabled),
    );
  }

  app.delete(
    '/v1/installs/:id',
    { ...merchant, schema: { summary: 'Uninstall (purges the plugin’s KV storage)', tags: ['installs'], params: InstallParams, querystring: MerchantQuery, response: { 204: Type.Null() } } },
    async (request, reply) => {
      await installs.uninstall(merchantScope(request.principal, request.query.merchantId), request.params.id);
      return reply.status(204).send(null);
    },
  );
};
