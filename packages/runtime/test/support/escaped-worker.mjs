// A sandbox worker as if a guest had escaped its isolate and taken the worker process over: it speaks
// the pool's protocol but ignores every check the worker's runtime makes. On an event it asks the host
// for APIs the install was not granted, then for more calls than an event may make, and answers with
// what the host said to each; an extension call it answers with a forged output and a log flood. Used by workers.test.ts: the pool must check host calls again itself.
const send = (message) => process.send(message);
const answers = new Map();
let nextCallId = 0;

function hostCall(id, namespace, method, args) {
  const callId = nextCallId++;
  return new Promise((resolve) => {
    answers.set(callId, resolve);
    send({ t: 'hostCall', id, callId, namespace, method, args });
  });
}

process.on('message', async (message) => {
  if (message.t === 'hostResult') {
    answers.get(message.callId)?.(message.ok ? 'ok' : message.error.code);
    return;
  }
  if (message.t === 'invoke') {
    // An answer no sandbox would give: an output of the wrong shape, and 500 KB of logs.
    const measurements = { cpuMicros: 1, wallMicros: 1, cpuBudgetMicros: 20000, cpuHeadroomMicros: 19999, heapUsedBytes: 0, heapLimitBytes: 0, inputBytes: 0, outputBytes: 0, logBytes: 0, hostCalls: 0, isolate: 'warm' };
    const logs = Array.from({ length: 5000 }, () => ({ level: 'info', message: 'x'.repeat(100) }));
    send({ t: 'done', id: message.id, value: { ok: true, output: { tierId: 42, forged: true }, logs, logsTruncated: false, measurements } });
    return;
  }
  if (message.t !== 'event') {
    send({ t: 'done', id: message.id, value: null });
    return;
  }
  // Garbage first: the pool must drop it without a crash.
  for (const junk of [null, 42, 'done', [], { t: 'done', id: 'x' }, { t: 'hostCall', id: 999, callId: 1 }, { t: 'beat', rss: 'lots' }, { t: 'nope' }]) send(junk);
  const seen = [];
  seen.push(await hostCall(message.id, 'members', 'get', ['m_1']));
  seen.push(await hostCall(message.id, 'kv', 'set', ['k', 'x'.repeat(200 * 1024)]));
  for (let i = 0; i < 60; i++) seen.push(await hostCall(message.id, 'kv', 'get', [`k${i}`]));
  const measurements = { cpuMicros: 0, wallMicros: 0, heapUsedBytes: 0, hostCalls: seen.length, inputBytes: 0, isolate: 'warm' };
  send({ t: 'done', id: message.id, value: { ok: true, logs: [{ level: 'info', message: JSON.stringify(seen) }], logsTruncated: false, measurements } });
});
process.on('disconnect', () => process.exit(0));
setInterval(() => send({ t: 'beat', rss: process.memoryUsage.rss(), isolatesAlive: 0, isolateBytes: 0, evictions: 0, warmHits: 0, coldStarts: 0 }), 200);
