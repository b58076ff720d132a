import { Args, Flags } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';
import { paint, terminalSafe } from '../../internal/output.js';

export default class MembersGet extends HostCommand {
  static override summary = 'Show a member (opaque ID, binding); --pii adds its personal data.';
  static override examples = ['<%= config.bin %> members get mem_0123456789abcdefghijklmnop', '<%= config.bin %> members get mem_… --pii --json'];
  static override args = { id: Args.string({ required: true, description: 'The opaque member ID' }) };
  static override flags = { pii: Flags.boolean({ summary: 'Also fetch the personal data (phone, name, birthday).' }) };

  async run() {
    const { args, flags } = await this.parse(MembersGet);
    const client = await this.client(flags);
    const path = `/v1/members/${encodeURIComponent(args.id)}`;
    const member = await client.request<Record<string, any>>('GET', path);
    const pii = flags.pii ? await client.request<Record<string, any>>('GET', `${path}/pii`) : undefined;
    if (!this.jsonEnabled()) {
      this.log(`${paint('bold', member['id'])}  ${member['status']} · ${member['channel']} · registered ${member['registeredAt']}`);
      const binding = member['binding'] as Record<string, string> | null;
      this.log(binding ? `  bound to CRM member ${terminalSafe(binding['crmMemberId']!)} (consent ${terminalSafe(binding['consentVersion']!)} at ${binding['consentedAt']})` : '  not bound to a CRM member');
      if (pii) this.log(`  phone ${pii['phone'] ?? '-'} · name ${terminalSafe(String(pii['name'] ?? '-'))} · birthday ${pii['birthday'] ?? '-'}`);
    }
    return pii ? { ...member, pii } : member;
  }
}
