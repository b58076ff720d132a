#!/usr/bin/env node
// `tongkit-node <command…>`: runs a command with a Node that can load isolated-vm first on PATH
// (see toolchain.mjs). Root npm scripts and scaffolded projects use it: `tongkit-node vitest run`.
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { delimiter } from 'node:path';
import { ensureSupportedNode, nodeOptionsWithNoSnapshot } from './toolchain.mjs';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write('usage: tongkit-node <command> [args…]   runs the command under Node 24/26\n');
  process.exit(2);
}
const node = ensureSupportedNode();
const env = {
  ...process.env,
  PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ''}`,
  NODE_OPTIONS: nodeOptionsWithNoSnapshot(),
};
const result = spawnSync(command, args, { stdio: 'inherit', env, shell: process.platform === 'win32' });
if (result.error) {
  process.stderr.write(`tongkit-node: could not start ${command}: ${result.error.message}\n`);
  process.exit(127);
}
process.exit(result.status ?? (result.signal ? 128 + 1 : 1));
