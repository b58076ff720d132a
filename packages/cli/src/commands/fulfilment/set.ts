import { Args, Flags } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';
import { jsonForTerminal, paint } from '../../internal/output.js';
import { readJsonArgument } from '../../internal/project.js';
import type { StoreFulfilmentView } from '@tongkit/host';

export default class FulfilmentSet extends HostCommand {
  static override summary = 'Make a store a fulfilment point, or change its settings.';
  static override description = `The file holds the whole settings: capabilities (deliver, pickup), workingHours
([{ day, opens, closes }] in the merchant's time zone), closedDays, dailyCapacity, priority (0–10), location
({ lat, lng } or null), deliveryRadiusM and minDeliveryOrderFen. The host checks them and names the JSON path
of anything wrong.`;
  static override examples = ['<%= config.bin %> fulfilment set sh-01 --file sh-01.fulfilment.json'];
  static override args = { store: Args.string({ required: true, description: 'Store id' }) };
  static override flags = {
    file: Flags.string({ summary: 'Settings JSON file.', required: true }),
    merchant: Flags.string({ summary: 'Merchant id (admins only).' }),
  };

  async run() {
    const { args, flags } = await this.parse(FulfilmentSet);
    const client = await this.client(flags);
    const query = flags.merchant ? `?merchantId=${encodeURIComponent(flags.merchant)}` : '';
    const settings = await readJsonArgument(flags.file, '--file');
    const saved = await client.request<StoreFulfilmentView>('PUT', `/v1/stores/${encodeURIComponent(args.store)}/fulfilment${query}`, settings);
    if (!this.jsonEnabled()) this.log(`${paint('green', '✔')} store ${args.store} fulfilment saved (${saved.timeZone}, ${saved.openNow ? 'open now' : 'closed now'}): ${jsonForTerminal(saved.settings)}`);
    return { ok: true, ...saved };
  }
}
