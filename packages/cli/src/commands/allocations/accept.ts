import { Args, Flags } from '@oclif/core';
import type { AllocationAnswer } from '@tongkit/host';
import { HostCommand } from '../../internal/base-command.js';
import { paint } from '../../internal/output.js';

export default class AllocationsAccept extends HostCommand {
  static override summary = 'Accept an allocation for the store (after its SLA or a reallocation it answers superseded).';
  static override examples = ['<%= config.bin %> allocations accept sh-01 alc_3f9c0a1b2c3d4e5f6a7b8c9d --token $STORE_TOKEN'];
  static override args = { store: Args.string({ required: true, description: 'Store id' }), allocation: Args.string({ required: true, description: 'Allocation id (alc_…)' }) };
  static override flags = { merchant: Flags.string({ summary: 'Merchant id (admins only).' }) };

  async run() {
    const { args, flags } = await this.parse(AllocationsAccept);
    const query = flags.merchant ? `?merchantId=${encodeURIComponent(flags.merchant)}` : '';
    const answer = await (await this.client(flags)).request<AllocationAnswer>('POST', `/v1/stores/${encodeURIComponent(args.store)}/allocations/${encodeURIComponent(args.allocation)}/accept${query}`);
    if (!this.jsonEnabled()) {
      this.log(answer.status === 'rejected' ? paint('yellow', `not accepted: ${answer.reason} (the allocation is ${answer.allocation.status})`) : paint('green', `accepted${answer.status === 'duplicate' ? ' (already)' : ''}`));
    }
    return { ok: answer.status !== 'rejected', ...answer };
  }
}
