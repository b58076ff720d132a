import { Args, Flags } from '@oclif/core';
import { TkError } from '@tongkit/sdk';
import { HostCommand } from '../internal/base-command.js';
import { findInstall, parsePluginRef } from '../internal/client.js';
import { paint } from '../internal/output.js';
import type { Install } from '@tongkit/host';

export default class Release extends HostCommand {
  static override summary = 'Move a merchant’s install to another version of the plugin.';
  static override description = `A version that asks for new permissions waits (pending) until the merchant consents with
--consent <permissions>. The version it replaces is kept for \`tongkit rollback\`.`;
  static override examples = ['<%= config.bin %> release acme-tiers@1.3.0', '<%= config.bin %> release acme-tiers@2.0.0 --consent storage:kv'];
  static override args = { ref: Args.string({ required: true, description: 'plugin@version' }) };
  static override flags = {
    consent: Flags.string({ summary: 'New permissions the merchant consents to (comma-separated).', multiple: true, delimiter: ',' }),
    merchant: Flags.string({ summary: 'Merchant id (admins only).' }),
  };

  async run() {
    const { args, flags } = await this.parse(Release);
    const { plugin, version } = parsePluginRef(args.ref);
    if (!version) throw new TkError('TK_VALIDATION', `give the version: ${plugin}@<version>`, { fault: 'user' });
    const client = await this.client(flags);
    const query = flags.merchant ? `?merchantId=${encodeURIComponent(flags.merchant)}` : '';
    const install = await findInstall(client, plugin, query);
    const result = await client.request<Install>('POST', `/v1/installs/${install.id}/upgrade${query}`, { version, consent: flags.consent ?? [] });
    if (!this.jsonEnabled()) {
      if (result.pendingVersion) this.log(`${paint('yellow', '…')} ${plugin}@${version} asks for new permissions; it waits for consent (--consent)`);
      else this.log(`${paint('green', '✔')} ${plugin} now runs ${result.version} (was ${install.version})`);
    }
    return { ok: true, ...result };
  }
}
