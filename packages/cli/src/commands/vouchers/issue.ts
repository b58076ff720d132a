import { Args, Flags } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';

export default class VouchersIssue extends HostCommand {
  static override summary = 'Issue a voucher of a template to a member, for a stage of a service order or as a gift.';
  static override examples = ['<%= config.bin %> vouchers issue free-measure --member mem_123 --order F-1001 --stage 2 --key F-1001-measure'];
  static override args = { template: Args.string({ required: true, description: 'Template id' }) };
  static override flags = {
    member: Flags.string({ summary: 'Member id.' }),
    order: Flags.string({ summary: 'Service order id (with --stage).', dependsOn: ['stage'] }),
    stage: Flags.integer({ min: 1, max: 10, summary: 'Stage number (with --order).', dependsOn: ['order'] }),
    key: Flags.string({ required: true, summary: 'Issue key: the same key answers the same voucher.' }),
  };

  async run() {
    const { args, flags } = await this.parse(VouchersIssue);
    const body = { templateId: args.template, issueKey: flags.key, ...(flags.member ? { memberId: flags.member } : {}), ...(flags.order ? { orderId: flags.order, stageNo: flags.stage } : {}) };
    const answer = await (await this.client(flags)).request<Record<string, any>>('POST', '/v1/vouchers', body);
    if (!this.jsonEnabled()) this.log(`${answer['result']}: voucher ${answer['voucher']['serial']} valid until ${answer['voucher']['validUntil']}`);
    return answer;
  }
}
