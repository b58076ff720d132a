// A Tongkit host in a child process, for tests that kill hosts or run several on one database.
//
//   node --no-node-snapshot host-process.mjs '<json options>'
//
// Options: { databaseUrl, dataDir, http?: boolean, dispatch?: boolean, services?: HostServiceOptions }.
// Prints one JSON line on stdout once started: { pid, url (null without http), tokens }. On SIGTERM or
// SIGINT it stops the host (the batch in flight commits first), prints { stopped: true, batches,
// delivered } and exits 0. Dispatch statistics count what this process's worker loop claimed.
import { startHost } from '@tongkit/host';

const options = JSON.parse(process.argv[2] ?? '{}');
const host = await startHost({
  databaseUrl: options.databaseUrl,
  dataDir: options.dataDir,
  dispatch: false, // started below, once the statistics are hooked in
  services: options.services ?? {},
});

// Count the batches and deliveries this process's worker claims (the loop calls `this.runOnce()`).
const stats = { batches: 0, delivered: 0 };
const dispatcher = host.services.dispatcher;
const runOnce = dispatcher.runOnce.bind(dispatcher);
dispatcher.runOnce = async () => {
  const processed = await runOnce();
  if (processed > 0) {
    stats.batches += 1;
    stats.delivered += processed;
  }
  return processed;
};
if (options.dispatch ?? true) dispatcher.start();

const url = options.http ? await host.listen(0) : null;
process.stdout.write(`${JSON.stringify({ pid: process.pid, url, tokens: host.tokens })}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await host.close();
  process.stdout.write(`${JSON.stringify({ stopped: true, ...stats })}\n`);
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
