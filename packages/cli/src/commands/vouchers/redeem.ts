import { Args, Flags } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';
import { paint } from '../../internal/output.js';

export default class VouchersRedeem extends HostCommand {
  static override summary = 'Precheck or redeem a voucher by serial at a store (a use is locked, then used; never twice).';
  static override description = 'Also with a store or staff token of that store (--token). --check only prechecks and changes nothing.';
  static override examples = ['<%= config.bin %> vouchers redeem V0123456789ABCDEF --store sh-01 --request till-7-0042', '<%= config.bin %> vouchers redeem V0123456789ABCDEF --store sh-01 --check'];
  static override args = { serial: Args.string({ required: true, description: 'Voucher serial' }) };
  static override flags = {
    store: Flags.string({ required: true, summary: 'Store id.' }),
    request: Flags.string({ summary: 'The till’s redemption ID (a retry with it is the same redemption).' }),
    check: Flags.boolean({ summary: 'Only precheck: valid here, for which stage.' }),
  };

  async run() {
    const { args, flags } = await this.parse(VouchersRedeem);
    const client = await this.client(flags);
    const serial = encodeURIComponent(args.serial);
    if (flags.check) {
      const answer = await client.request<Record<string, any>>('POST', `/v1/vouchers/${serial}/precheck`, { storeId: flags.store });
      if (!this.jsonEnabled()) this.log(answer['valid'] ? `${paint('green', 'valid')} at ${flags.store}${answer['stage'] ? ` for ${answer['stage']['orderId']} stage ${answer['stage']['stageNo']}` : ''}` : paint('yellow', `not valid: ${answer['code']}`));
      return answer;
    }
    const answer = await client.request<Record<string, any>>('POST', `/v1/vouchers/${serial}/redeem`, { storeId: flags.store, requestId: flags.request ?? `cli-${Date.now()}` });
    if (!this.jsonEnabled()) {
      const v = answer['voucher'];
      this.log(`${answer['result']}${answer['code'] ? ` (${answer['code']})` : ''}: ${v['serial']} initial ${v['initial']} · available ${v['available']} · used ${v['used']} · locked ${v['locked']}`);
    }
    return answer;
  }
}
