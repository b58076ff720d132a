import { Args, Flags } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';
import { paint } from '../../internal/output.js';

export default class AppointmentsCapacity extends HostCommand {
  static override summary = 'Set a store’s service capacity for a stage kind: visits per day, working hours, slots, closed days.';
  static override examples = [
    '<%= config.bin %> appointments capacity sh-01 measurement --per-day 3 --closed-weekday 0',
    '<%= config.bin %> appointments capacity sh-01 installation --per-day 4 --opens 09:00 --closes 17:00 --slot-minutes 120 --per-slot 1 --closed-date 2027-02-17',
  ];
  static override args = {
    store: Args.string({ required: true, description: 'Store id' }),
    kind: Args.string({ required: true, description: 'Stage kind (measurement, install_appointment, …)' }),
  };
  static override flags = {
    'per-day': Flags.integer({ required: true, min: 0, summary: 'Visits of this kind a day.' }),
    opens: Flags.string({ summary: 'Opening time, HH:MM (merchant’s time zone).' }),
    closes: Flags.string({ summary: 'Closing time, HH:MM.' }),
    'slot-minutes': Flags.integer({ min: 15, summary: 'Slot length in minutes (slots start at opening).' }),
    'per-slot': Flags.integer({ min: 0, summary: 'Visits per slot.' }),
    'closed-weekday': Flags.integer({ min: 0, max: 6, multiple: true, summary: 'Closed weekday, 0 = Sunday (repeatable).' }),
    'closed-date': Flags.string({ multiple: true, summary: 'Closed date YYYY-MM-DD (repeatable).' }),
  };

  async run() {
    const { args, flags } = await this.parse(AppointmentsCapacity);
    const body = {
      perDay: flags['per-day'],
      ...(flags['closed-weekday'] ? { closedWeekdays: flags['closed-weekday'] } : {}),
      ...(flags['closed-date'] ? { closedDates: flags['closed-date'] } : {}),
      ...(flags.opens ? { opensAt: flags.opens } : {}),
      ...(flags.closes ? { closesAt: flags.closes } : {}),
      ...(flags['slot-minutes'] !== undefined ? { slotMinutes: flags['slot-minutes'] } : {}),
      ...(flags['per-slot'] !== undefined ? { perSlot: flags['per-slot'] } : {}),
    };
    const saved = await (await this.client(flags)).request<Record<string, any>>('PUT', `/v1/stores/${encodeURIComponent(args.store)}/service-capacity/${encodeURIComponent(args.kind)}`, body);
    if (!this.jsonEnabled()) {
      const hours = saved['opensAt'] ? ` ${saved['opensAt']}–${saved['closesAt']}` : '';
      const slots = saved['slotMinutes'] ? `, ${saved['perSlot']} per ${saved['slotMinutes']}-minute slot` : '';
      this.log(`${paint('green', '✔')} ${args.store} ${args.kind}: ${saved['perDay']} a day${hours}${slots}`);
    }
    return saved;
  }
}
