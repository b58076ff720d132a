import { definePlugin } from '@tongkit/sdk';

/** Asks for `messages:send` and never sends a message: review must call it unused. */
export default definePlugin({
  name: 'test-unused-permission',
  version: '1.0.0',
  apiVersion: '2026-11',
  permissions: ['member:read', 'messages:send'],
  extensions: {
    'member.tier.compute': (input) => ({ tierId: input.tiers[0]!.id, reason: 'always the entry tier' }),
  },
});
