import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TkError, type TkErrorJSON } from '@tongkit/sdk';
import { reviveError } from '../workers/protocol.js';
import { SANDBOX_PROCESS_ENV } from './sandbox-env.js';

/** How long reading a definition may take, start-up included, before the child is killed. */
const EXTRACTION_DEADLINE_MS = 20_000;

/**
 * Reads the plugin definition from the manifest pass's bundle: its top-level code runs in a throwaway
 * isolate in a child process (extract-main), so a bundle that makes V8 abort (a fatal out-of-memory at
 * the top level) or blocks in one native call fails the build with TK_BUILD_FAILED instead of taking
 * `tongkit build` — or whoever builds — down with it.
 */
export async function extractDefinition(code: string): Promise<Record<string, unknown>> {
  const entry = fileURLToPath(new URL('./extract.js', import.meta.url));
  const child = spawn(process.execPath, ['--no-node-snapshot', entry], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: process.env['PATH'] ?? '', ...SANDBOX_PROCESS_ENV },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4096)));
  child.stdin.on('error', () => undefined); // a child that died early closed its stdin
  child.stdin.end(code);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, EXTRACTION_DEADLINE_MS);
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
  clearTimeout(timer);

  let answer: { definition?: Record<string, unknown>; error?: TkErrorJSON } | undefined;
  try {
    answer = JSON.parse(stdout) as typeof answer;
  } catch {
    answer = undefined;
  }
  if (answer?.definition && exitCode === 0) return answer.definition;
  if (answer?.error) throw reviveError(answer.error);
  const why = timedOut
    ? `did not finish within ${EXTRACTION_DEADLINE_MS / 1000} s`
    : `aborted the process reading it (${signal ?? `exit code ${exitCode}`}${/out of memory|heap/i.test(stderr) ? ': V8 ran out of memory' : ''})`;
  throw new TkError('TK_BUILD_FAILED', `the plugin's top-level code ${why}`, {
    hint: 'Keep top-level code to definePlugin({...}); do work inside handlers.',
  });
}
