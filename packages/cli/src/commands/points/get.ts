import { Args } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';
import { paint, terminalSafe } from '../../internal/output.js';
import type { MemberPointsView } from '@tongkit/host';


export default class PointsGet extends HostCommand {
  static override summary = 'Show a member’s points and growth value: balances, open holds, debt and the next-expiring lots.';
  static override examples = ['<%= config.bin %> points get mem_0123456789abcdefghijklmnop', '<%= config.bin %> points get mem_… --json'];
  static override args = { memberId: Args.string({ required: true, description: 'The opaque member ID' }) };

  async run() {
    const { args, flags } = await this.parse(PointsGet);
    const client = await this.client(flags);
    const view = await client.request<MemberPointsView>(
      'GET',
      `/v1/members/${encodeURIComponent(args.memberId)}/points`,
    );
    if (!this.jsonEnabled()) {
      const { points, growth } = view;
      this.log(`${paint('bold', view.memberId)}  points ${points.balance}${points.held ? ` (+${points.held} held)` : ''}${points.debt ? paint('red', ` · owes ${points.debt}`) : ''} · growth ${growth.balance}${growth.debt ? paint('red', ` · owes ${growth.debt}`) : ''}`);
      for (const hold of view.holds) this.log(`  hold ${hold.holdId}: ${hold.amount} until ${hold.expiresAt} (${terminalSafe(hold.reason)})`);
      for (const lot of view.lots) this.log(`  lot ${lot.account} ${lot.remaining} · ${lot.expiresAt ? `expires ${lot.expiresAt}` : 'never expires'}${lot.orderId ? ` · order ${terminalSafe(lot.orderId)}` : ''}`);
    }
    return view;
  }
}
