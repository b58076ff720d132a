import { Flags } from '@oclif/core';
import type { TierLadder } from '@tongkit/host';
import { HostCommand } from '../../internal/base-command.js';
import { paint, terminalSafe } from '../../internal/output.js';

export default class TiersShow extends HostCommand {
  static override summary = 'Show the merchant’s tier ladder.';
  static override examples = ['<%= config.bin %> tiers show', '<%= config.bin %> tiers show --json'];
  static override flags = { merchant: Flags.string({ summary: 'Merchant id (admins only).' }) };

  async run() {
    const { flags } = await this.parse(TiersShow);
    const query = flags.merchant ? `?merchantId=${encodeURIComponent(flags.merchant)}` : '';
    const ladder = await (await this.client(flags)).request<TierLadder>('GET', `/v1/tiers${query}`);
    if (!this.jsonEnabled()) {
      this.log(paint('bold', `tier ladder (revision ${ladder.revision})`));
      for (const tier of [...ladder.tiers].reverse()) this.log(`  ${String(tier.rank).padStart(3)}  ${terminalSafe(tier.id).padEnd(16)} ${terminalSafe(tier.name)}`);
      this.log(`validity      ${ladder.validityMonths === null ? 'until a downgrade' : `${ladder.validityMonths} months`}`);
      this.log(`protection    ${ladder.downgradeProtectionDays} days against a downgrade`);
    }
    return { ok: true, ...ladder };
  }
}
