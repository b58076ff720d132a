import { Type, type Static, type TSchema } from '@sinclair/typebox';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Names = Nullable(Type.Array(Type.String(), { description: 'null: all of them' }));

/** A merchant tier (商家分层) as the admin routes answer it. */
export const MerchantTierSchema = Type.Object({ id: Type.String(), name: Type.String(), allowedPlugins: Names, allowedPoints: Names });

/** A merchant as the admin routes answer it. */
export const MerchantSchema = Type.Object({ id: Type.String(), name: Type.String(), tierId: Type.String(), development: Type.Boolean(), timeZone: Type.String() });

/** A store of a merchant as the admin routes answer it. */
export const StoreSchema = Type.Object({
  id: Type.String(),
  merchantId: Type.String(),
  name: Type.String(),
  channel: Type.Union([Type.Literal('store'), Type.Literal('online'), Type.Literal('warehouse')]),
});

/** A developer as the admin routes answer it. */
export const DeveloperSchema = Type.Object({ id: Type.String(), name: Type.String() });

/** A bearer token just issued (the only time it is shown). */
export const IssuedTokenSchema = Type.Object({
  role: Type.Union([Type.Literal('developer'), Type.Literal('reviewer'), Type.Literal('merchant'), Type.Literal('admin')]),
  subjectId: Type.String(),
  token: Type.String(),
});

/** A plugin of the merchant's catalog: what installing it without a version would install. */
export const CatalogEntrySchema = Type.Object({
  plugin: Type.String(),
  version: Type.String(),
  status: Type.String(),
  description: Nullable(Type.String()),
  permissions: Type.Array(Type.String()),
  points: Type.Array(Type.String()),
  events: Type.Array(Type.String()),
  settingsSchema: Type.Unknown({ description: 'The plugin’s settings JSON Schema' }),
});

/** `GET /v1/catalog`. */
export const CatalogSchema = Type.Object({ items: Type.Array(CatalogEntrySchema) });

/** A plugin of the merchant's catalog. */
export type CatalogEntry = Static<typeof CatalogEntrySchema>;
/** A bearer token just issued. */
export type IssuedToken = Static<typeof IssuedTokenSchema>;
