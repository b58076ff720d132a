import { Args, Flags } from '@oclif/core';
import { TkError } from '@tongkit/sdk';
import { HostCommand } from '../../internal/base-command.js';
import { paint } from '../../internal/output.js';

export default class StoredValueRefund extends HostCommand {
  static override summary = 'Refund a stored-value spend back to its lots (--spend and an amount), or a top-up (--top-up: its remaining principal back, its remaining bonus forfeited).';
  static override examples = ['<%= config.bin %> stored-value refund --spend svs_… 2000 --key refund-9', '<%= config.bin %> stored-value refund --top-up tu_… --key close-4711'];
  static override args = { amountFen: Args.integer({ min: 1, description: 'How much of the spend goes back, in fen (spends only)' }) };
  static override flags = {
    spend: Flags.string({ summary: 'The spend to refund.', exactlyOne: ['spend', 'top-up'] }),
    'top-up': Flags.string({ summary: 'The top-up to refund.', exactlyOne: ['spend', 'top-up'] }),
    key: Flags.string({ required: true, summary: 'Idempotency key: one per refund.' }),
  };

  async run() {
    const { args, flags } = await this.parse(StoredValueRefund);
    const client = await this.client(flags);
    type Result = { status: string; reason?: string; principalDeltaFen: number; bonusDeltaFen: number; forfeitedBonusFen: number; balanceFen: number };
    let result: Result;
    if (flags.spend) {
      if (args.amountFen === undefined) throw new TkError('TK_VALIDATION', 'a spend refund needs the amount in fen', { path: '/amountFen', hint: 'stored-value refund --spend svs_… 2000 --key …' });
      result = await client.request<Result>('POST', `/v1/stored-value/spends/${encodeURIComponent(flags.spend)}/refunds`, { amountFen: args.amountFen }, { 'idempotency-key': flags.key });
    } else {
      result = await client.request<Result>('POST', `/v1/stored-value/top-ups/${encodeURIComponent(flags['top-up']!)}/refund`, undefined, { 'idempotency-key': flags.key });
    }
    if (!this.jsonEnabled()) {
      const mark = result.status === 'rejected' ? paint('red', '✖ rejected') : result.status === 'duplicate' ? paint('yellow', '• duplicate') : paint('green', '✔ applied');
      this.log(`${mark}${result.reason ? ` (${result.reason})` : ''}  principal ${result.principalDeltaFen} · bonus ${result.bonusDeltaFen}${result.forfeitedBonusFen ? ` · forfeited ${result.forfeitedBonusFen}` : ''} · balance ${result.balanceFen} fen`);
    }
    return result;
  }
}
