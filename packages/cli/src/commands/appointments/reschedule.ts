import { Args, Flags } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';
import { paint, terminalSafe } from '../../internal/output.js';

export default class AppointmentsReschedule extends HostCommand {
  static override summary = 'Move a booked appointment to another day, slot or store (as often as the reschedule setting allows).';
  static override examples = ['<%= config.bin %> appointments reschedule ap_0123456789abcdef0123 --store sh-01 --day 2026-12-09'];
  static override args = { id: Args.string({ required: true, description: 'Appointment id' }) };
  static override flags = {
    store: Flags.string({ required: true, summary: 'Store id.' }),
    day: Flags.string({ required: true, summary: 'Day, YYYY-MM-DD.' }),
    slot: Flags.string({ summary: 'Slot start, HH:MM.' }),
  };

  async run() {
    const { args, flags } = await this.parse(AppointmentsReschedule);
    const answer = await (await this.client(flags)).request<Record<string, any>>('POST', `/v1/appointments/${encodeURIComponent(args.id)}/reschedule`, { storeId: flags.store, day: flags.day, ...(flags.slot ? { slot: flags.slot } : {}) });
    if (!this.jsonEnabled()) {
      if (answer['result'] === 'rejected') this.log(paint('yellow', `not moved (${answer['code']}): ${terminalSafe(answer['message'])}`));
      else this.log(`${answer['result']}: ${args.id} now ${answer['appointment']['day']}${answer['appointment']['slot'] ? ` ${answer['appointment']['slot']}` : ''} (rescheduled ${answer['appointment']['reschedules']}×)`);
    }
    return answer;
  }
}
