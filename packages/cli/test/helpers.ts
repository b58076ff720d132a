import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built `tongkit` binary (packages/cli/bin/run.mjs), run as a user would. */
export const TONGKIT = fileURLToPath(new URL('../bin/run.mjs', import.meta.url));
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
  json: any;
}

/** Runs `tongkit ...args` in `cwd` and parses stdout as JSON when it is. */
export function tongkit(args: string[], options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): CliRun {
  const result = spawnSync(process.execPath, [TONGKIT, ...args], {
    cwd: options.cwd ?? REPO,
    input: options.input ?? '',
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    timeout: 120_000,
  });
  let json: unknown;
  try {
    json = JSON.parse(result.stdout);
  } catch {
    json = undefined;
  }
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, json };
}

/**
 * As {@link tongkit}, without blocking the event loop: needed when the host under test runs in this
 * process and must keep serving while the CLI talks to it.
 */
export async function tongkitAsync(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [TONGKIT, ...args], {
    cwd: options.cwd ?? REPO,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    json = undefined;
  }
  return { status, stdout, stderr, json };
}
