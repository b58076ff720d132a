import { Flags } from '@oclif/core';
import { TongkitCommand } from '../internal/base-command.js';
import { HostClient } from '../internal/client.js';
import { saveProfile } from '../internal/config.js';
import { paint } from '../internal/output.js';

export default class Login extends TongkitCommand {
  static override summary = 'Save a host URL and token as a profile.';
  static override description = 'Checks the token against the host, then saves it in ~/.tongkit/config.json (owner-only) as the current profile.';
  static override examples = ['<%= config.bin %> login --host http://127.0.0.1:4800 --token tk_developer_…', '<%= config.bin %> login --host https://host.example --token $TOKEN --profile acme-merchant'];
  static override flags = {
    host: Flags.string({ summary: 'Host URL.', required: true }),
    token: Flags.string({ summary: 'Bearer token.', required: true, env: 'TONGKIT_TOKEN' }),
    profile: Flags.string({ summary: 'Profile name.', default: 'default' }),
  };

  async run() {
    const { flags } = await this.parse(Login);
    const host = flags.host.replace(/\/+$/, '');
    // Any authenticated route tells whether the token is valid; /v1/versions accepts most roles.
    const client = new HostClient({ host, token: flags.token });
    await client.request<unknown>('GET', '/v1/versions').catch((error: { code?: string }) => {
      if (error.code !== 'TK_FORBIDDEN') throw error;
    });
    const path = await saveProfile(flags.profile, { host, token: flags.token });
    if (!this.jsonEnabled()) this.log(`${paint('green', '✔')} logged in to ${host} as profile ${flags.profile} (${path})`);
    return { ok: true, host, profile: flags.profile };
  }
}
