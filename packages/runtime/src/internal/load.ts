import { createHash } from 'node:crypto';
import { ManifestSchema, TkError, type Manifest } from '@tongkit/sdk';
import type { TSchema } from '@sinclair/typebox';
import { assertMatches } from './validation.js';
import { settingsSchemaFromJson } from './settings-schema.js';
import { checkCatalogueNames } from './catalogue-names.js';
import { checkSchedules } from './schedules.js';
import type { GuestRegistration } from './plugin-isolate.js';

/** The largest plugin bundle the platform accepts, in bytes (DESIGN limits). */
export const MAX_BUNDLE_BYTES = 256 * 1024;
/**
 * The largest source map accepted with a bundle. The host parses it to map guest stacks, which a plugin
 * can trigger at will by throwing: a 20 MB map would cost the host ~0.6 s of CPU.
 */
export const MAX_SOURCE_MAP_BYTES = 16 * MAX_BUNDLE_BYTES;

/** A built plugin: what `tongkit build` writes to `dist/` and what a host stores per version. */
export interface PluginBundle {
  manifest: Manifest;
  /** The guest bundle (`dist/plugin.js`). */
  code: string;
  /** Its source map (`dist/plugin.js.map`), used to map guest stacks to the plugin's sources. */
  sourceMap?: string | undefined;
}

/** The checks made before any plugin code runs: manifest shape, settings schema, bundle hash and size. */
export function verifyBundle(bundle: { manifest: unknown; code: unknown; sourceMap?: unknown }): { manifest: Manifest; settingsSchema: TSchema; sha256: string } {
  if (typeof bundle.manifest === 'object' && bundle.manifest !== null) checkCatalogueNames(bundle.manifest);
  assertMatches(ManifestSchema, bundle.manifest, 'TK_MANIFEST_INVALID', 'the manifest');
  checkSchedules(bundle.manifest as { schedules?: unknown });
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
  // The host stores and shows this figure (registry, review report): it must be the bundle's.
  if (manifest.bundle.bytes !== bytes) {
    throw new TkError('TK_MANIFEST_INVALID', `the manifest says the bundle is ${manifest.bundle.bytes} bytes, but it is ${bytes}`, {
      path: '/bundle/bytes',
      hint: 'Rebuild the plugin with `tongkit build`: the manifest must describe the bundle it comes with.',
      details: { declared: manifest.bundle.bytes, actual: bytes },
    });
  }
  if (bundle.sourceMap !== undefined && (typeof bundle.sourceMap !== 'string' || Buffer.byteLength(bundle.sourceMap) > MAX_SOURCE_MAP_BYTES)) {
    throw new TkError('TK_MANIFEST_INVALID', `the source map is not a string of at most ${formatKb(MAX_SOURCE_MAP_BYTES)}`, {
      path: '/sourceMap',
      hint: 'Rebuild the plugin with `tongkit build`; drop heavy dependencies if the map is still too large.',
      details: { limit: MAX_SOURCE_MAP_BYTES },
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
