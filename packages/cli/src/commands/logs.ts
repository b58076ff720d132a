import { setTimeout as sleep } from 'node:timers/promises';
import { Flags } from '@oclif/core';
import { HostCommand } from '../internal/base-command.js';
import { paint } from '../internal/output.js';

interface Entry {
  cursor: string;
  at: string;
  kind: string;
  merchantId: string;
  plugin: string | null;
  level: string;
  message: string;
  fallback?: boolean;
}

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
      return ((await client.request('GET', `/v1/logs?${query}`)).items as Entry[]).reverse();
    };
    const print = (entries: Entry[]) => {
      for (const e of entries) {
        const color = e.level === 'error' ? 'red' : e.level === 'warn' || e.fallback ? 'yellow' : 'dim';
        this.log(`${paint('dim', e.at)} ${paint(color, e.level.padEnd(5))} ${e.merchantId} ${e.plugin ?? '-'}  ${e.message}`);
      }
    };
    const entries = await fetchPage();
    if (this.jsonEnabled() && !flags.follow) return { ok: true, items: entries };
    if (this.jsonEnabled()) for (const e of entries) process.stdout.write(`${JSON.stringify(e)}\n`);
    else print(entries);
    let cursor = entries.at(-1)?.cursor;
    const seen = new Set(entries.map((e) => e.cursor));
    while (flags.follow) {
      await sleep(1000);
      const fresh = (await fetchPage(cursor)).filter((e) => !seen.has(e.cursor));
      for (const e of fresh) seen.add(e.cursor);
      if (this.jsonEnabled()) for (const e of fresh) process.stdout.write(`${JSON.stringify(e)}\n`);
      else print(fresh);
      cursor = fresh.at(-1)?.cursor ?? cursor;
    }
    return undefined;
  }
}
