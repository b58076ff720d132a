/**
 * Reading the files of a plugin project (package.json, fixtures, a built dist folder) as untrusted
 * input. A project is often a cloned repository, and git stores symbolic links: `fixtures/x.json` can
 * point at `/dev/stdin` (a read that never ends), `/dev/zero` (one that never stops growing),
 * `/proc/self/environ` (host secrets echoed in a parse error) or `/` (a walk of the whole disk). So a
 * project file is read only when it is a regular file, its real path is inside the project, and it is
 * small; every refusal is a TK_VALIDATION naming the file.
 */
import { constants } from 'node:fs';
import { lstat, open, readdir, realpath } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { TkError } from '@tongkit/sdk';
import { formatKb } from './load.js';

/** The largest JSON file of a project read (package.json, one fixture). */
export const MAX_PROJECT_JSON_BYTES = 1024 * 1024;

/** True when `path` is `dir` or lies under it (both absolute and normalised). */
export function isInside(dir: string, path: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : `${dir}${sep}`);
}

/** What to read: the file's absolute path, the real path of the folder it must stay in, and its name for messages. */
export interface ProjectFile {
  path: string;
  /** Real path (symbolic links resolved) of the folder the file must be inside. */
  realRoot: string;
  /** How messages name the file, e.g. `fixtures/gold.json`. */
  label: string;
  maxBytes: number;
}

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

function unreadable(label: string, error: unknown): TkError {
  const code = errnoOf(error);
  return new TkError('TK_VALIDATION', `cannot read ${label}: ${code ?? (error as Error).message}`, {
    fault: 'user',
    hint: code === 'EMFILE' || code === 'ENFILE' ? 'Too many files are open: raise the limit (`ulimit -n`) or close other programs.' : 'Check that the file exists and can be read.',
    details: { file: label, ...(code ? { errno: code } : {}) },
  });
}

/**
 * Reads a project file as UTF-8, or returns undefined when it does not exist (nor does a link's target). Refuses (TK_VALIDATION)
 * a link leading outside `realRoot`, anything but a regular file (folders, devices, FIFOs, sockets)
 * and files over `maxBytes`. The file is opened non-blocking, so a FIFO swapped in after the checks
 * cannot hang the read, and checked again through its open handle.
 */
export async function readProjectFile({ path, realRoot, label, maxBytes }: ProjectFile): Promise<string | undefined> {
  let real: string;
  try {
    real = await realpath(path);
  } catch (error) {
    // ENOTDIR: a part of the path is a file, so there is no such file either.
    if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return undefined;
    if (errnoOf(error) === 'ELOOP') throw new TkError('TK_VALIDATION', `${label} is a loop of symbolic links`, { fault: 'user', details: { file: label } });
    throw unreadable(label, error);
  }
  if (!isInside(realRoot, real)) {
    throw new TkError('TK_VALIDATION', `${label} is a link to ${real}, outside the project`, {
      fault: 'user',
      hint: 'Project files must be inside the project: copy the file in instead of linking to it.',
      details: { file: label },
    });
  }
  let handle;
  try {
    handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    throw unreadable(label, error);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw new TkError('TK_VALIDATION', `${label} is ${stats.isDirectory() ? 'a folder' : 'a device, FIFO or socket'}, not a file`, {
        fault: 'user',
        details: { file: label },
      });
    }
    // Read one byte over the limit rather than trusting st_size, which is 0 for some files.
    const buffer = Buffer.alloc(Math.min(stats.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) break;
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes || stats.size > maxBytes) {
      throw new TkError('TK_VALIDATION', `${label} is over the ${formatKb(maxBytes)} limit`, {
        fault: 'user',
        details: { file: label, bytes: stats.size, limit: maxBytes },
      });
    }
    return buffer.toString('utf8', 0, length);
  } catch (error) {
    throw error instanceof TkError ? error : unreadable(label, error);
  } finally {
    await handle.close();
  }
}

/** Parses a project file's text; a syntax error is TK_VALIDATION naming the file. */
export function parseProjectJson(text: string, label: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new TkError('TK_VALIDATION', `${label} is not JSON: ${(error as Error).message}`, { fault: 'user', details: { file: label } });
  }
}

/** Limits of {@link listJsonFiles}. */
export interface ListLimits {
  /** Most `*.json` files returned. */
  maxFiles: number;
  /** Most folder entries looked at, so a huge tree is refused instead of walked. */
  maxEntries: number;
}

/**
 * The `*.json` files under `dir`, recursively, as paths relative to it, sorted. Folders reached through
 * symbolic links are not entered (a link to `/` would walk the disk); links named `*.json` are listed
 * and left to {@link readProjectFile} to check. Returns [] when `dir` does not exist.
 */
export async function listJsonFiles(dir: string, label: string, limits: ListLimits): Promise<string[]> {
  const found: string[] = [];
  const pending = [''];
  let entries = 0;
  while (pending.length > 0) {
    const sub = pending.pop()!;
    let dirents;
    try {
      dirents = await readdir(join(dir, sub), { withFileTypes: true });
    } catch (error) {
      if (sub === '' && errnoOf(error) === 'ENOENT') return [];
      if (errnoOf(error) === 'ENOTDIR') throw new TkError('TK_VALIDATION', `${label} is a file, not a folder`, { fault: 'user', details: { file: label } });
      throw unreadable(join(label, sub), error);
    }
    for (const dirent of dirents) {
      if (++entries > limits.maxEntries) {
        throw new TkError('TK_VALIDATION', `${label} holds more than ${limits.maxEntries} entries`, { fault: 'user', details: { file: label, limit: limits.maxEntries } });
      }
      const name = sub === '' ? dirent.name : join(sub, dirent.name);
      if (dirent.isDirectory()) pending.push(name);
      else if (dirent.name.endsWith('.json') && found.push(name) > limits.maxFiles) {
        throw new TkError('TK_VALIDATION', `${label} holds more than ${limits.maxFiles} fixture files`, {
          fault: 'user',
          hint: 'Keep the fixtures a plugin needs; split very large suites into folders run with --fixtures.',
          details: { file: label, limit: limits.maxFiles },
        });
      }
    }
  }
  return found.sort();
}

/**
 * The real path of a folder of the project, which must be inside `realRoot` (a `fixtures` link to `/`
 * is refused). Returns undefined when it does not exist.
 */
export async function realFolderInside(dir: string, realRoot: string, label: string): Promise<string | undefined> {
  let real: string;
  try {
    real = await realpath(dir);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw unreadable(label, error);
  }
  if (!isInside(realRoot, real)) {
    throw new TkError('TK_VALIDATION', `${label} is a link to ${real}, outside the project`, {
      fault: 'user',
      hint: 'Keep the folder inside the project instead of linking to it.',
      details: { file: label },
    });
  }
  return real;
}

/** True when `path` exists and is a symbolic link (not followed). */
export async function isSymbolicLink(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Runs `work` on every item with at most `limit` running at once, keeping the order of `items`. */
export async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** `path` relative to `root` for messages, or `path` itself when that is shorter to read. */
export function labelOf(root: string, path: string): string {
  return relative(root, path) || path;
}
