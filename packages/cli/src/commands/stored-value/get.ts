import { Args } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';
import { paint } from '../../internal/output.js';

const yuan = (fen: number) => (fen / 100).toFixed(2);

export default class StoredValueGet extends HostCommand {
  static override summary = 'Show a member’s stored value (会员宝): balance, principal, bonus and the lots it is drawn from, oldest first.';
  static override examples = ['<%= config.bin %> stored-value get mem_0123456789abcdefghijklmnop', '<%= config.bin %> stored-value get mem_… --json'];
  static override args = { memberId: Args.string({ required: true, description: 'The opaque member ID' }) };

  async run() {
    const { args, flags } = await this.parse(StoredValueGet);
    const client = await this.client(flags);
    const view = await client.request<{ memberId: string; balanceFen: number; principalFen: number; bonusFen: number; lots: Array<{ lotId: string; principalFen: number; bonusFen: number; principalRemainingFen: number; bonusRemainingFen: number }> }>(
      'GET',
      `/v1/members/${encodeURIComponent(args.memberId)}/stored-value`,
    );
    if (!this.jsonEnabled()) {
      this.log(`${paint('bold', view.memberId)}  ¥${yuan(view.balanceFen)} (principal ¥${yuan(view.principalFen)} + bonus ¥${yuan(view.bonusFen)})`);
      for (const lot of view.lots) this.log(`  lot ${lot.lotId}: ¥${yuan(lot.principalRemainingFen)} of ¥${yuan(lot.principalFen)} + bonus ¥${yuan(lot.bonusRemainingFen)} of ¥${yuan(lot.bonusFen)}`);
    }
    return view;
  }
}
