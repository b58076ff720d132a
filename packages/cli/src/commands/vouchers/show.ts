import { Args, Flags } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';

export default class VouchersShow extends HostCommand {
  static override summary = 'Show a voucher’s counts (initial / available / used / locked); --reverse a redemption or --extend its validity.';
  static override examples = ['<%= config.bin %> vouchers show V0123456789ABCDEF', '<%= config.bin %> vouchers show V0123456789ABCDEF --extend 2027-06-30T00:00:00Z', '<%= config.bin %> vouchers show V0123456789ABCDEF --reverse vr_0123456789abcdef0123'];
  static override args = { serial: Args.string({ required: true, description: 'Voucher serial' }) };
  static override flags = {
    extend: Flags.string({ summary: 'Extend validity to this date-time (never shortens).' }),
    reverse: Flags.string({ summary: 'Reverse this redemption of the voucher.' }),
  };

  async run() {
    const { args, flags } = await this.parse(VouchersShow);
    const client = await this.client(flags);
    const serial = encodeURIComponent(args.serial);
    if (flags.reverse) await client.request('POST', `/v1/voucher-redemptions/${encodeURIComponent(flags.reverse)}/reverse`);
    const v = flags.extend ? await client.request<Record<string, any>>('POST', `/v1/vouchers/${serial}/extend`, { validUntil: flags.extend }) : await client.request<Record<string, any>>('GET', `/v1/vouchers/${serial}`);
    if (!this.jsonEnabled()) this.log(`${v['serial']} (${v['templateId']}): initial ${v['initial']} · available ${v['available']} · used ${v['used']} · locked ${v['locked']} · valid until ${v['validUntil']}`);
    return v;
  }
}
