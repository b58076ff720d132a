#!/usr/bin/env node
// The `tongkit` binary. Before oclif loads, make sure we run on a Node that can load isolated-vm and
// with `--no-node-snapshot` (isolated-vm requires it on Node ≥ 20); otherwise re-execute ourselves.
import { fileURLToPath } from 'node:url';
import { ensureSupportedNode, nodeOptionsWithNoSnapshot, runChild, runningNodeIsSupported } from './toolchain.mjs';

const snapshotOff =
  process.execArgv.includes('--no-node-snapshot') || (process.env.NODE_OPTIONS ?? '').includes('--no-node-snapshot');

if (!runningNodeIsSupported() || !snapshotOff) {
  const node = ensureSupportedNode();
  runChild(node, ['--no-node-snapshot', fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    ...process.env,
    NODE_OPTIONS: nodeOptionsWithNoSnapshot(),
  });
} else {
  const { execute } = await import('@oclif/core');
  await execute({ dir: import.meta.url });
}
