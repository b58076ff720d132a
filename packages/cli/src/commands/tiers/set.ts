import { Args, Flags } from '@oclif/core';
import type { TierLadder } from '@tongkit/host';
import { HostCommand } from '../../internal/base-command.js';
import { paint, terminalSafe } from '../../internal/output.js';
import { readJsonArgument } from '../../internal/project.js';

export default class TiersSet extends HostCommand {
  static override summary = 'Set the merchant’s tier ladder (replaces it).';
  static override description = `The file holds the ladder: tiers ([{ id, name, rank }], ids and ranks unique, the
lowest rank is the entry tier), validityMonths (how long a reached tier lasts; null: until a downgrade) and
downgradeProtectionDays (days after reaching a tier during which the host refuses a downgrade). The install
that owns member.tier.compute decides among these tiers; the host applies validity and protection. The host
names the JSON path of anything wrong.`;
  static override examples = ['<%= config.bin %> tiers set tiers.json'];
  static override args = { file: Args.string({ required: true, description: 'Ladder JSON file' }) };
  static override flags = { merchant: Flags.string({ summary: 'Merchant id (admins only).' }) };

  async run() {
    const { args, flags } = await this.parse(TiersSet);
    const query = flags.merchant ? `?merchantId=${encodeURIComponent(flags.merchant)}` : '';
    const ladder = await readJsonArgument(args.file, 'file');
    const saved = await (await this.client(flags)).request<TierLadder>('PUT', `/v1/tiers${query}`, ladder);
    if (!this.jsonEnabled()) {
      const names = saved.tiers.map((t: { name: string; rank: number }) => `${terminalSafe(t.name)} (${t.rank})`).join(' → ');
      this.log(`${paint('green', '✔')} tier ladder saved, revision ${saved.revision}: ${names}`);
    }
    return { ok: true, ...saved };
  }
}
