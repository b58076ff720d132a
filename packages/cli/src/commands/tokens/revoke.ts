import { Args, Flags } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';
import { paint } from '../../internal/output.js';

export default class TokensRevoke extends HostCommand {
  static override summary = 'Revoke an integration, store or staff token you issued: it stops working at once.';
  static override description = 'Revoking a revoked token changes nothing (its first revocation time stays).';
  static override examples = ['<%= config.bin %> tokens revoke tok_AbCdEfGhIjKl'];
  static override args = { id: Args.string({ required: true, description: 'The token id (tok_…, from `tongkit tokens list`)' }) };
  static override flags = { merchant: Flags.string({ summary: 'Merchant id (admins only).' }) };

  async run() {
    const { args, flags } = await this.parse(TokensRevoke);
    const query = flags.merchant ? `?merchantId=${encodeURIComponent(flags.merchant)}` : '';
    const revoked = await (await this.client(flags)).request<{ id: string; role: string; revokedAt: string }>('DELETE', `/v1/tokens/${encodeURIComponent(args.id)}${query}`);
    if (!this.jsonEnabled()) this.log(`${paint('green', '✔')} ${revoked.role} token ${paint('bold', revoked.id)} revoked at ${revoked.revokedAt}`);
    return { ok: true, ...revoked };
  }
}
