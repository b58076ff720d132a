// The Tongkit toolchain pin, like a Gradle wrapper: plain JavaScript that runs on any Node ≥ 18.
//
// Why it exists: isolated-vm 7 (the first release without a published sandbox escape) ships binaries
// for Node 24 and 26 only. A machine whose system Node is older still gets a working `tongkit` and
// working `npm test`: the first run installs `node-<platform>-<arch>@24` from the npm registry into a
// cache folder, and every later run re-executes under it. On Node 24/26 this is a no-op.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, mkdtempSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Node majors that isolated-vm 7 ships prebuilt binaries for. */
export const SUPPORTED_NODE_MAJORS = [24, 26];
const PINNED_MAJOR = 24;

/** True when the running Node can load isolated-vm. */
export function runningNodeIsSupported() {
  const major = Number(process.versions.node.split('.')[0]);
  return SUPPORTED_NODE_MAJORS.includes(major);
}

function cacheRoot() {
  if (process.env.TONGKIT_NODE_CACHE) return process.env.TONGKIT_NODE_CACHE;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'tongkit', `node-${PINNED_MAJOR}-${process.platform}-${process.arch}`);
}

function binaryIn(dir) {
  const pkg = `node-${process.platform}-${process.arch}`;
  return join(dir, 'node_modules', pkg, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
}

/**
 * Returns the path of a Node binary that can run Tongkit: the running one when supported, else the
 * cached pinned one, installing it first if needed (once; concurrent first runs race safely because the
 * install happens in a private temp folder that is renamed into place).
 */
export function ensureSupportedNode() {
  if (runningNodeIsSupported()) return process.execPath;
  const root = cacheRoot();
  const cached = binaryIn(root);
  if (existsSync(cached)) return cached;

  const pkg = `node-${process.platform}-${process.arch}@${PINNED_MAJOR}`;
  process.stderr.write(
    `tongkit: Node ${process.versions.node} cannot load isolated-vm; installing ${pkg} from the npm registry into ${root} (once)…\n`,
  );
  const parent = join(root, '..');
  mkdirSync(parent, { recursive: true });
  const staging = mkdtempSync(join(parent, '.staging-'));
  const npm = process.env.npm_execpath
    ? { cmd: process.execPath, args: [process.env.npm_execpath] }
    : { cmd: process.platform === 'win32' ? 'npm.cmd' : 'npm', args: [] };
  const result = spawnSync(
    npm.cmd,
    [...npm.args, 'install', '--prefix', staging, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--ignore-scripts=false', pkg],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (result.status !== 0 || !existsSync(binaryIn(staging))) {
    rmSync(staging, { recursive: true, force: true });
    process.stderr.write(
      `tongkit: TK_TOOLCHAIN could not install ${pkg}. Install Node 24 or 26 yourself (https://nodejs.org) and run the command again.\n`,
    );
    process.exit(1);
  }
  try {
    renameSync(staging, root);
  } catch {
    // Another process won the race; its copy is as good as ours.
    rmSync(staging, { recursive: true, force: true });
  }
  return cached;
}

/** NODE_OPTIONS with `--no-node-snapshot`, which isolated-vm requires on Node ≥ 20. */
export function nodeOptionsWithNoSnapshot(existing = process.env.NODE_OPTIONS ?? '') {
  return existing.includes('--no-node-snapshot') ? existing : `${existing} --no-node-snapshot`.trim();
}

/**
 * Runs `command` with inherited stdio and exits with its status. Signals sent to this process
 * (Ctrl-C, a supervisor's SIGTERM) are passed on, so stopping the wrapper stops the real process.
 */
export function runChild(command, args, env) {
  const child = spawn(command, args, { stdio: 'inherit', env, shell: process.platform === 'win32' });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (child.exitCode === null) child.kill(signal);
    });
  }
  child.on('error', (error) => {
    process.stderr.write(`tongkit: could not start ${command}: ${error.message}\n`);
    process.exit(127);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    process.exit(code ?? 1);
  });
}
