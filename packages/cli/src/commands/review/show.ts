import { Args } from '@oclif/core';
import { TkError } from '@tongkit/sdk';
import { HostCommand } from '../../internal/base-command.js';
import { parsePluginRef } from '../../internal/client.js';
import { micros, paint, terminalSafe } from '../../internal/output.js';
import type { VersionDetail } from '@tongkit/host';

export default class ReviewShow extends HostCommand {
  static override summary = 'Show the automated review report of a version.';
  static override examples = ['<%= config.bin %> review show acme-tiers@1.2.0', '<%= config.bin %> review show acme-tiers@1.2.0 --json'];
  static override args = { ref: Args.string({ required: true, description: 'plugin@version' }) };

  async run() {
    const { args, flags } = await this.parse(ReviewShow);
    const { plugin, version } = parsePluginRef(args.ref);
    if (!version) throw new TkError('TK_VALIDATION', `give the version: ${plugin}@<version>`, { fault: 'user' });
    const detail = await (await this.client(flags)).request<VersionDetail>('GET', `/v1/plugins/${plugin}/versions/${version}`);
    if (!this.jsonEnabled()) {
      const r = detail.report;
      this.log(`${paint('bold', `${plugin}@${version}`)}  ${detail.status}  sha256 ${detail.sha256.slice(0, 12)}…`);
      this.log(`bundle      ${r.bundle.bytes} of ${r.bundle.limitBytes} bytes`);
      this.log(`points      ${r.declared.points.join(', ') || 'none'}   events: ${r.declared.events.join(', ') || 'none'}`);
      this.log('permissions');
      for (const p of r.permissions) this.log(`  ${p.permission.padEnd(16)} ${p.status === 'used' ? paint('green', 'used') : p.status === 'unused' ? paint('yellow', 'unused') : paint('yellow', 'unverified')}  ${paint('dim', p.consent)}`);
      if (r.undeclaredUse.length) this.log(`  ${paint('red', `uses without asking: ${r.undeclaredUse.join(', ')}`)}`);
      for (const note of r.scan.notes) this.log(`  ${paint('dim', `note: ${note}`)}`);
      this.log(`fixtures    ${r.fixtures.passed}/${r.fixtures.total} pass, ${r.fixtures.stateful} stateful`);
      this.log(`headroom    cpu max ${micros(r.headroom.maxCpuMicros)} of ${micros(r.headroom.cpuBudgetMicros)}, heap max ${r.headroom.maxHeapBytes} of ${r.headroom.heapLimitBytes} bytes`);
      const d = r.diff;
      this.log(`diff        against ${d.against ?? 'nothing approved yet'}${d.permissionsAdded.length ? `; +permissions ${d.permissionsAdded.join(', ')}` : ''}${d.pointsAdded.length ? `; +points ${d.pointsAdded.join(', ')}` : ''}${d.settingsChanged ? '; settings schema changed' : ''}`);
      this.log('checks');
      for (const c of r.checks) this.log(`  ${c.ok ? paint('green', '✔') : paint('red', '✖')} ${c.id}: ${terminalSafe(String(c.message))}`);
    }
    return { ok: true, ...detail };
  }
}
