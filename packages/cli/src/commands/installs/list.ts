import { Flags } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';
import { paint, terminalSafe } from '../../internal/output.js';
import type { Install, Items } from '@tongkit/host';

export default class InstallsList extends HostCommand {
  static override summary = 'List the merchant’s installs: id, plugin@version, status and enabled points.';
  static override description = 'The id is what `tongkit settings set <install-id>` takes.';
  static override examples = ['<%= config.bin %> installs list --profile local-merchant', '<%= config.bin %> installs list --json'];
  static override flags = { merchant: Flags.string({ summary: 'Merchant id (admins only).' }) };

  async run() {
    const { flags } = await this.parse(InstallsList);
    const query = flags.merchant ? `?merchantId=${encodeURIComponent(flags.merchant)}` : '';
    const { items } = await (await this.client(flags)).request<Items<Install>>('GET', `/v1/installs${query}`);
    if (!this.jsonEnabled()) {
      if (items.length === 0) this.log(paint('dim', 'no installs (install one: tongkit install <plugin>)'));
      for (const install of items) {
        const status = install.status === 'active' ? paint('green', 'active') : paint('yellow', install.status);
        const pending = install.pendingVersion ? paint('yellow', `  (${install.pendingVersion} waits for consent)`) : '';
        const points = install.enabledPoints.length > 0 ? install.enabledPoints.join(', ') : 'no points';
        this.log(`${paint('bold', install.id)}  ${terminalSafe(`${install.plugin}@${install.version}`)}  ${status}  ${terminalSafe(points)}${pending}`);
      }
    }
    return { ok: true, items };
  }
}
