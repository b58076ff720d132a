#!/usr/bin/env node
// `tongkit-node <command…>`: runs a command with a Node that can load isolated-vm first on PATH
// (see toolchain.mjs). Root npm scripts and scaffolded projects use it: `tongkit-node vitest run`.
import { delimiter, dirname } from 'node:path';
import { ensureSupportedNode, nodeOptionsWithNoSnapshot, runChild } from './toolchain.mjs';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write('usage: tongkit-node <command> [args…]   runs the command under Node 24/26\n');
  process.exit(2);
}
const node = ensureSupportedNode();
runChild(command, args, {
  ...process.env,
  PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ''}`,
  NODE_OPTIONS: nodeOptionsWithNoSnapshot(),
});
