import { Args } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';
import { formatFen } from '@tongkit/sdk';
import { paint, terminalSafe } from '../../internal/output.js';
import type { Order } from '@tongkit/sdk';

export default class OrdersGet extends HostCommand {
  static override summary = 'Show an order with its tenders and refunds.';
  static override examples = ['<%= config.bin %> orders get A-1001', '<%= config.bin %> orders get A-1001 --json'];
  static override args = { id: Args.string({ required: true, description: "The merchant's order ID" }) };

  async run() {
    const { args, flags } = await this.parse(OrdersGet);
    const order = await (await this.client(flags)).request<Order>('GET', `/v1/orders/${encodeURIComponent(args.id)}`);
    if (!this.jsonEnabled()) {
      this.log(`${paint('bold', terminalSafe(order['id']))}  ${order['kind']} · ${order['channel']}${order['storeId'] ? ` · ${terminalSafe(order['storeId'])}` : ''} · ${order['status']} · paid ${order['paidAt']} (${order['paidOn']})`);
      this.log(`  total ${formatFen(order['totalFen'])} · spend ${formatFen(order['spendFen'])} · refunded ${formatFen(order['refundedFen'])} · member ${order['memberId'] ?? 'guest'}`);
      for (const t of order['tenders']) this.log(`  ${t['method'].padEnd(12)} ${formatFen(t['amountFen'])} (refunded ${formatFen(t['refundedFen'])})`);
      for (const r of order['refunds']) this.log(paint('dim', `  refund ${terminalSafe(r['id'])} ${formatFen(r['amountFen'])} at ${r['refundedAt']}`));
    }
    return order;
  }
}
