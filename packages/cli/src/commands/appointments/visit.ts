import { Args, Flags } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';
import { terminalSafe } from '../../internal/output.js';

export default class AppointmentsVisit extends HostCommand {
  static override summary = 'Record a visit: sign-in on arrival, completion (with notes and photo IDs; its stage completes), or cancellation.';
  static override description = 'Sign-in and completion also take a store or staff token of the visit’s store (--token); cancelling is the merchant’s.';
  static override examples = [
    '<%= config.bin %> appointments visit ap_0123456789abcdef0123 sign-in --token $STAFF_TOKEN',
    '<%= config.bin %> appointments visit ap_0123456789abcdef0123 complete --notes "wall 2.41 m" --photo ph_1 --photo ph_2',
    '<%= config.bin %> appointments visit ap_0123456789abcdef0123 cancel --reason "buyer asked"',
  ];
  static override args = {
    id: Args.string({ required: true, description: 'Appointment id' }),
    action: Args.string({ required: true, options: ['sign-in', 'complete', 'cancel'], description: 'What happened' }),
  };
  static override flags = {
    notes: Flags.string({ summary: 'Completion notes.' }),
    photo: Flags.string({ multiple: true, summary: 'A photo’s ID (repeatable; IDs, not bytes).' }),
    reason: Flags.string({ summary: 'Why it is cancelled.' }),
  };

  async run() {
    const { args, flags } = await this.parse(AppointmentsVisit);
    const body = args.action === 'complete' ? { ...(flags.notes ? { notes: flags.notes } : {}), ...(flags.photo ? { photoIds: flags.photo } : {}) } : args.action === 'cancel' ? { reason: flags.reason ?? 'cancelled' } : undefined;
    const answer = await (await this.client(flags)).request<Record<string, any>>('POST', `/v1/appointments/${encodeURIComponent(args.id)}/${args.action}`, body);
    if (!this.jsonEnabled()) this.log(`${answer['result']}: ${terminalSafe(args.id)} ${answer['appointment']['status']}`);
    return answer;
  }
}
