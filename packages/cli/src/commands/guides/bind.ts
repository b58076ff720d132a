import { Args, Flags } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';
import { paint, terminalSafe } from '../../internal/output.js';

export default class GuidesBind extends HostCommand {
  static override summary = 'Bind a member to a guide (one guide per member; a protected relation needs a manager’s --override).';
  static override examples = [
    '<%= config.bin %> guides bind mem_… ann --source store_scan',
    '<%= config.bin %> guides bind mem_… bob --source manager_assignment --override mia --reason "ann is on leave"',
  ];
  static override args = {
    memberId: Args.string({ required: true, description: 'The opaque member ID' }),
    guideId: Args.string({ required: true, description: 'The guide who takes the member' }),
  };
  static override flags = {
    source: Flags.string({ options: ['store_scan', 'share_link', 'store_order', 'manager_assignment'], required: true, summary: 'How the member came to the guide.' }),
    override: Flags.string({ summary: 'An active store or area manager overriding the protection window.' }),
    reason: Flags.string({ summary: 'Why the manager overrides (audited).' }),
  };

  async run() {
    const { args, flags } = await this.parse(GuidesBind);
    const client = await this.client(flags);
    const body = { memberId: args.memberId, guideId: args.guideId, source: flags.source, ...(flags.override ? { override: { managerId: flags.override, reason: flags.reason ?? 'manager override' } } : {}) };
    const result = await client.request<{ result: string; code: string; message?: string; relation: { guideId: string; protectedUntil: string | null } | null }>('POST', '/v1/guide-relations', body);
    if (!this.jsonEnabled()) {
      const mark = result.result === 'rejected' ? paint('red', '✖ rejected') : result.result === 'duplicate' ? paint('yellow', '• duplicate') : paint('green', '✔ applied');
      this.log(`${mark} ${result.code}${result.message ? ` — ${terminalSafe(result.message)}` : ''}`);
      if (result.relation) this.log(`  ${terminalSafe(args.memberId)} → ${terminalSafe(result.relation.guideId)}${result.relation.protectedUntil ? ` · protected until ${result.relation.protectedUntil}` : ''}`);
    }
    return result;
  }
}
