import { Args, Flags } from '@oclif/core';
import { HostCommand } from '../internal/base-command.js';
import { findInstall } from '../internal/client.js';
import { paint } from '../internal/output.js';
import type { Install } from '@tongkit/host';

export default class Rollback extends HostCommand {
  static override summary = 'Pin the version a merchant’s install ran before its last release.';
  static override description =
    'Undoes the last `tongkit release` (the version it replaced is kept for this). An install that has run only one version has nothing to roll back to: list the plugin’s versions with `tongkit versions list --plugin <plugin>` and move to one with `tongkit release <plugin>@<version>`.';
  static override examples = ['<%= config.bin %> rollback acme-tiers'];
  static override args = { plugin: Args.string({ required: true, description: 'plugin name' }) };
  static override flags = { merchant: Flags.string({ summary: 'Merchant id (admins only).' }) };

  async run() {
    const { args, flags } = await this.parse(Rollback);
    const client = await this.client(flags);
    const query = flags.merchant ? `?merchantId=${encodeURIComponent(flags.merchant)}` : '';
    const install = await findInstall(client, args.plugin, query);
    const result = await client.request<Install>('POST', `/v1/installs/${install.id}/rollback${query}`, {});
    if (!this.jsonEnabled()) this.log(`${paint('green', '✔')} ${args.plugin} rolled back to ${result.version} (was ${install.version})`);
    return { ok: true, ...result };
  }
}
