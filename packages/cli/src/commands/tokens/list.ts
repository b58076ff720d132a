import { Flags } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';
import { paint, terminalSafe } from '../../internal/output.js';

interface ListedToken {
  id: string;
  role: string;
  name: string | null;
  storeId: string | null;
  staffId: string | null;
  createdAt: string;
  revokedAt: string | null;
}

export default class TokensList extends HostCommand {
  static override summary = 'List the integration, store and staff tokens you issued (never the tokens themselves).';
  static override examples = ['<%= config.bin %> tokens list', '<%= config.bin %> tokens list --role integration --json'];
  static override flags = {
    role: Flags.string({ options: ['integration', 'store', 'staff'], summary: 'Only tokens of this role.' }),
    merchant: Flags.string({ summary: 'Merchant id (admins only).' }),
  };

  async run() {
    const { flags } = await this.parse(TokensList);
    const query = flags.merchant ? `?merchantId=${encodeURIComponent(flags.merchant)}` : '';
    const { items } = await (await this.client(flags)).request<{ items: ListedToken[] }>('GET', `/v1/tokens${query}`);
    const tokens = items.filter((token) => flags.role === undefined || token.role === flags.role);
    if (!this.jsonEnabled()) {
      if (tokens.length === 0) this.log(paint('dim', 'no tokens'));
      for (const token of tokens) {
        const whom = terminalSafe(token.name ?? token.storeId ?? token.staffId ?? '');
        const state = token.revokedAt ? paint('red', `revoked ${token.revokedAt}`) : paint('green', 'active');
        this.log(`${paint('bold', token.id)}  ${token.role.padEnd(11)} ${whom.padEnd(20)} issued ${token.createdAt}  ${state}`);
      }
    }
    return { items: tokens };
  }
}
