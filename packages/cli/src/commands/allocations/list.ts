import { Args, Flags } from '@oclif/core';
import type { AllocationQueue } from '@tongkit/host';
import { HostCommand } from '../../internal/base-command.js';
import { paint, terminalSafe } from '../../internal/output.js';

export default class AllocationsList extends HostCommand {
  static override summary = 'List a store’s allocation queue (newest first) with the SLA countdown.';
  static override description = 'Works with the store’s own token (`--token`, issued by the merchant with POST /v1/tokens): a store token sees only its own store.';
  static override examples = ['<%= config.bin %> allocations list sh-01 --status allocated --token $STORE_TOKEN', '<%= config.bin %> allocations list sh-01 --json'];
  static override args = { store: Args.string({ required: true, description: 'Store id' }) };
  static override flags = {
    status: Flags.string({ summary: 'Only allocations in this status.', options: ['allocated', 'accepted', 'refused', 'expired', 'short'] }),
    limit: Flags.integer({ summary: 'At most this many (1–200).', min: 1, max: 200 }),
    merchant: Flags.string({ summary: 'Merchant id (admins only).' }),
  };

  async run() {
    const { args, flags } = await this.parse(AllocationsList);
    const query = new URLSearchParams();
    if (flags.status) query.set('status', flags.status);
    if (flags.limit) query.set('limit', String(flags.limit));
    if (flags.merchant) query.set('merchantId', flags.merchant);
    const suffix = query.size > 0 ? `?${query}` : '';
    const queue = await (await this.client(flags)).request<AllocationQueue>('GET', `/v1/stores/${encodeURIComponent(args.store)}/allocations${suffix}`);
    if (!this.jsonEnabled()) {
      if (queue.items.length === 0) this.log('no allocations');
      for (const a of queue.items) {
        const left = a.secondsLeft === null ? '' : paint('yellow', ` ${Math.floor(a.secondsLeft / 60)}m${String(a.secondsLeft % 60).padStart(2, '0')}s left`);
        const lines = a.lines.map((l) => `${terminalSafe(l.sku)}×${l.quantity}`).join(', ');
        this.log(`${paint('bold', a.id)}  order ${terminalSafe(a.orderId)}  ${a.status}${a.reason ? ` (${terminalSafe(a.reason)})` : ''}${left}  ${lines}`);
      }
    }
    return { ok: true, ...queue };
  }
}
