import { Type, type Static } from '@sinclair/typebox';
import { PERMISSION_NAMES } from '@tongkit/sdk';

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
