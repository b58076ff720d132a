import { Args } from '@oclif/core';
import { TkError } from '@tongkit/sdk';
import { HostCommand } from '../internal/base-command.js';
import { parsePluginRef } from '../internal/client.js';
import { paint } from '../internal/output.js';
import type { VersionSummary } from '@tongkit/host';

export default class Submit extends HostCommand {
  static override summary = 'Submit a deployed version for review.';
  static override examples = ['<%= config.bin %> submit acme-tiers@1.2.0'];
  static override args = { ref: Args.string({ required: true, description: 'plugin@version' }) };

  async run() {
    const { args, flags } = await this.parse(Submit);
    const { plugin, version } = parsePluginRef(args.ref);
    if (!version) throw new TkError('TK_VALIDATION', `give the version: ${plugin}@<version>`, { fault: 'user' });
    const result = await (await this.client(flags)).request<VersionSummary>('POST', `/v1/plugins/${plugin}/versions/${version}/submit`, {});
    if (!this.jsonEnabled()) this.log(`${paint('green', '✔')} ${plugin}@${version} is ${result.status}`);
    return { ok: true, ...result };
  }
}
