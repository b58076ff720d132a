import { HostCommand } from '../../internal/base-command.js';
import { paint } from '../../internal/output.js';
import type { VersionPage } from '@tongkit/host';

export default class ReviewList extends HostCommand {
  static override summary = 'The review queue: versions waiting for a decision.';
  static override examples = ['<%= config.bin %> review list --profile local-reviewer'];

  async run() {
    const { flags } = await this.parse(ReviewList);
    const { items } = await (await this.client(flags)).request<VersionPage>('GET', '/v1/review/queue');
    if (!this.jsonEnabled()) {
      if (items.length === 0) this.log('the review queue is empty');
      for (const v of items) {
        this.log(`${v.plugin}@${v.version}  checks ${v.checksPassed ? paint('green', 'pass') : paint('red', 'fail')}  permissions: ${v.permissions.join(', ') || 'none'}  ${paint('dim', v.submittedAt ?? '')}`);
      }
    }
    return { ok: true, items };
  }
}
