/**
 * Writing build outputs into a folder a project may have prepared against us. git stores symbolic
 * links, so a cloned repository can ship `dist/plugin.js` (or `dist` itself) as a link to
 * `~/.ssh/authorized_keys`; a plain writeFile would write the bundle — whose text the project chooses —
 * through it. Links are refused, and each file is written under a fresh name and renamed into place,
 * which replaces a directory entry and never writes through one.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Stats } from 'node:fs';
import { TkError } from '@tongkit/sdk';

/** One file to write: its name inside the output folder and its text. */
export interface OutputFile {
  name: string;
  content: string;
}

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function refused(message: string, shown: string): TkError {
  return new TkError('TK_VALIDATION', message, {
    fault: 'user',
    hint: `Remove ${shown} (a build writes only plain files into a plain folder), or choose another output folder with --out.`,
    details: { file: shown },
  });
}

function failedWrite(shown: string, error: unknown): TkError {
  const code = (error as NodeJS.ErrnoException).code;
  return new TkError('TK_VALIDATION', `cannot write ${shown}: ${code ?? (error as Error).message}`, {
    fault: 'user',
    hint: 'Check that the output folder can be written.',
    details: { file: shown, ...(code ? { errno: code } : {}) },
  });
}

/**
 * Writes `files` into `outDir` (created when missing). Refuses, before writing anything, an output
 * folder that is a symbolic link or not a folder, and an existing output file that is a link or not
 * a file. I/O errors are TK_VALIDATION naming the path.
 */
export async function writeOutputFiles(outDir: string, files: readonly OutputFile[]): Promise<void> {
  const shownDir = relative(process.cwd(), outDir) || outDir;
  let folder = await lstatOrUndefined(outDir).catch((error: unknown) => {
    throw failedWrite(shownDir, error);
  });
  if (folder === undefined) {
    await mkdir(outDir, { recursive: true }).catch((error: unknown) => {
      throw failedWrite(shownDir, error);
    });
    folder = await lstat(outDir);
  }
  if (folder.isSymbolicLink()) throw refused(`the output folder ${shownDir} is a symbolic link`, shownDir);
  if (!folder.isDirectory()) throw refused(`the output folder ${shownDir} is not a folder`, shownDir);

  for (const file of files) {
    const shown = join(shownDir, file.name);
    const existing = await lstatOrUndefined(join(outDir, file.name)).catch((error: unknown) => {
      throw failedWrite(shown, error);
    });
    if (existing?.isSymbolicLink()) throw refused(`${shown} is a symbolic link`, shown);
    if (existing !== undefined && !existing.isFile()) throw refused(`${shown} is not a file`, shown);
  }

  for (const file of files) {
    const target = join(outDir, file.name);
    // `wx` (O_CREAT | O_EXCL) fails rather than follow anything already at the temporary name.
    const temporary = join(outDir, `.${file.name}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await writeFile(temporary, file.content, { flag: 'wx' });
      await rename(temporary, target);
    } catch (error) {
      await unlink(temporary).catch(() => {});
      throw failedWrite(join(shownDir, file.name), error);
    }
  }
}
