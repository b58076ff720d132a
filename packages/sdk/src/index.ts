/**
 * @tongkit/sdk — what Tongkit plugins import.
 *
 * @example
 * import { definePlugin, Type } from '@tongkit/sdk';
 * export default definePlugin({ name: 'acme-tiers', version: '1.0.0', apiVersion: '2026-11', extensions: { … } });
 *
 * @packageDocumentation
 */
export { Type, type Static, type TSchema } from '@sinclair/typebox';
export * from './catalogue/index.js';
export * from './define-plugin.js';
export * from './events/index.js';
export * from './errors.js';
export * from './host-api/index.js';
export * from './manifest.js';
export * from './money.js';
export * from './permissions.js';

/** The version of this SDK, recorded in every built manifest. */
export const SDK_VERSION = '0.1.0';
