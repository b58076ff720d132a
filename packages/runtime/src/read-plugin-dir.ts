import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { TkError } from '@tongkit/sdk';
import { MAX_SOURCE_MAP_BYTES, type PluginBundle } from './internal/load.js';
import { MAX_MANIFEST_DEPTH } from './internal/json-depth.js';
import { readProjectFile } from './internal/project-files.js';
import { nestsDeeperThan } from './internal/validation.js';

/**
 * The most read of each file: generous, so that `load()` reports a bundle or map over its limit with
 * its JSON path, while a link to `/dev/zero` is still refused before it fills the memory.
 */
const MAX_DIST_FILE_BYTES = 4 * MAX_SOURCE_MAP_BYTES;

function notBuilt(dir: string): TkError {
  return new TkError('TK_NOT_FOUND', `no built plugin in ${dir} (manifest.json and plugin.js)`, {
    fault: 'user',
    hint: 'Run `tongkit build` first.',
  });
}

/**
 * Reads a built plugin (`manifest.json`, `plugin.js`, optional `plugin.js.map`) from a folder such as
 * `dist/`. The manifest is parsed, not yet verified: {@link Runtime.load} verifies it. The files must be
 * regular files inside the folder (a link to `/dev/zero` or out of the folder is TK_VALIDATION).
 *
 * @example
 * const plugin = await createRuntime().load(await readPluginDir('dist'));
 */
export async function readPluginDir(dir: string): Promise<PluginBundle> {
  let realDir: string;
  try {
    realDir = await realpath(dir);
  } catch {
    throw notBuilt(dir);
  }
  const read = (name: string) => readProjectFile({ path: join(realDir, name), realRoot: realDir, label: join(dir, name), maxBytes: MAX_DIST_FILE_BYTES });
  const [manifestText, code, sourceMap] = await Promise.all([read('manifest.json'), read('plugin.js'), read('plugin.js.map')]);
  if (manifestText === undefined || code === undefined) throw notBuilt(dir);
  let manifest: unknown;
  try {
    manifest = JSON.parse(manifestText);
  } catch (error) {
    throw new TkError('TK_MANIFEST_INVALID', `${join(dir, 'manifest.json')} is not JSON: ${(error as Error).message}`);
  }
  if (nestsDeeperThan(manifest, MAX_MANIFEST_DEPTH)) {
    throw new TkError('TK_MANIFEST_INVALID', `${join(dir, 'manifest.json')} nests objects and arrays deeper than ${MAX_MANIFEST_DEPTH} levels`, {
      path: '/',
      hint: 'Rebuild the plugin with `tongkit build`.',
    });
  }
  return { manifest: manifest as PluginBundle['manifest'], code, sourceMap };
}
