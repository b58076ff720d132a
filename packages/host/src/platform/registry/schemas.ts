import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { Manifest } from '@tongkit/sdk';
import type { ReviewReport } from './review-report.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** Where a version is in review. */
export const VersionStatusSchema = Type.Union([Type.Literal('draft'), Type.Literal('submitted'), Type.Literal('approved'), Type.Literal('rejected')]);

/** `POST /v1/versions`: what `tongkit deploy` uploads. */
export const DeployRequestSchema = Type.Object(
  {
    manifest: Type.Object({}, { additionalProperties: true }),
    code: Type.String({ minLength: 1, maxLength: 1024 * 1024 }),
    sourceMap: Type.Optional(Type.String({ maxLength: 3 * 1024 * 1024 })),
    fixtures: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 200 })),
    /** Make this a brand's private plugin for one merchant (first deploy only). */
    privateFor: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

/** `GET /v1/versions`: filters and paging. */
export const VersionQuerySchema = Type.Object({
  plugin: Type.Optional(Type.String({ maxLength: 64 })),
  status: Type.Optional(VersionStatusSchema),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, description: 'Page size (default 50)' })),
  cursor: Type.Optional(Type.String({ maxLength: 512, description: 'nextCursor of the previous page' })),
});

/** A version as listings show it (no bundle): what the registry routes answer. */
export const VersionSummarySchema = Type.Object({
  plugin: Type.String(),
  version: Type.String(),
  status: VersionStatusSchema,
  sha256: Type.String(),
  bytes: Type.Integer(),
  permissions: Type.Array(Type.String()),
  points: Type.Array(Type.String()),
  events: Type.Array(Type.String()),
  reviewComment: Nullable(Type.String()),
  reviewedBy: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  submittedAt: Nullable(Type.String({ format: 'date-time' })),
  reviewedAt: Nullable(Type.String({ format: 'date-time' })),
  checksPassed: Type.Boolean({ description: 'True when the automated checks passed' }),
  privateFor: Nullable(Type.String({ description: 'The merchant a brand’s private plugin is for' })),
});

/** One page of versions, newest first; `nextCursor` is null on the last page. */
export const VersionPageSchema = Type.Object({ items: Type.Array(VersionSummarySchema), nextCursor: Nullable(Type.String()) });

/**
 * A version with its manifest and automated review report. Both are documents of their own (the
 * manifest's schema is the SDK's `ManifestSchema`; the report is built by review-report.ts) and pass
 * through whole.
 */
export const VersionDetailSchema = Type.Intersect([
  VersionSummarySchema,
  Type.Object({
    manifest: Type.Unsafe<Manifest>(Type.Object({}, { additionalProperties: true, description: 'The version’s manifest (tongkit.json)' })),
    report: Type.Unsafe<ReviewReport>(Type.Object({}, { additionalProperties: true, description: 'The automated review report' })),
  }),
]);

/** Where a version is in review. */
export type VersionStatus = Static<typeof VersionStatusSchema>;
/** A version as listings show it (no bundle). */
export type VersionSummary = Static<typeof VersionSummarySchema>;
/** One page of versions, newest first; `nextCursor` is null on the last page. */
export type VersionPage = Static<typeof VersionPageSchema>;
/** A version with its automated review report. */
export type VersionDetail = Static<typeof VersionDetailSchema>;
/** What `tongkit deploy` uploads. */
export type DeployUpload = Static<typeof DeployRequestSchema>;
/** Filters and paging of the version listings. */
export type VersionFilter = Static<typeof VersionQuerySchema>;
