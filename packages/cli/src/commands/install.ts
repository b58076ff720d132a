import { Args, Flags } from '@oclif/core';
import { TkError } from '@tongkit/sdk';
import { HostCommand } from '../internal/base-command.js';
import { parsePluginRef } from '../internal/client.js';
import { paint } from '../internal/output.js';
import { readJsonArgument } from '../internal/project.js';
import type { CatalogEntry, Install as InstallView, Items } from '@tongkit/host';

export default class Install extends HostCommand {
  static override summary = 'Install a plugin for a merchant, consenting to its permissions.';
  static override description = `Without --grant, shows the permissions the plugin asks for with their consent texts and stops;
--yes consents to all of them. --merchant is for admins acting for a merchant.`;
  static override examples = [
    '<%= config.bin %> install acme-tiers --yes --settings settings.json --profile local-merchant',
    '<%= config.bin %> install acme-tiers@1.2.0 --grant member:read --json',
  ];
  static override args = { ref: Args.string({ required: true, description: 'plugin or plugin@version' }) };
  static override flags = {
    grant: Flags.string({ summary: 'Permissions to grant (comma-separated).', multiple: true, delimiter: ',' }),
    yes: Flags.boolean({ char: 'y', summary: 'Consent to every permission the plugin asks for.', default: false }),
    settings: Flags.string({ char: 's', summary: 'Settings JSON file.' }),
    merchant: Flags.string({ summary: 'Merchant id (admins only).' }),
  };

  async run() {
    const { args, flags } = await this.parse(Install);
    const client = await this.client(flags);
    const { plugin, version } = parsePluginRef(args.ref);
    const query = flags.merchant ? `?merchantId=${encodeURIComponent(flags.merchant)}` : '';
    let grant = flags.grant ?? [];
    if (flags.yes || grant.length === 0) {
      const { items } = await client.request<Items<CatalogEntry>>('GET', `/v1/catalog${query}`);
      const entry = items.find((i) => i.plugin === plugin);
      const asked = entry?.permissions ?? [];
      if (flags.yes) grant = asked;
      else if (asked.length > 0) {
        throw new TkError('TK_VALIDATION', `${plugin} asks for: ${asked.join(', ')}`, {
          fault: 'user',
          path: '/grantPermissions',
          hint: 'Consent with --grant <permissions> or --yes (see `tongkit schema permissions` for what each allows).',
        });
      }
    }
    const settings = flags.settings ? await readJsonArgument(flags.settings, '--settings') : undefined;
    const install = await client.request<InstallView>('POST', `/v1/installs${query}`, { plugin, ...(version ? { version } : {}), grantPermissions: grant, ...(settings ? { settings } : {}) });
    if (!this.jsonEnabled()) {
      this.log(`${paint('green', '✔')} installed ${paint('bold', `${install.plugin}@${install.version}`)} as ${install.id}`);
      this.log(`  points: ${install.enabledPoints.join(', ') || 'none'} · events: ${install.enabledEvents.join(', ') || 'none'} · granted: ${install.grantedPermissions.join(', ') || 'none'}`);
    }
    return { ok: true, ...install };
  }
}
