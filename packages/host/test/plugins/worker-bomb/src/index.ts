import { definePlugin } from '@tongkit/sdk';

// A hostile plugin for the host's containment tests: for member `map-growth` (or an order.paid event
// with data.case `map-growth`) it grows a Map until V8 gives up — a fatal out-of-memory that aborts the
// process it runs in; for member `fill` it makes one huge native Array fill that blocks its thread for
// seconds; for member `slow` it spins tens of milliseconds. Anything else gets a tier by spend, so its fixtures pass review.
function bomb(kase: unknown): void {
  if (kase === 'map-growth') {
    const map = new Map<number, { i: number }>();
    for (let i = 0; ; i++) map.set(i, { i });
  }
  if (kase === 'fill') new Array(2 ** 27).fill(0);
  if (kase === 'slow') {
    let sum = 0;
    for (let i = 0; i < 5e7; i++) sum += i % 7;
    if (sum < 0) throw new Error('unreachable');
  }
}

export default definePlugin({
  name: 'worker-bomb',
  version: '1.0.0',
  apiVersion: '2026-11',
  permissions: ['member:read'],
  extensions: {
    'member.tier.compute': (input) => {
      bomb(input.member.id);
      const spendFen = input.member.spend12mFen.online + input.member.spend12mFen.store;
      return { tierId: spendFen >= 500_000 ? 'gold' : 'silver', reason: 'by spend' };
    },
  },
  events: {
    'order.paid': (event) => {
      bomb((event.data as { case?: unknown }).case);
    },
  },
});
