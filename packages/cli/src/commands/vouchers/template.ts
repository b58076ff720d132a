import { Args, Flags } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';
import { paint } from '../../internal/output.js';

export default class VouchersTemplate extends HostCommand {
  static override summary = 'Create or replace a voucher template: a free service (a stage kind) or a value; uses, validity, stores.';
  static override examples = [
    '<%= config.bin %> vouchers template free-measure --title "免费量尺" --service measurement --valid-days 60 --store sh-01',
    '<%= config.bin %> vouchers template gift-200 --title "¥200 off installation" --value 20000 --valid-days 90',
  ];
  static override args = { id: Args.string({ required: true, description: 'Template id' }) };
  static override flags = {
    title: Flags.string({ required: true, summary: 'Title shown to the member.' }),
    service: Flags.string({ summary: 'The stage kind a free-service voucher covers.', exclusive: ['value'] }),
    value: Flags.integer({ min: 1, summary: 'Value in fen (a value voucher).', exclusive: ['service'] }),
    uses: Flags.integer({ min: 1, max: 100, summary: 'Uses per voucher (default 1).' }),
    'valid-days': Flags.integer({ required: true, min: 1, summary: 'Days valid from issue.' }),
    store: Flags.string({ multiple: true, summary: 'A store where it is valid (repeatable; none: every store).' }),
  };

  async run() {
    const { args, flags } = await this.parse(VouchersTemplate);
    const body = {
      title: flags.title,
      kind: flags.value !== undefined ? 'value' : 'free_service',
      ...(flags.service ? { serviceKind: flags.service } : {}),
      ...(flags.value !== undefined ? { valueFen: flags.value } : {}),
      ...(flags.uses !== undefined ? { uses: flags.uses } : {}),
      validDays: flags['valid-days'],
      ...(flags.store ? { storeIds: flags.store } : {}),
    };
    const saved = await (await this.client(flags)).request<Record<string, any>>('PUT', `/v1/voucher-templates/${encodeURIComponent(args.id)}`, body);
    if (!this.jsonEnabled()) this.log(`${paint('green', '✔')} template ${saved['id']}: ${saved['kind']}, ${saved['uses']} use(s), ${saved['validDays']} days`);
    return saved;
  }
}
