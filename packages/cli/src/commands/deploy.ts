import { join } from 'node:path';
import { Flags } from '@oclif/core';
import { readFixtures } from '@tongkit/runtime';
import { buildPlugin } from '@tongkit/runtime/build';
import { HostCommand } from '../internal/base-command.js';
import { paint, terminalSafe } from '../internal/output.js';
import type { VersionDetail, VersionSummary } from '@tongkit/host';

export default class Deploy extends HostCommand {
  static override summary = 'Build the plugin and upload it to the host as a new version.';
  static override description = `Builds from source, uploads bundle, source map, manifest and fixtures. The host verifies it in
its sandbox and generates the automated review report. Deploying the same code again is a no-op;
changed code needs a new version. --submit also puts it in the review queue.`;
  static override examples = ['<%= config.bin %> deploy', '<%= config.bin %> deploy --submit', '<%= config.bin %> deploy -C examples/member-tiers --json'];
  static override flags = {
    submit: Flags.boolean({ summary: 'Submit the version for review right away.', default: false }),
    fixtures: Flags.string({ summary: 'Fixtures folder sent for the review report.', default: 'fixtures' }),
    'private-for': Flags.string({ summary: 'Make this a brand’s private plugin for one merchant id (first deploy only).' }),
  };

  async run() {
    const { flags } = await this.parse(Deploy);
    const client = await this.client(flags);
    const { bundle, bytes } = await buildPlugin(flags.dir);
    const fixtures = await readFixtures(join(flags.dir, flags.fixtures), flags.dir);
    if (!this.jsonEnabled()) process.stderr.write(paint('dim', `uploading ${bundle.manifest.name}@${bundle.manifest.version} (${bytes} bytes, ${fixtures.length} fixtures)…\n`));
    let version = await client.request<VersionDetail>('POST', '/v1/versions', { ...bundle, fixtures, ...(flags['private-for'] ? { privateFor: flags['private-for'] } : {}) });
    if (flags.submit) version = { ...version, ...(await client.request<VersionSummary>('POST', `/v1/plugins/${version.plugin}/versions/${version.version}/submit`, {})) };
    // The version's review report as a page of the host's workbench (the JSON is at /v1/plugins/…).
    const link = `${client.host}/review/${encodeURIComponent(version.plugin)}/${encodeURIComponent(version.version)}`;
    if (!this.jsonEnabled()) {
      const checks = version.report.checks;
      this.log(`${paint('green', '✔')} deployed ${paint('bold', `${version.plugin}@${version.version}`)} — ${version.status}`);
      for (const check of checks) this.log(`  ${check.ok ? paint('green', '✔') : paint('red', '✖')} ${check.id}: ${terminalSafe(check.message)}`);
      this.log(`  review: ${link}`);
      if (!flags.submit && version.status === 'draft') this.log(paint('dim', `  next: tongkit submit ${version.plugin}@${version.version}`));
    }
    return { ok: true, ...version, reviewLink: link };
  }
}
