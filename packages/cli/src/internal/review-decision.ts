import { TkError } from '@tongkit/sdk';
import type { HostClient } from './client.js';
import { parsePluginRef } from './client.js';
import type { VersionSummary } from '@tongkit/host';

/** `review approve|reject plugin@version`: one POST, the same for both decisions. */
export async function decideReview(client: HostClient, ref: string, decision: 'approve' | 'reject', comment: string | undefined): Promise<VersionSummary> {
  const { plugin, version } = parsePluginRef(ref);
  if (!version) throw new TkError('TK_VALIDATION', `give the version: ${plugin}@<version>`, { fault: 'user' });
  return client.request<VersionSummary>('POST', `/v1/plugins/${plugin}/versions/${version}/${decision}`, { comment: comment ?? '' });
}
