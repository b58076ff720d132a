// bench/http's load generator, a child process of bench/http/bench.mjs (not a worker thread: the one
// run with the load in a worker thread aborted at exit in isolated-vm, `environment != nullptr`). The
// client's sockets, request writes and response parsing run in their own process, not on the host's
// event loop; they still share the cores.
//
// One job per process, received as the first IPC message; one message back: `{ result, latencies }` or
// `{ error }`.
//   { kind: 'autocannon', opts, expect }  autocannon(opts) as given; `expect` (a string the body must
//                                         contain) counts the other 2xx bodies in `mismatches`
//   { kind: 'paced', url, method, headers, body, ratePerSec, count, expect, graceMs }
//                                         an open loop with even arrivals: request i is issued at
//                                         start + i / rate whether or not the earlier ones have answered
//                                         (keep-alive sockets, up to MAX_SOCKETS in flight, the rest
//                                         queued here); answers still missing graceMs after the last
//                                         request was issued are counted `unanswered`
// `latencies` are per-response milliseconds (float, hrtime), 2xx only: autocannon's own histogram keeps
// whole milliseconds, too coarse for sub-millisecond routes. A paced latency runs from the moment the
// request was issued (a socket wait included); `lagMs` is how late the schedule issued it.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';

const MAX_SOCKETS = 64;
const OPEN_AHEAD = 16;

async function runAutocannon({ opts, expect }) {
  const latencies = [];
  const started = performance.now();
  const instance = autocannon({ ...opts, ...(expect === undefined ? {} : { verifyBody: (body) => body.includes(expect) }) });
  instance.on('response', (_client, statusCode, _bytes, ms) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(ms);
  });
  const result = await instance;
  return {
    result: {
      totalCompletedRequests: result.requests.total,
      durationSec: result.duration,
      wallMs: performance.now() - started,
      requestsAverage: result.requests.average,
      latency: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max, average: result.latency.average },
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      mismatches: result.mismatches,
      statusCodeStats: result.statusCodeStats,
    },
    latencies,
  };
}

/** The keep-alive HTTP/1.1 client of the paced loop: one request at a time per socket, Content-Length bodies. */
async function runPaced({ url, method, headers, body, ratePerSec, count, expect, graceMs = 5_000 }) {
  const target = new URL(url);
  const payload = Buffer.from(body ?? '');
  const head = [`${method} ${target.pathname}${target.search} HTTP/1.1`, `host: ${target.host}`, 'connection: keep-alive', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  if (payload.length > 0) head.push(`content-length: ${payload.length}`);
  const request = Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), payload]);
  const latencies = [];
  const lags = [];
  const counts = { non2xx: 0, errors: 0, mismatches: 0 };
  const idle = [];
  const waiting = []; // issue times of requests waiting for a free socket
  const conns = new Set();
  let open = 0;
  let closing = false;
  let settled = 0;
  let onSettled = () => undefined;
  const settle = () => {
    settled++;
    if (settled === count) onSettled();
  };

  const connect = () =>
    new Promise((resolve) => {
      const conn = { socket: net.connect(Number(target.port), target.hostname), buf: Buffer.alloc(0), issuedAt: undefined, ready: false };
      open++;
      conns.add(conn);
      conn.socket.setNoDelay(true);
      conn.socket.once('connect', () => {
        conn.ready = true;
        resolve(conn);
      });
      conn.socket.on('data', (chunk) => {
        conn.buf = conn.buf.length === 0 ? chunk : Buffer.concat([conn.buf, chunk]);
        const end = conn.buf.indexOf('\r\n\r\n');
        if (end < 0 || conn.issuedAt === undefined) return;
        const header = conn.buf.subarray(0, end).toString('latin1');
        const length = /\r\ncontent-length:\s*(\d+)/i.exec(header);
        if (!length) {
          conn.socket.destroy(new Error(`a response without content-length: ${header.split('\r\n')[0]}`));
          return;
        }
        const total = end + 4 + Number(length[1]);
        if (conn.buf.length < total) return;
        const status = Number(header.slice(9, 12));
        const ms = performance.now() - conn.issuedAt;
        if (status >= 200 && status < 300) {
          latencies.push(ms);
          if (expect !== undefined && !conn.buf.subarray(end + 4, total).toString('utf8').includes(expect)) counts.mismatches++;
        } else counts.non2xx++;
        conn.buf = conn.buf.subarray(total);
        conn.issuedAt = undefined;
        settle();
        release(conn);
      });
      const lost = () => {
        if (!conn.ready) resolve(undefined);
        conn.ready = false;
        open--;
        conns.delete(conn);
        const i = idle.indexOf(conn);
        if (i >= 0) idle.splice(i, 1);
        if (conn.issuedAt !== undefined) {
          conn.issuedAt = undefined;
          counts.errors++;
          settle();
        }
        if (waiting.length > 0 && open < MAX_SOCKETS && !closing) void connect().then((c) => c && release(c));
      };
      conn.socket.on('error', () => undefined);
      conn.socket.on('close', lost);
    });
  const send = (conn, issuedAt) => {
    conn.issuedAt = issuedAt;
    conn.socket.write(request);
  };
  const release = (conn) => {
    if (waiting.length > 0) send(conn, waiting.shift());
    else idle.push(conn);
  };
  const issue = (issuedAt) => {
    const conn = idle.pop();
    if (conn) return send(conn, issuedAt);
    waiting.push(issuedAt);
    if (open < MAX_SOCKETS) void connect().then((c) => c && release(c));
  };

  for (const conn of await Promise.all(Array.from({ length: OPEN_AHEAD }, connect))) if (conn) idle.push(conn);
  const allSettled = new Promise((resolve) => {
    onSettled = resolve;
  });
  const started = performance.now();
  for (let i = 0; i < count; ) {
    const now = performance.now();
    // Every request due by now, issued now; then wait for the next one's due time.
    for (; i < count && started + (i * 1000) / ratePerSec <= now; i++) {
      lags.push(now - (started + (i * 1000) / ratePerSec));
      issue(now);
    }
    if (i < count) await sleep(Math.max(0, started + (i * 1000) / ratePerSec - performance.now()));
  }
  const offeredMs = performance.now() - started;
  await Promise.race([allSettled, sleep(graceMs)]);
  const wallMs = performance.now() - started;
  closing = true;
  const unanswered = count - settled;
  // Busy sockets too: closed without counting their requests again (they are `unanswered`).
  for (const conn of conns) {
    conn.issuedAt = undefined;
    conn.socket.destroy();
  }
  lags.sort((a, b) => a - b);
  return {
    result: {
      count,
      offeredPerSec: ratePerSec,
      issuedPerSec: (count / offeredMs) * 1000,
      answeredPerSec: (latencies.length / wallMs) * 1000,
      wallMs,
      unanswered,
      lagP99Ms: lags[Math.min(lags.length - 1, Math.ceil(0.99 * lags.length) - 1)] ?? 0,
      lagMaxMs: lags[lags.length - 1] ?? 0,
      ...counts,
    },
    latencies,
  };
}

process.once('message', async (job) => {
  try {
    const out = job.kind === 'paced' ? await runPaced(job) : await runAutocannon(job);
    process.send(out, () => process.exit(0));
  } catch (error) {
    process.send({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }, () => process.exit(1));
  }
});
