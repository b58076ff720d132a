import { Flags } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';
import { paint, terminalSafe } from '../../internal/output.js';
import type { VersionPage } from '@tongkit/host';

export default class VersionsList extends HostCommand {
  static override summary = 'List plugin versions and their review status.';
  static override examples = ['<%= config.bin %> versions list', '<%= config.bin %> versions list --plugin acme-tiers --json'];
  static override flags = {
    plugin: Flags.string({ summary: 'Only this plugin.' }),
    status: Flags.string({ summary: 'Only this status.', options: ['draft', 'submitted', 'approved', 'rejected'] }),
  };

  async run() {
    const { flags } = await this.parse(VersionsList);
    const query = new URLSearchParams({ ...(flags.plugin ? { plugin: flags.plugin } : {}), ...(flags.status ? { status: flags.status } : {}) });
    const { items } = await (await this.client(flags)).request<VersionPage>('GET', `/v1/versions${query.size ? `?${query}` : ''}`);
    if (!this.jsonEnabled()) {
      if (items.length === 0) this.log('no versions');
      for (const v of items as Array<Record<string, any>>) {
        const color = v.status === 'approved' ? 'green' : v.status === 'rejected' ? 'red' : 'yellow';
        this.log(`${v.plugin}@${v.version}  ${paint(color, v.status)}${v.reviewComment ? `  “${terminalSafe(String(v.reviewComment))}”` : ''}  ${paint('dim', v.createdAt)}`);
      }
    }
    return { ok: true, items };
  }
}
