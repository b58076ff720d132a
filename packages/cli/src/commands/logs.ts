import { setTimeout as sleep } from 'node:timers/promises';
import { Flags } from '@oclif/core';
import { HostCommand } from '../internal/base-command.js';
import { jsonForTerminal, paint, terminalSafe } from '../internal/output.js';
import type { Items, LogEntry } from '@tongkit/host';

/** A line of `GET /v1/logs`. */
type Entry = LogEntry;

export default class Logs extends HostCommand {
  static override summary = 'Invocations, fallbacks, failures and plugin logs, newest last.';
  static override description = 'A merchant sees its own; a developer sees its plugins across merchants (--merchant narrows). --follow keeps polling.';
  static override examples = ['<%= config.bin %> logs', '<%= config.bin %> logs --plugin acme-tiers --merchant acme --follow', '<%= config.bin %> logs --json --limit 200'];
  static override flags = {
    merchant: Flags.string({ summary: 'Only this merchant (developers, admins).' }),
    plugin: Flags.string({ summary: 'Only this plugin.' }),
    limit: Flags.integer({ summary: 'How many entries.', default: 50, min: 1, max: 200 }),
    follow: Flags.boolean({ char: 'f', summary: 'Keep printing new entries.', default: false }),
  };

  async run() {
    const { flags } = await this.parse(Logs);
    const client = await this.client(flags);
    const fetchPage = async (after?: string): Promise<Entry[]> => {
      const query = new URLSearchParams({ limit: String(flags.limit) });
      if (flags.merchant) query.set('merchantId', flags.merchant);
      if (flags.plugin) query.set('plugin', flags.plugin);
      if (after) query.set('after', after);
      const { items } = await client.request<Items<LogEntry>>('GET', `/v1/logs?${query}`);
      // The newest page comes newest first; the pages after a cursor come oldest first.
      return after ? items : items.reverse();
    };
    const print = (entries: Entry[]) => {
      for (const e of entries) {
        const color = e.level === 'error' ? 'red' : e.level === 'warn' || e.fallback ? 'yellow' : 'dim';
        this.log(`${paint('dim', e.at)} ${paint(color, e.level.padEnd(5))} ${terminalSafe(`${e.merchantId} ${e.plugin ?? '-'}  ${e.message}`)}`);
      }
    };
    const emit = (entries: Entry[]) => {
      if (this.jsonEnabled()) for (const e of entries) process.stdout.write(`${jsonForTerminal(e)}\n`);
      else print(entries);
    };
    const entries = await fetchPage();
    if (this.jsonEnabled() && !flags.follow) return { ok: true, items: entries };
    emit(entries);
    let cursor = entries.at(-1)?.cursor;
    while (flags.follow) {
      // Each page starts right after the last entry printed; a full page means more are waiting.
      const fresh = await fetchPage(cursor);
      emit(fresh);
      cursor = fresh.at(-1)?.cursor ?? cursor;
      if (fresh.length < flags.limit) await sleep(1000);
    }
    return undefined;
  }
}
