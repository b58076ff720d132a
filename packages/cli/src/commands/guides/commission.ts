import { Args } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';
import { paint, terminalSafe } from '../../internal/output.js';

export default class GuidesCommission extends HostCommand {
  static override summary = 'Show a guide’s commission: balance (Σ entries), accrued, reversed and the latest entries.';
  static override examples = ['<%= config.bin %> guides commission ann'];
  static override args = { guideId: Args.string({ required: true, description: 'The guide' }) };

  async run() {
    const { args, flags } = await this.parse(GuidesCommission);
    const client = await this.client(flags);
    const view = await client.request<{ guideId: string; balanceFen: number; accruedFen: number; reversedFen: number; entries: Array<{ orderId: string; kind: string; amountFen: number; occurredAt: string; statementMonth: string | null }> }>(
      'GET',
      `/v1/guides/${encodeURIComponent(args.guideId)}/commission`,
    );
    if (!this.jsonEnabled()) {
      this.log(`${paint('bold', terminalSafe(view.guideId))}  balance ${view.balanceFen} fen · accrued ${view.accruedFen} · reversed ${view.reversedFen}`);
      for (const e of view.entries.slice(0, 20)) this.log(`  ${e.occurredAt}  ${e.kind.padEnd(7)} ${String(e.amountFen).padStart(8)}  order ${terminalSafe(e.orderId)}${e.statementMonth ? ` · on ${e.statementMonth}` : ''}`);
    }
    return view;
  }
}
