import { Flags } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';
import { paint, terminalSafe } from '../../internal/output.js';
import type { Items, MerchantStore } from '@tongkit/host';

export default class StoresList extends HostCommand {
  static override summary = 'List the merchant’s stores (the ids `--store` takes).';
  static override examples = ['<%= config.bin %> stores list --profile local-merchant', '<%= config.bin %> stores list --json'];
  static override flags = { merchant: Flags.string({ summary: 'Merchant id (admins only).' }) };

  async run() {
    const { flags } = await this.parse(StoresList);
    const query = flags.merchant ? `?merchantId=${encodeURIComponent(flags.merchant)}` : '';
    const { items } = await (await this.client(flags)).request<Items<MerchantStore>>('GET', `/v1/stores${query}`);
    if (!this.jsonEnabled()) {
      if (items.length === 0) this.log(paint('dim', 'no stores (add one: tongkit stores add <id> --name <name>)'));
      for (const store of items) this.log(`${paint('bold', terminalSafe(store.id))}  ${store.channel.padEnd(9)}  ${terminalSafe(store.name)}`);
    }
    return { ok: true, items };
  }
}
