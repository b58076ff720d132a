// A sandbox worker that reports the environment the pool started it with instead of running plugins:
// an extension call is answered `{ tierId: 'gold', reason: '<TZ> <LANG> <LC_ALL>' }`. Used by
// sandbox-inputs.test.ts: the time zone and locale a guest sees must not be the host's.
process.on('message', (message) => {
  if (message.t === 'hostResult') return;
  if (message.t !== 'invoke') {
    process.send({ t: 'done', id: message.id, value: null });
    return;
  }
  const { TZ, LANG, LC_ALL } = process.env;
  const measurements = { cpuMicros: 1, wallMicros: 1, cpuBudgetMicros: 20000, cpuHeadroomMicros: 19999, heapUsedBytes: 0, heapLimitBytes: 0, inputBytes: 0, outputBytes: 0, logBytes: 0, hostCalls: 0, isolate: 'warm' };
  process.send({ t: 'done', id: message.id, value: { ok: true, output: { tierId: 'gold', reason: `${TZ} ${LANG} ${LC_ALL}` }, logs: [], logsTruncated: false, measurements } });
});
process.on('disconnect', () => process.exit(0));
setInterval(() => process.send({ t: 'beat', rss: process.memoryUsage.rss(), isolatesAlive: 0, isolateBytes: 0, evictions: 0, warmHits: 0, coldStarts: 0 }), 200);
