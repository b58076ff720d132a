import { Args, Flags } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';
import { paint } from '../../internal/output.js';
import { decideReview } from '../../internal/review-decision.js';

export default class ReviewApprove extends HostCommand {
  static override summary = 'Approve a submitted version (its automated checks must pass).';
  static override examples = ['<%= config.bin %> review approve acme-tiers@1.2.0 --comment "looks good" --profile local-reviewer'];
  static override args = { ref: Args.string({ required: true, description: 'plugin@version' }) };
  static override flags = { comment: Flags.string({ char: 'm', summary: 'Review comment.' }) };

  async run() {
    const { args, flags } = await this.parse(ReviewApprove);
    const result = await decideReview(await this.client(flags), args.ref, 'approve', flags.comment);
    if (!this.jsonEnabled()) this.log(`${paint('green', '✔')} ${args.ref} is ${String(result.status)}`);
    return { ok: true, ...result };
  }
}
