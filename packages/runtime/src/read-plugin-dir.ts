import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TkError } from '@tongkit/sdk';
import type { PluginBundle } from './internal/load.js';

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Reads a built plugin (`manifest.json`, `plugin.js`, optional `plugin.js.map`) from a folder such as
 * `dist/`. The manifest is parsed, not yet verified: {@link Runtime.load} verifies it.
 */
export async function readPluginDir(dir: string): Promise<PluginBundle> {
  const [manifestText, code, sourceMap] = await Promise.all([
    readOptional(join(dir, 'manifest.json')),
    readOptional(join(dir, 'plugin.js')),
    readOptional(join(dir, 'plugin.js.map')),
  ]);
  if (manifestText === undefined || code === undefined) {
    throw new TkError('TK_NOT_FOUND', `no built plugin in ${dir} (manifest.json and plugin.js)`, {
      fault: 'user',
      hint: 'Run `tongkit build` first.',
    });
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(manifestText);
  } catch (error) {
    throw new TkError('TK_MANIFEST_INVALID', `${join(dir, 'manifest.json')} is not JSON: ${(error as Error).message}`);
  }
  return { manifest: manifest as PluginBundle['manifest'], code, sourceMap };
}
