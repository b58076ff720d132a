import { Args, Flags } from '@oclif/core';
import { TkError } from '@tongkit/sdk';
import { HostCommand } from '../../internal/base-command.js';
import { jsonForTerminal, paint } from '../../internal/output.js';
import { readJsonArgument } from '../../internal/project.js';
import type { Install } from '@tongkit/host';

function parseAssignment(text: string): [string, unknown] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new TkError('TK_VALIDATION', `--set expects key=value, got "${text}"`, { fault: 'user' });
  const raw = text.slice(eq + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // A bare word is a string.
  }
  return [text.slice(0, eq), value];
}

export default class SettingsSet extends HostCommand {
  static override summary = 'Change an install’s settings, or override them for one store.';
  static override description = `--file replaces the settings (or, with --store, the store's override: a JSON Merge Patch).
--set key=value changes single values (JSON values are parsed: --set goldAtFen=300000). The host
validates the result against the plugin's schema, per store too.`;
  static override examples = [
    '<%= config.bin %> settings set ins_123 --set goldAtFen=300000',
    '<%= config.bin %> settings set ins_123 --store sh-01 --set goldAtFen=800000',
    '<%= config.bin %> settings set ins_123 --file settings.json',
  ];
  static override args = { install: Args.string({ required: true, description: 'Install id' }) };
  static override flags = {
    file: Flags.string({ summary: 'Settings JSON file.' }),
    set: Flags.string({ summary: 'key=value (repeatable).', multiple: true }),
    store: Flags.string({ summary: 'Store id: write that store’s override instead.' }),
    merchant: Flags.string({ summary: 'Merchant id (admins only).' }),
  };

  async run() {
    const { args, flags } = await this.parse(SettingsSet);
    if (!flags.file && !flags.set) throw new TkError('TK_VALIDATION', 'nothing to set', { fault: 'user', hint: 'Pass --file settings.json or --set key=value.' });
    const client = await this.client(flags);
    const query = flags.merchant ? `?merchantId=${encodeURIComponent(flags.merchant)}` : '';
    const current = await client.request<Install>('GET', `/v1/installs/${encodeURIComponent(args.install)}${query}`);
    const base = flags.file
      ? ((await readJsonArgument(flags.file, '--file')) as Record<string, unknown>)
      : flags.store
        ? { ...((current.storeOverrides[flags.store] as Record<string, unknown> | undefined) ?? {}) }
        : { ...current.settings };
    for (const [key, value] of (flags.set ?? []).map(parseAssignment)) base[key] = value;
    const path = flags.store
      ? `/v1/installs/${encodeURIComponent(args.install)}/stores/${encodeURIComponent(flags.store)}/settings${query}`
      : `/v1/installs/${encodeURIComponent(args.install)}/settings${query}`;
    const install = await client.request<Install>('PUT', path, base);
    if (!this.jsonEnabled()) this.log(`${paint('green', '✔')} ${flags.store ? `store ${flags.store} override` : 'settings'} saved: ${jsonForTerminal(flags.store ? install.storeOverrides[flags.store] : install.settings)}`);
    return { ok: true, ...install };
  }
}
