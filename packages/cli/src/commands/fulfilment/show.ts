import { Args, Flags } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';
import { paint, terminalSafe } from '../../internal/output.js';
import type { StoreFulfilmentView } from '@tongkit/host';

export default class FulfilmentShow extends HostCommand {
  static override summary = 'Show a store’s fulfilment settings and whether it is open now.';
  static override examples = ['<%= config.bin %> fulfilment show sh-01', '<%= config.bin %> fulfilment show sh-01 --json'];
  static override args = { store: Args.string({ required: true, description: 'Store id' }) };
  static override flags = { merchant: Flags.string({ summary: 'Merchant id (admins only).' }) };

  async run() {
    const { args, flags } = await this.parse(FulfilmentShow);
    const query = flags.merchant ? `?merchantId=${encodeURIComponent(flags.merchant)}` : '';
    const view = await (await this.client(flags)).request<StoreFulfilmentView>('GET', `/v1/stores/${encodeURIComponent(args.store)}/fulfilment${query}`);
    if (!this.jsonEnabled()) {
      const s = view.settings;
      this.log(`${paint('bold', terminalSafe(view.storeId))}  ${view.openNow ? paint('green', 'open now') : paint('yellow', 'closed now')}  (${view.timeZone})`);
      this.log(`capabilities  ${s.capabilities.join(', ') || 'none'}`);
      this.log(`hours         ${s.workingHours.map((h: { day: string; opens: string; closes: string }) => `${h.day} ${h.opens}–${h.closes}`).join(', ') || 'none'}`);
      this.log(`closed days   ${s.closedDays.join(', ') || 'none'}`);
      this.log(`capacity      ${s.dailyCapacity} orders a day, priority ${s.priority}`);
      this.log(`delivery      ${s.location ? `${s.location.lat},${s.location.lng} within ${s.deliveryRadiusM} m, from ${s.minDeliveryOrderFen} fen` : 'no location'}`);
    }
    return { ok: true, ...view };
  }
}
