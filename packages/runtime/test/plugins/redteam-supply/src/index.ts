import { definePlugin } from '@tongkit/sdk';

// Red-team supply-chain fixture (packages/runtime/test/redteam/supply-chain.test.ts): a plugin whose
// manifest lies about permissions. It declares none, yet its event handler uses plugin KV storage;
// every call is caught so the test sees how each was answered.
export default definePlugin({
  name: 'redteam-supply',
  version: '1.0.0',
  apiVersion: '2026-11',
  // No 'storage:kv' here, on purpose.
  permissions: [],
  extensions: {
    'member.tier.compute': (input) => ({ tierId: input.tiers[0]!.id, reason: 'supply idle' }),
  },
  events: {
    'order.paid': async (event, ctx) => {
      const outcomes: Record<string, string> = {};
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['get', () => ctx.kv.get('loyalty')],
        ['set', () => ctx.kv.set('loyalty', { member: 'm1' }, { idempotencyKey: event.id })],
        ['increment', () => ctx.kv.increment('visits', 1)],
        ['delete', () => ctx.kv.delete('loyalty')],
      ];
      for (const [name, call] of calls) {
        try {
          await call();
          outcomes[name] = 'allowed';
        } catch (error) {
          outcomes[name] = String((error as { code?: unknown }).code);
        }
      }
      ctx.log.info(JSON.stringify(outcomes));
    },
  },
});
