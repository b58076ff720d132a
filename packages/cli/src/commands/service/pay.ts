import { Args, Flags } from '@oclif/core';
import { formatFen } from '@tongkit/sdk';
import { HostCommand } from '../../internal/base-command.js';
import { paint, terminalSafe } from '../../internal/output.js';

export default class ServicePay extends HostCommand {
  static override summary = 'Pay a stage of a service order through the fake payment provider (development merchants only).';
  static override description =
    'Creates the payment intent of the payable stage, then has the fake provider capture it and send its signed callback to POST /v1/payments/callback, as a real provider would.';
  static override examples = ['<%= config.bin %> service pay S-1001 1', '<%= config.bin %> service pay S-1001 2 --amount 9999   # a wrong amount: recorded unmatched and refunded'];
  static override args = {
    order: Args.string({ required: true, description: "The service order's ID" }),
    stage: Args.integer({ required: true, min: 1, max: 10, description: 'The stage number (1 is the first)' }),
  };
  static override flags = {
    amount: Flags.integer({ min: 0, description: 'Capture this many fen instead of the intent’s amount (to try an unmatched payment)' }),
  };

  async run() {
    const { args, flags } = await this.parse(ServicePay);
    const client = await this.client(flags);
    const base = `/v1/service-orders/${encodeURIComponent(args.order)}/stages/${args.stage}`;
    const intent = await client.request<Record<string, any>>('POST', `${base}/pay`);
    if (!intent['intentId']) {
      if (!this.jsonEnabled()) this.log(paint('yellow', `stage ${args.stage} is not payable: ${terminalSafe(intent['message'] ?? intent['code'])}`));
      return intent;
    }
    const captured = await client.request<Record<string, any>>('POST', `/v1/dev/payments/${encodeURIComponent(intent['intentId'])}/capture`, flags.amount === undefined ? {} : { amountFen: flags.amount });
    if (!this.jsonEnabled()) {
      const stage = (intent['order']['stages'] as Array<Record<string, any>>).find((s) => s['stageNo'] === args.stage)!;
      this.log(`${captured['result']}${captured['code'] ? ` (${captured['code']})` : ''}: stage ${args.stage} ${formatFen(flags.amount ?? stage['amountFen'])} via intent ${intent['intentId']}`);
    }
    return { intentId: intent['intentId'], ...captured };
  }
}
