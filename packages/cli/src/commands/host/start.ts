import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { TkError } from '@tongkit/sdk';
import { TongkitCommand } from '../../internal/base-command.js';
import { saveProfile } from '../../internal/config.js';
import { paint } from '../../internal/output.js';

export default class HostStart extends TongkitCommand {
  static override summary = 'Start a local Tongkit host (embedded PostgreSQL, no setup).';
  static override description = `Starts the reference host: PostgreSQL (embedded in --data-dir, or DATABASE_URL), migrations,
bootstrap identities (admin, reviewer, developer "dev", development merchant "dev-merchant" with the
sample stores sh-01 and bj-01, each added when no merchant has that id yet), event workers and the HTTP
API. Prints the URL, tokens and stores, and saves the tokens as the profiles local-developer,
local-reviewer, local-merchant and local-admin (local-developer becomes current). Runs until Ctrl-C.`;
  static override examples = ['<%= config.bin %> host start', '<%= config.bin %> host start --port 4800 --data-dir .tongkit/host', 'DATABASE_URL=postgres://… <%= config.bin %> host start'];
  static override enableJsonFlag = true;
  static override flags = {
    port: Flags.integer({ char: 'p', summary: 'Port (0 picks a free one).', default: 4800 }),
    'data-dir': Flags.string({
      summary: 'Folder of the embedded PostgreSQL and the bootstrap tokens.',
      description: 'Default ~/.tongkit/host; as root /var/lib/tongkit/host, since PostgreSQL then runs as the postgres user, who cannot enter /root.',
    }),
    'database-url': Flags.string({ summary: 'External PostgreSQL instead of the embedded one.', env: 'DATABASE_URL' }),
    save: Flags.boolean({ summary: 'Save the tokens as local-* profiles (--no-save: do not).', default: true, allowNo: true }),
    workers: Flags.integer({ summary: 'Sandbox worker processes plugins run in (default: the number of cores, at least 2).', min: 1, max: 64 }),
  };

  async run() {
    const { flags } = await this.parse(HostStart);
    let hostModule: typeof import('@tongkit/host');
    try {
      hostModule = await import('@tongkit/host');
    } catch {
      throw new TkError('TK_NOT_FOUND', '@tongkit/host is not installed next to this CLI', { fault: 'user', hint: 'Install it (npm install @tongkit/host) or run the host from the Tongkit repository.' });
    }
    const dataDir = flags['data-dir']
      ? resolve(flags['data-dir'].replace(/^~(?=\/|$)/, homedir()))
      : process.getuid?.() === 0
        ? '/var/lib/tongkit/host'
        : join(homedir(), '.tongkit', 'host');
    if (!this.jsonEnabled()) process.stderr.write(paint('dim', `starting the host (data in ${dataDir})…\n`));
    // The operator hears about every sandbox worker that went, and why (the plugin's merchant was in flight).
    const onWorkerExit = (exit: { workerId: number; reason: string; signal: string | null; exitCode: number | null; tenantsInFlight: string[] }) => {
      if (exit.reason === 'closed') return;
      const how = exit.signal ?? `exit code ${exit.exitCode}`;
      process.stderr.write(
        `${paint('yellow', '!')} sandbox worker ${exit.workerId} ${exit.reason} (${how}); merchants in flight: ${exit.tenantsInFlight.join(', ') || 'none'}; replaced on next use\n`,
      );
    };
    const host = await hostModule.startHost({
      dataDir,
      databaseUrl: flags['database-url'],
      services: { runtime: { onWorkerExit, ...(flags.workers ? { workers: flags.workers } : {}) } },
      sampleStores: true,
    });
    const url = await host.listen(flags.port);
    const profiles = {
      'local-developer': ['developer', host.tokens.developer],
      'local-reviewer': ['reviewer', host.tokens.reviewer],
      'local-merchant': ['merchant', host.tokens.devMerchant],
      'local-admin': ['admin', host.tokens.admin],
    } as const;
    if (flags.save) {
      for (const [name, [role, token]] of Object.entries(profiles)) await saveProfile(name, { host: url, token, role }, name === 'local-developer');
    }
    const summary = { ok: true, url, databaseUrl: host.databaseUrl.replace(/\/\/[^@/]*@/, '//'), tokens: host.tokens, stores: host.sampleStores, profiles: Object.keys(profiles) };
    if (this.jsonEnabled()) this.logJson(summary);
    else {
      this.log(`${paint('green', '✔')} Tongkit host on ${paint('bold', url)}  (OpenAPI: ${url}/openapi.json)`);
      this.log(`  developer  ${host.tokens.developer}`);
      this.log(`  reviewer   ${host.tokens.reviewer}`);
      this.log(`  merchant   ${host.tokens.devMerchant}   (dev-merchant: runs unreviewed versions)`);
      this.log(`  admin      ${host.tokens.admin}`);
      if (host.sampleStores.length > 0) {
        this.log(`  stores     ${host.sampleStores.map((store) => `${store.id} (${store.name})`).join(', ')}   (dev-merchant's; tongkit stores list|add)`);
      }
      const sandbox = host.services.runtime.poolStats?.();
      if (sandbox) this.log(paint('dim', `plugins run in ${sandbox.sharedWorkers} sandbox worker processes (+ ${sandbox.quarantineWorkers} for quarantine); GET /v1/admin/sandbox shows them`));
      if (flags.save) this.log(paint('dim', `saved as profiles ${Object.keys(profiles).join(', ')}; current: local-developer (use --profile)`));
      this.log(paint('dim', 'Ctrl-C stops it.'));
    }
    await new Promise<void>((resolveStop) => {
      const stop = () => resolveStop();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await host.close();
    return undefined;
  }
}
