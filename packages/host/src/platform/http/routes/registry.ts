import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { HostApp } from '../app.js';
import type { HostRoutes } from '../host-routes.js';
import { DeployRequestSchema, VersionDetailSchema, VersionPageSchema, VersionQuerySchema as VersionQuery, VersionSummarySchema } from '../../registry/schemas.js';

const PluginVersionParams = Type.Object({
  plugin: Type.String({ minLength: 1, maxLength: 64 }),
  version: Type.String({ minLength: 1, maxLength: 64 }),
});
const Decision = Type.Object({ comment: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false });

/** Deploy, submit, versions, review queue and decisions. */
export const registryRoutes: HostRoutes = async (instance, { services }) => {
  const app: HostApp = instance.withTypeProvider<TypeBoxTypeProvider>();
  const { registry } = services;
  app.post(
    '/v1/versions',
    {
      config: { auth: ['developer'] },
      bodyLimit: 4 * 1024 * 1024,
      schema: {
        summary: 'Deploy a built plugin version (draft) and generate its review report',
        tags: ['registry'],
        body: DeployRequestSchema,
        response: { 201: VersionDetailSchema },
      },
    },
    async (request, reply) => {
      const version = await registry.deploy(request.principal, request.body);
      return reply.status(201).send(version);
    },
  );

  app.post(
    '/v1/plugins/:plugin/versions/:version/submit',
    { config: { auth: ['developer'] }, schema: { summary: 'Submit a draft for review', tags: ['registry'], params: PluginVersionParams, response: { 200: VersionSummarySchema } } },
    async (request) => registry.submit(request.principal, request.params.plugin, request.params.version),
  );

  app.get(
    '/v1/versions',
    {
      config: { auth: ['developer', 'reviewer', 'merchant'] },
      schema: { summary: 'List the versions the caller may see', tags: ['registry'], querystring: VersionQuery, response: { 200: VersionPageSchema } },
    },
    async (request) => registry.listVersions(request.principal, request.query),
  );

  app.get(
    '/v1/plugins/:plugin/versions/:version',
    {
      config: { auth: ['developer', 'reviewer', 'merchant'] },
      schema: { summary: 'A version with its automated review report', tags: ['registry'], params: PluginVersionParams, response: { 200: VersionDetailSchema } },
    },
    async (request) => registry.getVersion(request.principal, request.params.plugin, request.params.version),
  );

  app.get(
    '/v1/review/queue',
    {
      config: { auth: ['reviewer'] },
      schema: { summary: 'Versions waiting for review', tags: ['review'], querystring: Type.Pick(VersionQuery, ['limit', 'cursor']), response: { 200: VersionPageSchema } },
    },
    async (request) => registry.listVersions(request.principal, { ...request.query, status: 'submitted' }),
  );

  for (const decision of ['approve', 'reject'] as const) {
    app.post(
      `/v1/plugins/:plugin/versions/:version/${decision}`,
      {
        // Merchants may decide on their own brand's private plugins only; the registry checks that.
        config: { auth: ['reviewer', 'merchant'] },
        schema: { summary: `${decision === 'approve' ? 'Approve' : 'Reject'} a submitted version`, tags: ['review'], params: PluginVersionParams, body: Decision, response: { 200: VersionSummarySchema } },
      },
      async (request) => registry.decide(request.principal, request.params.plugin, request.params.version, decision, request.body.comment ?? ''),
    );
  }
};
