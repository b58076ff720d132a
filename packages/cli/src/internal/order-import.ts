import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { TkError, isTkError } from '@tongkit/sdk';
import type { HostClient } from './client.js';
import type { CreateOrderResult } from '@tongkit/host';

/** One line the host refused, with why. */
export interface RejectedLine {
  line: number;
  orderId: string | null;
  code: string;
  message: string;
  path?: string;
}

/** What an import did: counts, the refused lines, and where it resumed from. */
export interface ImportSummary {
  file: string;
  applied: number;
  duplicate: number;
  rejected: RejectedLine[];
  /** Lines skipped because an earlier run had done them (see {@link importOrders}). */
  resumedAfterLine: number;
  lines: number;
}

/** Kept beside the file: the last line done, so a run after a failure goes on from there. */
interface ImportState {
  /** sha256 of the file's first 64 KB and its size: a changed file starts over. */
  fingerprint: string;
  doneThroughLine: number;
  applied: number;
  duplicate: number;
  rejected: RejectedLine[];
}

async function fingerprintOf(file: string): Promise<string> {
  const { size } = await stat(file);
  const head = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    createReadStream(file, { start: 0, end: 64 * 1024 - 1 })
      .on('data', (chunk) => chunks.push(chunk as Buffer))
      .on('end', () => resolve(Buffer.concat(chunks)))
      .on('error', reject);
  });
  return `${size}:${createHash('sha256').update(head).digest('hex')}`;
}

/** The state file of an import: `<file>.import-state.json`. */
export const stateFileOf = (file: string) => `${file}.import-state.json`;

async function saveState(file: string, state: ImportState): Promise<void> {
  const path = stateFileOf(file);
  // Written whole then renamed: a crash mid-write leaves the previous state, never half a file.
  await writeFile(`${path}.tmp`, JSON.stringify(state));
  await rename(`${path}.tmp`, path);
}

/**
 * Imports orders from a JSON Lines file (one `POST /v1/orders` body a line) into the host, `concurrency`
 * at a time. Creating an order is idempotent by its ID, so a line sent twice is a `duplicate`, never a
 * second order. Progress is saved beside the file after every batch; when a run stops (the host went
 * away, the process was killed), the next run with the same file goes on after the last saved line
 * (`restart` starts over). A line the host refuses is counted with its number and reason and the import
 * goes on; a failure that is not about the line (unreachable host, bad token) stops it.
 */
export async function importOrders(
  client: HostClient,
  file: string,
  options: { concurrency?: number; restart?: boolean; onProgress?: (done: number, summary: ImportSummary) => void } = {},
): Promise<ImportSummary> {
  if (!existsSync(file)) throw new TkError('TK_NOT_FOUND', `no file ${file}`, { fault: 'user', hint: 'Give the path of a .jsonl file: one order a line.' });
  const concurrency = options.concurrency ?? 8;
  const fingerprint = await fingerprintOf(file);
  let state: ImportState = { fingerprint, doneThroughLine: 0, applied: 0, duplicate: 0, rejected: [] };
  if (!options.restart && existsSync(stateFileOf(file))) {
    const saved = JSON.parse(await readFile(stateFileOf(file), 'utf8')) as ImportState;
    if (saved.fingerprint === fingerprint) state = saved;
  }
  const resumedAfterLine = state.doneThroughLine;
  const summary = (): ImportSummary => ({ file, applied: state.applied, duplicate: state.duplicate, rejected: state.rejected, resumedAfterLine, lines: state.doneThroughLine });

  const send = async (line: number, text: string): Promise<void> => {
    let body: { id?: unknown };
    try {
      body = JSON.parse(text) as { id?: unknown };
    } catch (error) {
      state.rejected.push({ line, orderId: null, code: 'TK_VALIDATION', message: `not JSON: ${(error as Error).message}` });
      return;
    }
    const orderId = typeof body?.id === 'string' ? body.id : null;
    try {
      const { result } = await client.request<CreateOrderResult>('POST', '/v1/orders', body);
      if (result === 'applied') state.applied++;
      else state.duplicate++;
    } catch (error) {
      // About this line: the host judged it. Anything else (unreachable, unauthorised) stops the run.
      if (isTkError(error) && ['TK_VALIDATION', 'TK_CONFLICT', 'TK_NOT_FOUND'].includes(error.code)) {
        state.rejected.push({ line, orderId, code: error.code, message: error.message, ...(error.path ? { path: error.path } : {}) });
        return;
      }
      throw error;
    }
  };

  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let number = 0;
  let batch: Array<[number, string]> = [];
  const flush = async () => {
    await Promise.all(batch.map(([n, text]) => send(n, text)));
    state.doneThroughLine = batch[batch.length - 1]?.[0] ?? state.doneThroughLine;
    batch = [];
    await saveState(file, state);
    options.onProgress?.(state.doneThroughLine, summary());
  };
  for await (const text of lines) {
    number++;
    if (number <= state.doneThroughLine || text.trim() === '') continue;
    batch.push([number, text]);
    if (batch.length >= concurrency) await flush();
  }
  if (batch.length > 0) await flush();
  state.doneThroughLine = Math.max(state.doneThroughLine, number);
  await saveState(file, state);
  return summary();
}
