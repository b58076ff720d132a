import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { PERMISSION_NAMES } from '@tongkit/sdk';
import { BackfillStatusSchema } from './backfill.js';

/** A permission name of the catalogue, as a schema. */
export const PermissionSchema = Type.Union(PERMISSION_NAMES.map((p) => Type.Literal(p)));

/** What `POST /v1/installs` takes: the route validates it, and the service's type is derived from it. */
export const InstallRequestSchema = Type.Object(
  {
    plugin: Type.String({ minLength: 1, maxLength: 64 }),
    /** Defaults to the newest version the merchant may run. */
    version: Type.Optional(Type.String({ maxLength: 64 })),
    settings: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    /** The permissions the merchant consents to; must cover the manifest's. */
    grantPermissions: Type.Array(PermissionSchema, { uniqueItems: true }),
    /** Defaults to every point / event the plugin declares. */
    enablePoints: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 50 })),
    enableEvents: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 50 })),
  },
  { additionalProperties: false },
);

/** An install request (`Static<typeof InstallRequestSchema>`: no hand-written mirror of the route body). */
export type InstallRequest = Static<typeof InstallRequestSchema>;

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
/** Settings as a merchant set them: the plugin's settings schema (checked by the service) says the rest. */
export const SettingsSchema = Type.Record(Type.String(), Type.Unknown());

/** An install as the API returns it. */
export const InstallSchema = Type.Object({
  id: Type.String(),
  merchantId: Type.String(),
  plugin: Type.String(),
  version: Type.String(),
  previousVersion: Nullable(Type.String({ description: 'What rollback pins' })),
  pendingVersion: Nullable(Type.String({ description: 'An upgrade waiting for the merchant’s consent' })),
  status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]),
  settings: SettingsSchema,
  grantedPermissions: Type.Array(PermissionSchema),
  enabledPoints: Type.Array(Type.String()),
  enabledEvents: Type.Array(Type.String()),
  storeOverrides: Type.Record(Type.String(), Type.Unknown(), { description: 'Per store id, its JSON Merge Patch over the settings' }),
  backfill: Nullable(BackfillStatusSchema),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

/** `GET /v1/installs`: the merchant's installs. */
export const InstallListSchema = Type.Object({ items: Type.Array(InstallSchema) });

/** An install as the API returns it. */
export type Install = Static<typeof InstallSchema>;
