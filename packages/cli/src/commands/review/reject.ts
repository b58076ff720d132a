import { Args, Flags } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';
import { paint } from '../../internal/output.js';
import { decideReview } from '../../internal/review-decision.js';

export default class ReviewReject extends HostCommand {
  static override summary = 'Reject a submitted version with a comment the developer can act on.';
  static override examples = ['<%= config.bin %> review reject acme-tiers@1.2.0 --comment "asks for member:pii without using it" --profile local-reviewer'];
  static override args = { ref: Args.string({ required: true, description: 'plugin@version' }) };
  static override flags = { comment: Flags.string({ char: 'm', summary: 'Review comment.', required: true }) };

  async run() {
    const { args, flags } = await this.parse(ReviewReject);
    const result = await decideReview(await this.client(flags), args.ref, 'reject', flags.comment);
    if (!this.jsonEnabled()) this.log(`${paint('green', '✔')} ${args.ref} is ${String(result.status)}`);
    return { ok: true, ...result };
  }
}
