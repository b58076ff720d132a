import { Args, Flags } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';
import { paint, terminalSafe } from '../../internal/output.js';

interface Report {
  guideId: string;
  from: string;
  to: string;
  attributedOrders: number;
  signals: Array<{ signal: string; value: number; threshold: number; flagged: boolean; evidence: { orderIds: string[]; memberIds: string[] } }>;
}

export default class GuidesSignals extends HostCommand {
  static override summary = 'Show a guide’s anti-diversion signals, each flag with its evidence (order and member IDs).';
  static override examples = ['<%= config.bin %> guides signals ann', '<%= config.bin %> guides signals ann --from 2026-11-01T00:00:00Z --to 2026-12-01T00:00:00Z --json'];
  static override args = { guideId: Args.string({ required: true, description: 'The guide' }) };
  static override flags = {
    from: Flags.string({ summary: 'Start of the period (ISO 8601); default: 30 days before --to.' }),
    to: Flags.string({ summary: 'End of the period (ISO 8601); default: now.' }),
  };

  async run() {
    const { args, flags } = await this.parse(GuidesSignals);
    const client = await this.client(flags);
    const query = new URLSearchParams({ ...(flags.from ? { from: flags.from } : {}), ...(flags.to ? { to: flags.to } : {}) }).toString();
    const report = await client.request<Report>('GET', `/v1/guides/${encodeURIComponent(args.guideId)}/signals${query ? `?${query}` : ''}`);
    if (!this.jsonEnabled()) {
      this.log(`${paint('bold', terminalSafe(report.guideId))}  ${report.attributedOrders} attributed orders · ${report.from} → ${report.to}`);
      for (const s of report.signals) {
        const evidence = [...s.evidence.orderIds.map((id) => `order ${id}`), ...s.evidence.memberIds.map((id) => `member ${id}`)].slice(0, 10).map(terminalSafe).join(', ');
        this.log(`  ${s.flagged ? paint('red', '⚑') : ' '} ${s.signal.padEnd(22)} ${String(s.value).padStart(6)} (flags at ${s.threshold})${evidence ? `  ${evidence}` : ''}`);
      }
    }
    return report;
  }
}
