import { definePlugin, type EventContext } from '@tongkit/sdk';

/**
 * Reaches plugin KV through a computed property of its context, which a static scan cannot follow:
 * review must call `storage:kv` unverified (neither used nor unused).
 */
export default definePlugin({
  name: 'test-unverified-kv',
  version: '1.0.0',
  apiVersion: '2026-11',
  permissions: ['storage:kv'],
  events: {
    'order.paid': async (event, ctx) => {
      const name = event.data['namespace'] === undefined ? 'k' : String(event.data['namespace']);
      const kv = ctx[(name + 'v') as 'kv'] as EventContext<Record<string, never>>['kv'];
      await kv.set('last', event.id);
    },
  },
});
