import { Type, type Static } from '@sinclair/typebox';
import { API_VERSIONS, EVENT_NAMES, EXTENSION_POINT_IDS } from './catalogue/index.js';
import { PERMISSION_NAMES } from './permissions.js';

/** `name` of a plugin: lowercase letters, digits and dashes, like an npm package name without scope. */
export const PLUGIN_NAME_PATTERN = '^[a-z][a-z0-9-]{1,62}[a-z0-9]$';
/** Semantic version, e.g. `1.2.0` or `1.2.0-beta.1`. */
export const SEMVER_PATTERN = '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(-[0-9A-Za-z.-]+)?$';

/** How many cron triggers one plugin may declare. */
export const MAX_SCHEDULES = 16;

/**
 * One cron trigger of a plugin: `cron` is five fields (minute hour day-of-month month day-of-week),
 * evaluated in each merchant's time zone; `handler` names the definition's handler (`schedules.<name>`).
 * The expression itself is checked with croner at build and at review (TK_VALIDATION with its path).
 */
export const ManifestScheduleSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$', description: 'Schedule name, unique in the plugin, e.g. nightly-expiry-reminder' }),
    cron: Type.String({ minLength: 9, maxLength: 100, description: 'Five-field cron, e.g. 0 9 * * 1' }),
    handler: Type.String({ pattern: '^schedules\\.[a-z][a-z0-9-]{0,62}$', description: 'The handler the host runs: schedules.<name>' }),
  },
  { additionalProperties: false },
);

/**
 * The manifest `tongkit build` writes next to the bundle (`dist/manifest.json`): everything the host
 * needs to know about a plugin without running it. Published as JSON Schema for editors
 * (`tongkit schema manifest`).
 */
export const ManifestSchema = Type.Object(
  {
    manifestVersion: Type.Literal(1),
    name: Type.String({ pattern: PLUGIN_NAME_PATTERN, description: 'Plugin name, e.g. acme-tiers' }),
    version: Type.String({ pattern: SEMVER_PATTERN, maxLength: 64, description: 'Semantic version of this build' }),
    apiVersion: Type.Union(API_VERSIONS.map((v) => Type.Literal(v)), { description: 'Contract version of points and events' }),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    permissions: Type.Array(Type.Union(PERMISSION_NAMES.map((p) => Type.Literal(p))), {
      uniqueItems: true,
      description: 'Host capabilities asked for at install',
    }),
    settings: Type.Object({}, { additionalProperties: true, description: 'JSON Schema of the merchant settings form' }),
    extensions: Type.Array(Type.Union(EXTENSION_POINT_IDS.map((p) => Type.Literal(p))), {
      uniqueItems: true,
      description: 'Extension points the bundle implements',
    }),
    events: Type.Array(Type.Union(EVENT_NAMES.map((e) => Type.Literal(e))), { uniqueItems: true }),
    schedules: Type.Optional(
      Type.Array(ManifestScheduleSchema, { maxItems: MAX_SCHEDULES, description: 'Cron triggers; the host runs each at least once per (install, schedule, slot)' }),
    ),
    bundle: Type.Object(
      {
        file: Type.Literal('plugin.js'),
        sha256: Type.String({ pattern: '^[a-f0-9]{64}$' }),
        bytes: Type.Integer({ minimum: 1 }),
      },
      { additionalProperties: false },
    ),
    sdkVersion: Type.String({ maxLength: 64 }),
  },
  { additionalProperties: false, $id: 'https://tongkit.dev/schemas/manifest.json', title: 'Tongkit plugin manifest' },
);

/** A validated plugin manifest. */
export type Manifest = Static<typeof ManifestSchema>;
