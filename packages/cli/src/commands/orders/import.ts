import { Args, Flags } from '@oclif/core';
import { resolve } from 'node:path';
import { HostCommand } from '../../internal/base-command.js';
import { importOrders, stateFileOf } from '../../internal/order-import.js';
import { paint, terminalSafe } from '../../internal/output.js';

export default class OrdersImport extends HostCommand {
  static override summary = 'Import orders from a JSON Lines file (one POST /v1/orders body a line).';
  static override description = `Sends each line as an order, several at a time. Orders are idempotent by their ID, so a line
sent again is a duplicate, not a second order. Progress is saved in <file>.import-state.json after every
batch: run the same command again after a failure and it goes on where it stopped (--restart starts over).
Prints a summary: applied, duplicate, and each rejected line with its number and reason.`;
  static override examples = ['<%= config.bin %> orders import orders.jsonl', '<%= config.bin %> orders import orders.jsonl --concurrency 16 --json'];
  static override args = { file: Args.string({ required: true, description: 'A .jsonl file: one order a line' }) };
  static override flags = {
    concurrency: Flags.integer({ summary: 'Orders in flight at once.', default: 8, min: 1, max: 64 }),
    restart: Flags.boolean({ summary: 'Ignore saved progress and start from the first line.' }),
  };

  async run() {
    const { args, flags } = await this.parse(OrdersImport);
    const file = resolve(args.file);
    const client = await this.client(flags);
    const interactive = !this.jsonEnabled() && process.stderr.isTTY;
    const summary = await importOrders(client, file, {
      concurrency: flags.concurrency,
      restart: flags.restart,
      onProgress: (line, s) => {
        if (interactive) process.stderr.write(`\r${paint('dim', `line ${line}: ${s.applied} applied, ${s.duplicate} duplicate, ${s.rejected.length} rejected`)}`);
      },
    });
    if (interactive) process.stderr.write('\n');
    if (!this.jsonEnabled()) {
      if (summary.resumedAfterLine > 0) this.log(paint('dim', `resumed after line ${summary.resumedAfterLine} (saved in ${stateFileOf(file)})`));
      this.log(`${paint('green', '✔')} ${summary.applied} applied · ${summary.duplicate} duplicate · ${summary.rejected.length} rejected (${summary.lines} lines)`);
      for (const r of summary.rejected) this.log(`  ${paint('red', `line ${r.line}`)} ${r.code}${r.path ? ` at ${terminalSafe(r.path)}` : ''}: ${terminalSafe(r.message)}`);
    }
    if (summary.rejected.length > 0) process.exitCode = 1;
    return { ok: summary.rejected.length === 0, ...summary };
  }
}
