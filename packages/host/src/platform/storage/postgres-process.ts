import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TkError } from '@tongkit/sdk';
import type { PostgresAccount } from './postgres-account.js';

/** How to run one PostgreSQL server process. */
export interface PostgresProcessOptions {
  postgres: string;
  dataDir: string;
  port: number;
  account: PostgresAccount | undefined;
  settings: Record<string, string>;
}

/** A running PostgreSQL server process. */
export interface PostgresProcess {
  pid: number;
  /** Fast shutdown (SIGINT); resolves once the server has exited. Safe to call twice. */
  stop(): Promise<void>;
  /** Stops the server from keeping the Node.js process alive. */
  unref(): void;
}

const READY = 'database system is ready to accept connections';
const START_TIMEOUT_MS = 120_000; // crash recovery of a big WAL backlog can take a while
const LOG_TAIL_LINES = 40;

/**
 * On Linux `setpriv --pdeathsig` makes the kernel send SIGINT (fast shutdown) to PostgreSQL when the host
 * dies, even by SIGKILL; without it an orphaned server would keep the data folder and the next host would be
 * refused. (The kernel watches the spawning thread: start servers from the main thread, not a worker.)
 * Elsewhere the host's exit handler is the only guard.
 */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((file) => existsSync(file));

/** Thrown (as `details.reason`) when the port is taken, so a caller that picked the port may pick another. */
export const PORT_IN_USE = 'port-in-use';

/**
 * Starts `postgres` and resolves when it accepts connections. PostgreSQL's own lock file decides who owns
 * a data folder (created with O_EXCL, a dead owner's stale file is taken over), so a refusal is mapped to a
 * `TK_CONFLICT` naming the folder and the PID holding it.
 */
export function startPostgresProcess(options: PostgresProcessOptions): Promise<PostgresProcess> {
  const args = ['-D', options.dataDir, '-p', String(options.port)];
  for (const [name, value] of Object.entries(options.settings)) args.push('-c', `${name}=${value}`);
  const [command, commandArgs] = SETPRIV
    ? [SETPRIV, ['--pdeathsig', 'SIGINT', '--', options.postgres, ...args]]
    : [options.postgres, args];
  const child = spawn(command, commandArgs, {
    ...(options.account ?? {}),
    // English messages: startup is detected, and refusals are explained, from the log text.
    env: { ...process.env, LC_ALL: 'C' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });

  const log: string[] = [];
  let partial = '';
  let ready = false;
  let exited = false;
  // Where the kernel cannot stop the server with the host (no setpriv), a normal exit of the host still does.
  const stopWithHost = (): void => void child.kill('SIGINT');
  process.once('exit', stopWithHost);
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      process.off('exit', stopWithHost);
      resolve();
    }),
  );
  const stop = async (): Promise<void> => {
    if (exited) return;
    await stopGracefully(child, exit);
  };

  return new Promise<PostgresProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new TkError('TK_INTERNAL', `PostgreSQL did not start within ${START_TIMEOUT_MS / 1000} s:\n${log.join('\n')}`));
      void stop();
    }, START_TIMEOUT_MS);
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      log.push(...lines);
      if (!ready && lines.some((line) => line.includes(READY))) {
        ready = true;
        clearTimeout(timer);
        resolve({ pid: child.pid ?? 0, stop, unref: () => unref(child) });
      }
      // After startup only a short tail is kept, for the error of a later failure.
      log.splice(0, Math.max(0, log.length - LOG_TAIL_LINES));
    });
    child.once('error', (cause) => {
      clearTimeout(timer);
      process.off('exit', stopWithHost);
      reject(new TkError('TK_INTERNAL', `Could not run ${options.postgres}: ${cause.message}`, { cause }));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(explainExit(options, [...log, partial].join('\n'), code ?? signal));
    });
  });
}

function unref(child: ChildProcess): void {
  child.unref();
  // The log pipe is a socket, and a referenced socket keeps the process alive too.
  (child.stderr as { unref?: () => void } | null)?.unref?.();
}

async function stopGracefully(child: ChildProcess, exit: Promise<void>): Promise<void> {
  // SIGINT = fast shutdown (disconnect clients, checkpoint); SIGQUIT = immediate (recovery on next start).
  for (const [signal, waitMs] of [['SIGINT', 30_000], ['SIGQUIT', 5_000], ['SIGKILL', 5_000]] as const) {
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), waitMs)));
    const stopped = await Promise.race([exit.then(() => true), timedOut.then(() => false)]);
    clearTimeout(timer);
    if (stopped) return;
  }
}

function explainExit(options: PostgresProcessOptions, log: string, status: number | string | null): TkError {
  const holder = /Is another postmaster \(PID (\d+)\) running/.exec(log)?.[1];
  if (/lock file "postmaster\.pid" already exists/.test(log)) {
    const pid = holder === undefined ? readHolderPid(options.dataDir) : Number(holder);
    const who = pid === undefined ? 'another PostgreSQL server' : `another PostgreSQL server (PID ${pid})`;
    return new TkError('TK_CONFLICT', `The data folder ${options.dataDir} is in use by ${who}, probably started by another Tongkit host.`, {
      hint: `Stop that host, or give this one another data folder. If no PostgreSQL runs as PID ${pid ?? '(see postmaster.pid)'}, delete ${path.join(options.dataDir, 'postmaster.pid')} and start again.`,
      details: { dataDir: options.dataDir, ...(pid === undefined ? {} : { pid }) },
    });
  }
  if (/could not bind .*Address already in use|could not create any TCP\/IP sockets/.test(log)) {
    return new TkError('TK_CONFLICT', `Port ${options.port} is already in use; PostgreSQL could not listen on it.`, {
      hint: 'Choose another port, or leave the port out to use a free one.',
      details: { reason: PORT_IN_USE, port: options.port },
    });
  }
  return new TkError('TK_INTERNAL', `PostgreSQL exited during startup (${String(status)}):\n${log.trim()}`, {
    details: { dataDir: options.dataDir },
  });
}

function readHolderPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
