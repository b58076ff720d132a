import { Args, Flags } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';
import { paint, terminalSafe } from '../../internal/output.js';
import type { MerchantStore, MerchantStoreRequest } from '@tongkit/host';

export default class StoresAdd extends HostCommand {
  static override summary = 'Add a store to the merchant, or rename one of its stores.';
  static override description = `Store ids are unique across the host: an id another merchant holds is refused (TK_CONFLICT).
Adding an id the merchant already has renames that store and sets its channel.`;
  static override examples = [
    '<%= config.bin %> stores add sh-02 --name "Shanghai 02" --profile local-merchant',
    '<%= config.bin %> stores add web --name "Online shop" --channel online --json',
  ];
  static override args = { id: Args.string({ required: true, description: 'store id (lowercase letters, digits, - and _)' }) };
  static override flags = {
    name: Flags.string({ summary: 'What the merchant calls the store.', required: true }),
    channel: Flags.string({ summary: 'Where it sells.', options: ['store', 'online', 'warehouse'], default: 'store' }),
    merchant: Flags.string({ summary: 'Merchant id (admins only).' }),
  };

  async run() {
    const { args, flags } = await this.parse(StoresAdd);
    const query = flags.merchant ? `?merchantId=${encodeURIComponent(flags.merchant)}` : '';
    const body: MerchantStoreRequest = { id: args.id, name: flags.name, channel: flags.channel as MerchantStoreRequest['channel'] };
    const store = await (await this.client(flags)).request<MerchantStore>('POST', `/v1/stores${query}`, body);
    if (!this.jsonEnabled()) this.log(`${paint('green', '✔')} store ${paint('bold', terminalSafe(store.id))} (${store.channel}): ${terminalSafe(store.name)}`);
    return { ok: true, ...store };
  }
}
