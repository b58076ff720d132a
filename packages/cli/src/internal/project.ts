import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { TkError } from '@tongkit/sdk';
import { createWorkerRuntime, readPluginDir, type LoadedPlugin, type Runtime } from '@tongkit/runtime';
import { buildPlugin, type BuildResult } from '@tongkit/runtime/build';

/** A plugin project built (or read from a dist folder) and loaded into a fresh runtime. */
export interface LoadedProject {
  root: string;
  runtime: Runtime;
  plugin: LoadedPlugin;
  build?: BuildResult;
}

/**
 * Builds the project at `dir` from source (always current, like `wrangler dev`) — or, with `dist`,
 * reads an already built bundle — and loads it into the sandbox: one worker process, as in a host, so a
 * plugin that aborts or blocks its process gets TK_WORKER_CRASHED instead of taking the CLI down. A
 * developer's own runs are not rate limited.
 */
export async function loadProject(dir: string, options: { dist?: string | undefined } = {}): Promise<LoadedProject> {
  const root = resolve(dir);
  const runtime = createWorkerRuntime({
    workers: 1,
    quarantineWorkers: 1,
    // One tenant: nothing to keep it apart from, so it is never moved to a worker of its own (a move
    // would load the plugin again and hand its next call the first-call CPU allowance).
    tenants: { concurrency: Number.MAX_SAFE_INTEGER, cpuMsPerSecond: Number.MAX_SAFE_INTEGER, quarantineMs: 0, heavyCpuMs: Number.MAX_SAFE_INTEGER },
  });
  try {
    if (options.dist) {
      const plugin = await runtime.load(await readPluginDir(resolve(root, options.dist)));
      return { root, runtime, plugin };
    }
    const build = await buildPlugin(root);
    const plugin = await runtime.load(build.bundle);
    return { root, runtime, plugin, build };
  } catch (error) {
    await runtime.dispose();
    throw error;
  }
}

/** Reads a JSON file given on the command line (`-` for stdin); errors name the file. */
export async function readJsonArgument(path: string, flag: string): Promise<unknown> {
  let text: string;
  try {
    text = path === '-' ? await readStdin() : await readFile(path, 'utf8');
  } catch (error) {
    throw new TkError('TK_NOT_FOUND', `cannot read ${flag} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      fault: 'user',
      hint: `Check the path given to ${flag}.`,
    });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new TkError('TK_VALIDATION', `${flag} ${path} is not JSON: ${(error as Error).message}`, { fault: 'user' });
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
