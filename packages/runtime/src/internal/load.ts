import { createHash } from 'node:crypto';
import { ManifestSchema, TkError, type Manifest } from '@tongkit/sdk';
import type { TSchema } from '@sinclair/typebox';
import { assertMatches } from './validation.js';
import { settingsSchemaFromJson } from './settings-schema.js';
import { checkCatalogueNames } from './catalogue-names.js';
import type { GuestRegistration } from './plugin-isolate.js';

/** The largest plugin bundle the platform accepts, in bytes (DESIGN limits). */
export const MAX_BUNDLE_BYTES = 256 * 1024;

/** A built plugin: what `tongkit build` writes to `dist/` and what a host stores per version. */
export interface PluginBundle {
  manifest: Manifest;
  /** The guest bundle (`dist/plugin.js`). */
  code: string;
  /** Its source map (`dist/plugin.js.map`), used to map guest stacks to the plugin's sources. */
  sourceMap?: string | undefined;
}

/** The checks made before any plugin code runs: manifest shape, settings schema, bundle hash and size. */
export function verifyBundle(bundle: { manifest: unknown; code: unknown }): { manifest: Manifest; settingsSchema: TSchema; sha256: string } {
  if (typeof bundle.manifest === 'object' && bundle.manifest !== null) checkCatalogueNames(bundle.manifest);
  assertMatches(ManifestSchema, bundle.manifest, 'TK_MANIFEST_INVALID', 'the manifest');
  const manifest = bundle.manifest as Manifest;
  if (typeof bundle.code !== 'string' || bundle.code.length === 0) {
    throw new TkError('TK_MANIFEST_INVALID', 'the plugin bundle is empty', { path: '/bundle' });
  }
  const bytes = Buffer.byteLength(bundle.code);
  if (bytes > MAX_BUNDLE_BYTES) {
    throw new TkError('TK_MANIFEST_INVALID', `the bundle is ${formatKb(bytes)}, over the ${formatKb(MAX_BUNDLE_BYTES)} limit`, {
      path: '/bundle/bytes',
      hint: 'Drop heavy dependencies from the plugin (TypeBox and Node APIs are never needed inside it).',
      details: { bytes, limit: MAX_BUNDLE_BYTES },
    });
  }
  const sha256 = createHash('sha256').update(bundle.code).digest('hex');
  if (sha256 !== manifest.bundle.sha256) {
    throw new TkError('TK_MANIFEST_INVALID', 'the bundle does not match the sha256 in its manifest: it changed after it was built', {
      path: '/bundle/sha256',
      hint: 'Rebuild the plugin with `tongkit build`; a host refuses bundles that differ from the reviewed one.',
      details: { expected: manifest.bundle.sha256, actual: sha256 },
    });
  }
  return { manifest, settingsSchema: settingsSchemaFromJson(manifest.settings), sha256 };
}

/** The manifest must describe what the bundle really contains: no hidden or missing handlers. */
export function checkRegistrationMatches(manifest: Manifest, registration: GuestRegistration): void {
  const declared = new Set<string>([...manifest.extensions, ...manifest.events.map((e) => `event ${e}`)]);
  const present = new Set([...registration.extensions, ...registration.events.map((e) => `event ${e}`)]);
  const undeclared = [...present].filter((p) => !declared.has(p));
  const missing = [...declared].filter((p) => !present.has(p));
  if (undeclared.length > 0 || missing.length > 0) {
    throw new TkError(
      'TK_MANIFEST_INVALID',
      `the manifest does not match the bundle: ${[
        undeclared.length ? `handlers not in the manifest: ${undeclared.join(', ')}` : '',
        missing.length ? `declared but not implemented: ${missing.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; ')}`,
      { path: '/extensions', hint: 'Rebuild with `tongkit build` so the manifest is generated from the code.' },
    );
  }
}

export function formatKb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}
