// The floor of bench/boundary: a child process that answers every message at once with a canned reply
// of the size a sandbox worker sends back, over the same Node IPC channel (JSON serialization) the
// worker pool uses. No isolate, no queue: what the boundary costs before any runtime work.
const reply = JSON.parse(process.argv[2]);
process.on('message', (message) => process.send({ t: 'done', id: message.id, value: reply }));
process.on('disconnect', () => process.exit(0));
process.send({ t: 'ready' });
