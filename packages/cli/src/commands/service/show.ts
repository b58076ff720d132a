import { Args } from '@oclif/core';
import { formatFen } from '@tongkit/sdk';
import { HostCommand } from '../../internal/base-command.js';
import { paint, terminalSafe } from '../../internal/output.js';
import type { ServiceOrder } from '@tongkit/sdk';

export default class ServiceShow extends HostCommand {
  static override summary = 'Show a service order: its stages as a progress line with amounts and states, payments and history.';
  static override examples = ['<%= config.bin %> service show S-1001', '<%= config.bin %> service show S-1001 --json'];
  static override args = { id: Args.string({ required: true, description: "The merchant's order ID of the service order" }) };

  async run() {
    const { args, flags } = await this.parse(ServiceShow);
    const order = await (await this.client(flags)).request<ServiceOrder>('GET', `/v1/service-orders/${encodeURIComponent(args.id)}`);
    if (!this.jsonEnabled()) {
      this.log(`${paint('bold', terminalSafe(order['id']))}  ${order['status']} · total ${formatFen(order['totalFen'])} · paid ${formatFen(order['paidFen'])} · plan ${order['planSource']}`);
      for (const s of order['stages']) {
        const name = terminalSafe(s['label'] ?? s['kind']);
        const flagsText = [s['needsAppointment'] ? 'appointment' : '', s['refundable'] ? '' : 'non-refundable'].filter(Boolean).join(', ');
        this.log(`  ${String(s['stageNo']).padStart(2)}. ${name.padEnd(20)} ${String(s['ratioBps'] / 100).padStart(5)} %  ${formatFen(s['amountFen']).padStart(14)}  ${s['state']}${flagsText ? paint('dim', ` (${flagsText})`) : ''}`);
      }
      const unmatched = order['callbacks'].filter((c) => c['outcome'] === 'unmatched');
      for (const c of unmatched) this.log(paint('yellow', `  unmatched payment ${terminalSafe(c['providerPaymentId'])} ${formatFen(c['amountFen'])}: ${c['reason']} (${c['refundStatus']})`));
      for (const h of order['history'].slice(-10)) this.log(paint('dim', `  ${h['at']} stage ${h['stageNo']} ${h['from']} → ${h['to']} by ${terminalSafe(h['actor'])}: ${terminalSafe(h['reason'])}`));
    }
    return order;
  }
}
