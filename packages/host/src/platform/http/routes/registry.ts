import { Type } from '@sinclair/typebox';
import type { HostServices } from '../../../host-services.js';
import type { HostApp } from '../app.js';

const PluginVersionParams = Type.Object({
  plugin: Type.String({ minLength: 1, maxLength: 64 }),
  version: Type.String({ minLength: 1, maxLength: 64 }),
});
const Decision = Type.Object({ comment: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false });
const VersionQuery = Type.Object({
  plugin: Type.Optional(Type.String({ maxLength: 64 })),
  status: Type.Optional(Type.Union([Type.Literal('draft'), Type.Literal('submitted'), Type.Literal('approved'), Type.Literal('rejected')])),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, description: 'Page size (default 50)' })),
  cursor: Type.Optional(Type.String({ maxLength: 512, description: 'nextCursor of the previous page' })),
});

/** Deploy, submit, versions, review queue and decisions. */
export function registerRegistryRoutes(app: HostApp, { registry }: HostServices): void {
  app.post(
    '/v1/versions',
    {
      config: { auth: ['developer'] },
      bodyLimit: 4 * 1024 * 1024,
      schema: {
        summary: 'Deploy a built plugin version (draft) and generate its review report',
        tags: ['registry'],
        body: Type.Object(
          {
            manifest: Type.Object({}, { additionalProperties: true }),
            code: Type.String({ minLength: 1, maxLength: 1024 * 1024 }),
            sourceMap: Type.Optional(Type.String({ maxLength: 3 * 1024 * 1024 })),
            fixtures: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 200 })),
            privateFor: Type.Optional(Type.String({ maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const version = await registry.deploy(request.principal, request.body);
      return reply.status(201).send(version);
    },
  );

  app.post(
    '/v1/plugins/:plugin/versions/:version/submit',
    { config: { auth: ['developer'] }, schema: { summary: 'Submit a draft for review', tags: ['registry'], params: PluginVersionParams } },
    async (request) => registry.submit(request.principal, request.params.plugin, request.params.version),
  );

  app.get(
    '/v1/versions',
    {
      config: { auth: ['developer', 'reviewer', 'merchant'] },
      schema: { summary: 'List the versions the caller may see', tags: ['registry'], querystring: VersionQuery },
    },
    async (request) => registry.listVersions(request.principal, request.query),
  );

  app.get(
    '/v1/plugins/:plugin/versions/:version',
    {
      config: { auth: ['developer', 'reviewer', 'merchant'] },
      schema: { summary: 'A version with its automated review report', tags: ['registry'], params: PluginVersionParams },
    },
    async (request) => registry.getVersion(request.principal, request.params.plugin, request.params.version),
  );

  app.get(
    '/v1/review/queue',
    {
      config: { auth: ['reviewer'] },
      schema: { summary: 'Versions waiting for review', tags: ['review'], querystring: Type.Pick(VersionQuery, ['limit', 'cursor']) },
    },
    async (request) => registry.listVersions(request.principal, { ...request.query, status: 'submitted' }),
  );

  for (const decision of ['approve', 'reject'] as const) {
    app.post(
      `/v1/plugins/:plugin/versions/:version/${decision}`,
      {
        // Merchants may decide on their own brand's private plugins only; the registry checks that.
        config: { auth: ['reviewer', 'merchant'] },
        schema: { summary: `${decision === 'approve' ? 'Approve' : 'Reject'} a submitted version`, tags: ['review'], params: PluginVersionParams, body: Decision },
      },
      async (request) => registry.decide(request.principal, request.params.plugin, request.params.version, decision, request.body.comment ?? ''),
    );
  }
}
