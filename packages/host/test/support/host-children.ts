// Host processes for tests that must really kill or run several hosts: each runs
// test/support/host-process.mjs in a child process with its own data folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HOST_SCRIPT = fileURLToPath(new URL('./host-process.mjs', import.meta.url));

/** A host child process, once it printed its start line ({ pid, url?, tokens? }). */
export interface HostChild {
  child: ChildProcess;
  pid: number;
  /** The child's HTTP URL, when it serves HTTP. */
  url: string;
  /** What the child wrote to stderr so far (shown when something goes wrong). */
  stderr: () => string;
  /** Resolves with the exit code or signal. */
  exited: Promise<number | NodeJS.Signals | null>;
  /** Lines the child printed after its start line. */
  lines: string[];
}

/** Starts and later cleans up host children; one per test file. */
export class HostChildren {
  private readonly children: HostChild[] = [];
  private readonly folders: string[] = [];

  /** A temp folder the `postgres` OS user can enter (PostgreSQL runs as that user under root), removed by {@link cleanup}. */
  async folder(prefix: string): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), prefix));
    await chmod(dir, 0o755);
    this.folders.push(dir);
    return dir;
  }

  /** Starts host-process.mjs with `options` and waits for its start line. */
  async start(options: Record<string, unknown>, prefix = 'tongkit-host-child-'): Promise<HostChild> {
    const dataDir = await this.folder(prefix);
    const child = spawn(process.execPath, ['--no-node-snapshot', HOST_SCRIPT, JSON.stringify({ dataDir, ...options })], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.once('close', (code, signal) => resolve(signal ?? code)));
    const lines: string[] = [];
    const first = await new Promise<string>((resolve, reject) => {
      let out = '';
      let started = false;
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        let newline: number;
        while ((newline = out.indexOf('\n')) >= 0) {
          lines.push(out.slice(0, newline));
          out = out.slice(newline + 1);
        }
        if (!started && lines.length > 0) {
          started = true;
          resolve(lines.shift()!);
        }
      });
      void exited.then((code) => reject(new Error(`host child exited (${String(code)}) before starting:\n${err}`)));
    });
    const { pid, url } = JSON.parse(first) as { pid: number; url?: string };
    const started: HostChild = { child, pid, url: url ?? '', stderr: () => err, exited, lines };
    this.children.push(started);
    return started;
  }

  /** Kills every child still running and removes the folders. */
  async cleanup(): Promise<void> {
    for (const { child } of this.children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(this.children.map((c) => c.exited));
    await Promise.all(this.folders.map((dir) => rm(dir, { recursive: true, force: true })));
  }
}
