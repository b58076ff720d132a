import { Args, Flags } from '@oclif/core';
import { HostCommand } from '../../internal/base-command.js';
import { terminalSafe } from '../../internal/output.js';
import type { LedgerPage } from '@tongkit/host';

interface Entry {
  entryId: string;
  account: string;
  kind: string;
  delta: number;
  balanceAfter: number;
  reason: string;
  source: { kind: string; id: string };
  orderId: string | null;
  createdAt: string;
}

export default class PointsLedger extends HostCommand {
  static override summary = 'Print a member’s ledger entries, oldest first (every grant, spend, hold, expiry and reversal).';
  static override examples = ['<%= config.bin %> points ledger mem_…', '<%= config.bin %> points ledger mem_… --account growth --all --json'];
  static override args = { memberId: Args.string({ required: true, description: 'The opaque member ID' }) };
  static override flags = {
    account: Flags.string({ options: ['points', 'growth'], summary: 'Only this account.' }),
    limit: Flags.integer({ min: 1, max: 200, default: 50, summary: 'Entries per page.' }),
    after: Flags.string({ summary: 'The cursor of the previous page (`next`).' }),
    all: Flags.boolean({ summary: 'Follow `next` to the last page.' }),
  };

  async run() {
    const { args, flags } = await this.parse(PointsLedger);
    const client = await this.client(flags);
    const items: Entry[] = [];
    let after = flags.after;
    let next: string | null = null;
    do {
      const query = new URLSearchParams({ limit: String(flags.limit), ...(flags.account ? { account: flags.account } : {}), ...(after ? { after } : {}) });
      const page = await client.request<LedgerPage>('GET', `/v1/members/${encodeURIComponent(args.memberId)}/ledger?${query}`);
      items.push(...page.items);
      next = page.next;
      after = next ?? undefined;
    } while (flags.all && next);
    if (!this.jsonEnabled()) {
      for (const e of items) {
        const delta = e.delta > 0 ? `+${e.delta}` : String(e.delta);
        this.log(`${e.createdAt}  ${e.account.padEnd(6)} ${e.kind.padEnd(7)} ${delta.padStart(8)} → ${String(e.balanceAfter).padStart(8)}  ${terminalSafe(e.reason)} (${e.source.kind} ${terminalSafe(e.source.id)}${e.orderId ? `, order ${terminalSafe(e.orderId)}` : ''})`);
      }
      if (next) this.log(`more: --after ${next}`);
    }
    return { items, next };
  }
}
