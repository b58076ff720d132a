import { Args, Flags } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';
import { paint, terminalSafe } from '../../internal/output.js';

export default class AppointmentsDay extends HostCommand {
  static override summary = 'A store’s day sheet: what each stage kind still offers (per slot), and the day’s appointments.';
  static override examples = ['<%= config.bin %> appointments day sh-01 2026-12-08', '<%= config.bin %> appointments day sh-01 2026-12-08 --token $STORE_TOKEN --json'];
  static override args = { store: Args.string({ required: true, description: 'Store id' }), day: Args.string({ required: true, description: 'YYYY-MM-DD' }) };
  static override flags = { merchant: Flags.string({ summary: 'Merchant id (admins only).' }) };

  async run() {
    const { args, flags } = await this.parse(AppointmentsDay);
    const query = new URLSearchParams({ day: args.day, ...(flags.merchant ? { merchantId: flags.merchant } : {}) });
    const sheet = await (await this.client(flags)).request<Record<string, any>>('GET', `/v1/stores/${encodeURIComponent(args.store)}/appointments?${query}`);
    if (!this.jsonEnabled()) {
      for (const a of sheet['availability'] as Array<Record<string, any>>) {
        const slots = (a['slots'] as Array<Record<string, any>>).map((s) => `${s['slot']} ${s['booked']}/${s['capacity']}`).join(', ');
        this.log(`${paint('bold', a['kind'])}: ${a['open'] ? `${a['booked']}/${a['capacity']} booked` : 'closed'}${slots ? ` (${slots})` : ''}`);
      }
      for (const ap of sheet['appointments'] as Array<Record<string, any>>) this.log(`  ${ap['slot'] ?? '--:--'} ${ap['id']} ${terminalSafe(ap['orderId'])} stage ${ap['stageNo']} ${ap['status']}`);
    }
    return sheet;
  }
}
