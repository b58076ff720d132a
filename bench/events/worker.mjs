// One host worker process of the events benchmark (started by bench/events/bench.mjs with fork()).
// It starts a host on the database it is given, without dispatching, and reports 'ready'. Messages:
// 'start' starts its event worker loop; 'stats' reports what the loop did so far — batches claimed (one
// commit each), deliveries run, empty polls (one commit each too), time inside non-empty batches; 'stop'
// stops the host (the batch in flight commits first), reports the same and exits.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHost } from '@tongkit/host';

const { databaseUrl, dispatch } = JSON.parse(process.argv[2]);
const dataDir = await mkdtemp(join(tmpdir(), 'tongkit-bench-events-'));
const host = await startHost({ databaseUrl, dataDir, dispatch: false, services: { dispatch: dispatch ?? {} } });

const stats = { batches: 0, delivered: 0, emptyPolls: 0, busyMs: 0 };
const dispatcher = host.services.dispatcher;
const runOnce = dispatcher.runOnce.bind(dispatcher);
dispatcher.runOnce = async () => {
  const t0 = performance.now();
  const processed = await runOnce();
  if (processed > 0) {
    stats.batches += 1;
    stats.delivered += processed;
    stats.busyMs += performance.now() - t0;
  } else {
    stats.emptyPolls += 1;
  }
  return processed;
};

process.on('message', async (message) => {
  if (message === 'stats') {
    process.send({ type: 'stats', stats: { ...stats, busyMs: Math.round(stats.busyMs) } });
  } else if (message === 'start') {
    dispatcher.start();
    process.send({ type: 'started' });
  } else if (message === 'stop') {
    await host.close();
    await rm(dataDir, { recursive: true, force: true });
    process.send({ type: 'stopped', stats: { ...stats, busyMs: Math.round(stats.busyMs) } }, () => process.exit(0));
  }
});
process.send({ type: 'ready' });
