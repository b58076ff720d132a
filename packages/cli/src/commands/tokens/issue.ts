import { Flags } from '@oclif/core';
import { TkError } from '@tongkit/sdk';
import { HostCommand } from '../../internal/base-command.js';
import { paint, terminalSafe } from '../../internal/output.js';

export default class TokensIssue extends HostCommand {
  static override summary = 'Issue a token for one of your systems (--integration), a store (--store) or a staff member (--staff).';
  static override description = `An integration token is for the merchant's POS or ERP: it may record the merchant's orders and
refunds (POST /v1/orders, POST /v1/orders/{id}/refunds, so also \`tongkit orders import\`) and nothing else.
The token is printed once; the host keeps only its hash. Revoke it with \`tongkit tokens revoke <id>\`.`;
  static override examples = [
    '<%= config.bin %> tokens issue --integration pos-main',
    '<%= config.bin %> tokens issue --store sh-01 --json',
    '<%= config.bin %> tokens issue --staff guide-7',
  ];
  static override flags = {
    integration: Flags.string({ summary: 'Name of the system the token is for (pos-main, erp).', exclusive: ['store', 'staff'] }),
    store: Flags.string({ summary: 'Store id: a token for the staff at that store’s till.', exclusive: ['integration', 'staff'] }),
    staff: Flags.string({ summary: 'Staff id: a token for one staff member.', exclusive: ['integration', 'store'] }),
    merchant: Flags.string({ summary: 'Merchant id (admins only).' }),
  };

  async run() {
    const { flags } = await this.parse(TokensIssue);
    const body =
      flags.integration !== undefined ? { role: 'integration', name: flags.integration }
      : flags.store !== undefined ? { role: 'store', storeId: flags.store }
      : flags.staff !== undefined ? { role: 'staff', staffId: flags.staff }
      : undefined;
    if (!body) throw new TkError('TK_VALIDATION', 'say whom the token is for', { fault: 'user', hint: 'Pass --integration <name>, --store <id> or --staff <id>.' });
    const query = flags.merchant ? `?merchantId=${encodeURIComponent(flags.merchant)}` : '';
    const issued = await (await this.client(flags)).request<{ id: string; role: string; token: string; name: string | null; storeId: string | null; staffId: string | null }>('POST', `/v1/tokens${query}`, body);
    if (!this.jsonEnabled()) {
      const whom = issued.name ?? issued.storeId ?? issued.staffId ?? '';
      this.log(`${paint('green', '✔')} ${issued.role} token ${paint('bold', issued.id)} for ${terminalSafe(whom)}`);
      this.log(issued.token);
      this.log(paint('dim', 'Shown once: store it in the system’s secret settings now.'));
    }
    return { ok: true, ...issued };
  }
}
