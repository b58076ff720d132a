import { Args, Flags } from '@oclif/core';
import { TkError } from '@tongkit/sdk';
import { HostCommand } from '../../internal/base-command.js';
import { paint } from '../../internal/output.js';
import type { LedgerResult } from '@tongkit/host';

export default class PointsAdjust extends HostCommand {
  static override summary = 'Adjust a member’s points or growth value (positive: grant; negative: deduct), with a reason and an idempotency key.';
  static override description =
    'Running the same command again with the same --key changes nothing and shows the first outcome; the same key with another amount or reason is refused (TK_CONFLICT).';
  static override examples = [
    '<%= config.bin %> points adjust mem_… 200 --reason "goodwill for a late delivery" --key ticket-4711',
    '<%= config.bin %> points adjust mem_… --reason correction --key ticket-4712 -- -50',
    '<%= config.bin %> points adjust mem_… 30 --account growth --reason anniversary --key anniv-2026 --expires-at 2027-12-31T16:00:00Z',
  ];
  static override args = {
    memberId: Args.string({ required: true, description: 'The opaque member ID' }),
    points: Args.integer({ required: true, description: 'Points to grant (positive) or deduct (negative)' }),
  };
  static override flags = {
    reason: Flags.string({ required: true, summary: 'Why (shown in the member’s ledger).' }),
    key: Flags.string({ required: true, summary: 'Idempotency key: one per adjustment (e.g. the ticket number).' }),
    account: Flags.string({ options: ['points', 'growth'], default: 'points', summary: 'The account to adjust.' }),
    'expires-at': Flags.string({ summary: 'A grant’s expiry (ISO 8601); default: never.' }),
  };


  async run() {
    const { args, flags } = await this.parse(PointsAdjust);
    if (args.points === 0) throw new TkError('TK_VALIDATION', 'an adjustment of 0 points changes nothing', { path: '/points', hint: 'Give a positive amount to grant or a negative one to deduct.' });
    const client = await this.client(flags);
    const result = await client.request<LedgerResult>(
      'POST',
      `/v1/members/${encodeURIComponent(args.memberId)}/points`,
      { points: args.points, reason: flags.reason, account: flags.account, ...(flags['expires-at'] ? { expiresAt: flags['expires-at'] } : {}) },
      { 'idempotency-key': flags.key },
    );
    if (!this.jsonEnabled()) {
      const mark = result.status === 'rejected' ? paint('red', '✖ rejected') : result.status === 'duplicate' ? paint('yellow', '• duplicate') : paint('green', '✔ applied');
      this.log(`${mark}${result.reason ? ` (${result.reason})` : ''}  ${flags.account} ${result.balanceBefore} → ${result.balanceAfter}${result.debtAfter ? ` · owes ${result.debtAfter}` : ''}`);
    }
    return result;
  }
}
