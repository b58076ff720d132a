// The in-process peer of bench/density, in a child process of its own (started by bench.mjs with
// fork(), argv[2] = JSON options) so that the RSS it reports is the runtime's alone: createRuntime with
// the default byte-bounded LRU, the same installs and rounds as the worker pool. Replies with the figures.
import { createRuntime } from '@tongkit/runtime';
import { buildPlugin } from '@tongkit/runtime/build';
import { TEMPLATE, benchInput } from '../lib/pool.mjs';
import { densityRounds } from './rounds.mjs';

const { installs, rounds, limits, maxIsolateBytes } = JSON.parse(process.argv[2]);
const { bundle } = await buildPlugin(TEMPLATE);
const runtime = createRuntime({ limits, ...(maxIsolateBytes ? { maxIsolateBytes } : {}) });
const baselineRssBytes = process.memoryUsage.rss();
const figures = await densityRounds({
  runtime,
  bundle,
  input: benchInput(),
  installs,
  rounds,
  loadConcurrency: 1,
  loadOptions: (i) => ({ installId: `bench-density-${i}` }),
  rss: () => process.memoryUsage.rss(),
});
await runtime.dispose();
process.send({ baselineRssBytes, ...figures }, () => process.exit(0));
