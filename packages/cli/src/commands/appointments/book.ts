import { Args, Flags } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';
import { paint, terminalSafe } from '../../internal/output.js';

export default class AppointmentsBook extends HostCommand {
  static override summary = 'Book the visit of a paid stage at a store on a day (and slot); never overbooked.';
  static override examples = ['<%= config.bin %> appointments book F-1001 2 --store sh-01 --day 2026-12-08', '<%= config.bin %> appointments book F-1001 4 --store sh-01 --day 2026-12-22 --slot 09:00'];
  static override args = {
    order: Args.string({ required: true, description: "The service order's ID" }),
    stage: Args.integer({ required: true, min: 1, max: 10, description: 'The stage number' }),
  };
  static override flags = {
    store: Flags.string({ required: true, summary: 'Store id.' }),
    day: Flags.string({ required: true, summary: 'Day, YYYY-MM-DD (merchant’s time zone).' }),
    slot: Flags.string({ summary: 'Slot start, HH:MM (stores with slots).' }),
  };

  async run() {
    const { args, flags } = await this.parse(AppointmentsBook);
    const answer = await (await this.client(flags)).request<Record<string, any>>('POST', `/v1/service-orders/${encodeURIComponent(args.order)}/stages/${args.stage}/appointments`, { storeId: flags.store, day: flags.day, ...(flags.slot ? { slot: flags.slot } : {}) });
    if (!this.jsonEnabled()) {
      if (answer['result'] === 'rejected') this.log(paint('yellow', `not booked (${answer['code']}): ${terminalSafe(answer['message'])}`));
      else this.log(`${answer['result']}: appointment ${answer['appointment']['id']} at ${flags.store} on ${flags.day}${flags.slot ? ` ${flags.slot}` : ''}`);
    }
    return answer;
  }
}
