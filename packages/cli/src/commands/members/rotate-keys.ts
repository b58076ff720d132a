import { Flags } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';
import { paint } from '../../internal/output.js';

interface KeyRotationReport {
  activeKeyId: string;
  rotated: { pii: number; digests: number };
  remaining: { pii: number; digests: number };
  done: boolean;
  keys: Array<{ keyId: string; pii: number; digests: number }>;
}

export default class MembersRotateKeys extends HostCommand {
  static override summary = 'Re-encrypt members’ personal data and re-make phone digests under the host’s active key (admins).';
  static override description = `Run after a new host key was made active with the old one still in the ring (docs/members.md,
"Rotation"). Works in batches, each its own short transaction; stopped anywhere, run it again and it goes on
where it stopped (what is already under the active key is left alone). When it reports done, remove the old
key from the ring. --status only shows where the rotation stands.`;
  static override examples = ['<%= config.bin %> members rotate-keys', '<%= config.bin %> members rotate-keys --status --json', '<%= config.bin %> members rotate-keys --batch-size 1000'];
  static override flags = {
    status: Flags.boolean({ summary: 'Only show rows per key and what is left; change nothing.' }),
    'batch-size': Flags.integer({ summary: 'Rows per transaction.', default: 200, min: 1, max: 5000 }),
  };

  async run() {
    const { flags } = await this.parse(MembersRotateKeys);
    const client = await this.client(flags);
    const interactive = !this.jsonEnabled() && process.stderr.isTTY;
    let report = await client.request<KeyRotationReport>('GET', '/v1/admin/member-keys');
    const rotated = { pii: 0, digests: 0 };
    // Each call does a few batches and answers; calling until done keeps every request short, and a run
    // that stops (Ctrl-C, a lost connection) loses nothing: the next one goes on from the rows left.
    while (!flags.status && !report.done) {
      report = await client.request<KeyRotationReport>('POST', '/v1/admin/member-keys/rotate', { batchSize: flags['batch-size'] });
      rotated.pii += report.rotated.pii;
      rotated.digests += report.rotated.digests;
      if (interactive) process.stderr.write(`\r${paint('dim', `re-made ${rotated.pii} ciphertexts, ${rotated.digests} digests · left ${report.remaining.pii} + ${report.remaining.digests}`)}`);
      if (report.rotated.pii + report.rotated.digests === 0 && !report.done) break;
    }
    if (interactive && !flags.status) process.stderr.write('\n');
    if (!this.jsonEnabled()) {
      const mark = report.done ? paint('green', '✔') : paint('yellow', '•');
      this.log(`${mark} active key ${paint('bold', report.activeKeyId)} · ${report.done ? 'nothing left under older keys: they can be removed from the ring' : `left: ${report.remaining.pii} ciphertexts, ${report.remaining.digests} digests`}`);
      if (!flags.status) this.log(`  re-made ${rotated.pii} ciphertexts and ${rotated.digests} phone digests`);
      for (const key of report.keys) this.log(`  ${key.keyId.padEnd(12)} ${String(key.pii).padStart(8)} ciphertexts ${String(key.digests).padStart(8)} digests`);
    }
    return { ...report, rotated };
  }
}
