import { Args, Flags } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';
import { paint } from '../../internal/output.js';

export default class StoredValueSpend extends HostCommand {
  static override summary = 'Spend a member’s stored value at a till (oldest lots first, each at its principal:bonus ratio).';
  static override description = 'The same --key again changes nothing and shows the first outcome. A balance never goes below zero: too little is rejected with insufficient_balance.';
  static override examples = ['<%= config.bin %> stored-value spend mem_… 5500 --key receipt-9 --store acme-store1'];
  static override args = {
    memberId: Args.string({ required: true, description: 'The opaque member ID' }),
    amountFen: Args.integer({ required: true, min: 1, description: 'What the till takes, in fen' }),
  };
  static override flags = {
    key: Flags.string({ required: true, summary: 'Idempotency key: one per payment (e.g. the receipt number).' }),
    store: Flags.string({ summary: 'The store of the till.' }),
    order: Flags.string({ summary: 'The order it pays.' }),
  };

  async run() {
    const { args, flags } = await this.parse(StoredValueSpend);
    const client = await this.client(flags);
    const result = await client.request<{ status: string; reason?: string; refId: string; principalDeltaFen: number; bonusDeltaFen: number; balanceFen: number }>(
      'POST',
      `/v1/members/${encodeURIComponent(args.memberId)}/stored-value/spends`,
      { amountFen: args.amountFen, ...(flags.store ? { storeId: flags.store } : {}), ...(flags.order ? { orderId: flags.order } : {}) },
      { 'idempotency-key': flags.key },
    );
    if (!this.jsonEnabled()) {
      const mark = result.status === 'rejected' ? paint('red', '✖ rejected') : result.status === 'duplicate' ? paint('yellow', '• duplicate') : paint('green', '✔ applied');
      this.log(`${mark}${result.reason ? ` (${result.reason})` : ''}  spend ${result.refId}: principal ${result.principalDeltaFen} · bonus ${result.bonusDeltaFen} · balance ${result.balanceFen} fen`);
    }
    return result;
  }
}
