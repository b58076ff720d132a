import { Args, Flags } from '@oclif/core';
import type { AllocationAnswer } from '@tongkit/host';
import { HostCommand } from '../../internal/base-command.js';
import { paint } from '../../internal/output.js';

export default class AllocationsRefuse extends HostCommand {
  static override summary = 'Refuse an allocation with a reason: the order is reallocated, never to this store again.';
  static override examples = ['<%= config.bin %> allocations refuse sh-01 alc_3f9c0a1b2c3d4e5f6a7b8c9d --reason out_of_stock --note "shelf empty" --token $STORE_TOKEN'];
  static override args = { store: Args.string({ required: true, description: 'Store id' }), allocation: Args.string({ required: true, description: 'Allocation id (alc_…)' }) };
  static override flags = {
    reason: Flags.string({ summary: 'Why the store refuses.', required: true, options: ['out_of_stock', 'no_capacity', 'closed', 'damaged', 'other'] }),
    note: Flags.string({ summary: 'A note for the merchant (up to 200 characters).' }),
    merchant: Flags.string({ summary: 'Merchant id (admins only).' }),
  };

  async run() {
    const { args, flags } = await this.parse(AllocationsRefuse);
    const query = flags.merchant ? `?merchantId=${encodeURIComponent(flags.merchant)}` : '';
    const body = { reason: flags.reason, ...(flags.note ? { note: flags.note } : {}) };
    const answer = await (await this.client(flags)).request<AllocationAnswer>('POST', `/v1/stores/${encodeURIComponent(args.store)}/allocations/${encodeURIComponent(args.allocation)}/refuse${query}`, body);
    if (!this.jsonEnabled()) {
      this.log(answer.status === 'rejected' ? paint('yellow', `not refused: ${answer.reason}`) : paint('green', `refused${answer.status === 'duplicate' ? ' (already)' : ''}: the order is reallocated`));
    }
    return { ok: answer.status !== 'rejected', ...answer };
  }
}
