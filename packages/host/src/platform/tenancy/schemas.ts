import { Type, type Static, type TSchema } from '@sinclair/typebox';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Names = Nullable(Type.Array(Type.String(), { description: 'null: all of them' }));

/** A merchant tier (商家分层) as the admin routes answer it. */
export const MerchantTierSchema = Type.Object({ id: Type.String(), name: Type.String(), allowedPlugins: Names, allowedPoints: Names });

/** A merchant as the admin routes answer it. */
export const MerchantSchema = Type.Object({ id: Type.String(), name: Type.String(), tierId: Type.String(), development: Type.Boolean(), timeZone: Type.String() });

/** Where a store sells: a shop, the online shop, or a warehouse that only fulfils. */
export const StoreChannelSchema = Type.Union([Type.Literal('store'), Type.Literal('online'), Type.Literal('warehouse')]);

/** A store id: unique across the host (the stores table's key), lowercase. */
export const StoreIdSchema = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', description: 'lowercase id, unique across the host' });

/** A store of a merchant as the admin routes answer it. */
export const StoreSchema = Type.Object({
  id: Type.String(),
  merchantId: Type.String(),
  name: Type.String(),
  channel: StoreChannelSchema,
});

/** A store as its own merchant sees it (`GET /v1/stores`, `POST /v1/stores`). */
export const MerchantStoreSchema = Type.Object({ id: Type.String(), name: Type.String(), channel: StoreChannelSchema });

/** `GET /v1/stores`: the merchant's stores, by id. */
export const MerchantStoreListSchema = Type.Object({ items: Type.Array(MerchantStoreSchema) });

/** `POST /v1/stores`: a store the merchant creates, or renames and moves to another channel. */
export const MerchantStoreRequestSchema = Type.Object(
  { id: StoreIdSchema, name: Type.String({ minLength: 1, maxLength: 64 }), channel: StoreChannelSchema },
  { additionalProperties: false },
);

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
/** Where a store sells. */
export type StoreChannel = Static<typeof StoreChannelSchema>;
/** A store as its own merchant sees it. */
export type MerchantStore = Static<typeof MerchantStoreSchema>;
/** What `POST /v1/stores` takes. */
export type MerchantStoreRequest = Static<typeof MerchantStoreRequestSchema>;
