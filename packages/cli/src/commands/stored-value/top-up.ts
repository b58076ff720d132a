import { Args, Flags } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';
import { paint } from '../../internal/output.js';

export default class StoredValueTopUp extends HostCommand {
  static override summary = 'Start a member’s top-up (pending until the payment provider’s signed callback pays it); --fake-pay pays it through the fake provider (development merchants).';
  static override examples = ['<%= config.bin %> stored-value top-up mem_… 100000 --key tu-4711', '<%= config.bin %> stored-value top-up mem_… 100000 --key tu-4712 --fake-pay'];
  static override args = {
    memberId: Args.string({ required: true, description: 'The opaque member ID' }),
    principalFen: Args.integer({ required: true, min: 1, description: 'What the member pays in, in fen' }),
  };
  static override flags = {
    key: Flags.string({ required: true, summary: 'Idempotency key: one per top-up.' }),
    'fake-pay': Flags.boolean({ summary: 'Pay it at once through the fake provider (development merchants only).' }),
  };

  async run() {
    const { args, flags } = await this.parse(StoredValueTopUp);
    const client = await this.client(flags);
    const topUp = await client.request<{ topUpId: string; principalFen: number; bonusFen: number; status: string }>('POST', `/v1/members/${encodeURIComponent(args.memberId)}/stored-value/top-ups`, { principalFen: args.principalFen }, { 'idempotency-key': flags.key });
    const paid = flags['fake-pay'] ? await client.request<{ result: string; code?: string }>('POST', `/v1/dev/stored-value/top-ups/${encodeURIComponent(topUp.topUpId)}/capture`, {}) : undefined;
    if (!this.jsonEnabled()) {
      this.log(`${paint('green', '✔')} top-up ${topUp.topUpId}: ${topUp.principalFen} fen + bonus ${topUp.bonusFen} fen · ${paid ? `payment ${paid.result}${paid.code ? ` (${paid.code})` : ''}` : topUp.status}`);
    }
    return { ...topUp, ...(paid ? { payment: paid } : {}) };
  }
}
