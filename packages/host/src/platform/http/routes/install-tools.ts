import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { merchantScope } from '../../auth/principal.js';
import { MAX_PREVIEW_INVOCATIONS, SettingsImpactSchema, SettingsPreview } from '../../installs/settings-preview.js';
import { BackfillStatusSchema } from '../../installs/backfill.js';
import type { HostApp } from '../app.js';
import type { HostRoutes } from '../host-routes.js';
import { MerchantQuery } from '../merchant-query.js';

const InstallParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const PointParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), point: Type.String({ minLength: 1, maxLength: 64 }) });

/**
 * What an operator uses before and beside saving settings: one extension point switched on or off, and
 * the settings impact preview (how many recent decisions the proposed settings would change).
 */
export const installToolRoutes: HostRoutes = async (instance, { services }) => {
  const app: HostApp = instance.withTypeProvider<TypeBoxTypeProvider>();
  const { installs, extensions, db, backfills } = services;
  const preview = new SettingsPreview(db, installs, extensions);
  const merchant = { config: { auth: ['merchant'] as ['merchant'] } };

  app.put(
    '/v1/installs/:id/points/:point',
    {
      ...merchant,
      schema: {
        summary: 'Switch one extension point of the install on or off (its other points and events stay as they are)',
        tags: ['installs'],
        params: PointParams,
        querystring: MerchantQuery,
        body: Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false }),
        response: { 200: Type.Object({ installId: Type.String(), point: Type.String(), enabled: Type.Boolean(), enabledPoints: Type.Array(Type.String()) }) },
      },
    },
    async (request) => {
      const install = await installs.setPointEnabled(merchantScope(request.principal, request.query.merchantId), request.params.id, request.params.point, request.body.enabled);
      return { installId: install.id, point: request.params.point, enabled: install.enabledPoints.includes(request.params.point), enabledPoints: install.enabledPoints };
    },
  );

  app.post(
    '/v1/installs/:id/settings/preview',
    {
      ...merchant,
      schema: {
        summary: 'Settings impact preview: replay the install’s recent invocations with proposed settings; nothing is saved',
        description:
          `Runs the last \`limit\` (≤ ${MAX_PREVIEW_INVOCATIONS}) successful logged invocations again in the sandbox, with the current and with the proposed settings ` +
          '(each store’s override merged over them), and reports how many decisions change, the most frequent value changes and samples. ' +
          'The proposed settings are validated as a save validates them.',
        tags: ['installs'],
        params: InstallParams,
        querystring: MerchantQuery,
        body: Type.Object(
          { settings: Type.Record(Type.String(), Type.Unknown()), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PREVIEW_INVOCATIONS, default: MAX_PREVIEW_INVOCATIONS })) },
          { additionalProperties: false },
        ),
        response: { 200: SettingsImpactSchema },
      },
    },
    async (request) => preview.preview(merchantScope(request.principal, request.query.merchantId), request.params.id, request.body.settings, request.body.limit),
  );

  app.post(
    '/v1/installs/:id/backfill/resume',
    {
      ...merchant,
      schema: {
        summary: 'Resume a failed backfill: its failed page of members is sent to the plugin again',
        description:
          'A plugin that handles `install.backfill` gets the members who existed at install, a page at a time; a page that dead-letters stops the backfill (`backfill.status: failed` in the install, with the error). ' +
          'Fix the cause (a new version, settings), then resume: the page is sent again under a new event id. Resuming a running backfill changes nothing; one that is done is TK_CONFLICT.',
        tags: ['installs'],
        params: InstallParams,
        querystring: MerchantQuery,
        response: { 200: BackfillStatusSchema },
      },
    },
    async (request) => {
      const merchantId = merchantScope(request.principal, request.query.merchantId);
      await installs.get(merchantId, request.params.id); // another merchant's install is TK_NOT_FOUND, as everywhere
      return backfills.resume(merchantId, request.params.id);
    },
  );
};
