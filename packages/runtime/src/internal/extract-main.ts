/**
 * Child process of {@link extractDefinition}: reads a manifest-pass bundle on stdin, runs it in a
 * throwaway isolate and prints `{ definition }` or `{ error }` (a TkError's JSON) on stdout.
 */
import ivm from 'isolated-vm';
import { TkError } from '@tongkit/sdk';
import { BUNDLE_GLOBAL } from './prelude.js';

const MANIFEST_EXTRACTION = `(() => {
  const ns = globalThis.${BUNDLE_GLOBAL};
  const d = ns && ns.default;
  if (!d || typeof d !== 'object') return JSON.stringify({ error: 'the entry has no default export: export default definePlugin({...})' });
  const keys = (o) => (o && typeof o === 'object' ? Object.keys(o) : []);
  return JSON.stringify({
    name: d.name, version: d.version, apiVersion: d.apiVersion, description: d.description,
    permissions: d.permissions === undefined ? [] : d.permissions,
    settings: d.settings === undefined ? {} : d.settings,
    extensions: keys(d.extensions), events: keys(d.events),
    ...(Array.isArray(d.schedules) && d.schedules.length > 0
      ? { schedules: d.schedules.map((s) => (s && typeof s === 'object' ? { name: s.name, cron: s.cron, handler: 'schedules.' + s.name } : s)) }
      : {}),
  });
})()`;

function extract(code: string): Record<string, unknown> {
  const isolate = new ivm.Isolate({ memoryLimit: 64 });
  try {
    const context = isolate.createContextSync();
    let json: unknown;
    try {
      isolate.compileScriptSync(code, { filename: 'plugin.js' }).runSync(context, { timeout: 2000 });
      json = context.evalSync(MANIFEST_EXTRACTION, { timeout: 2000 });
    } catch (error) {
      throw new TkError('TK_BUILD_FAILED', `the plugin's top-level code failed while reading its definition: ${(error as Error).message}`, {
        hint: 'Keep top-level code to definePlugin({...}); do work inside handlers.',
      });
    }
    const definition = JSON.parse(String(json)) as Record<string, unknown>;
    if (typeof definition['error'] === 'string') throw new TkError('TK_MANIFEST_INVALID', definition['error']);
    return definition;
  } finally {
    isolate.dispose();
  }
}

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
let answer: unknown;
try {
  answer = { definition: extract(Buffer.concat(chunks).toString('utf8')) };
} catch (error) {
  answer = { error: TkError.from(error, 'reading the plugin definition failed', { code: 'TK_BUILD_FAILED' }).toJSON() };
}
process.stdout.write(JSON.stringify(answer));
