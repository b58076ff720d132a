import { definePlugin, Type } from '@tongkit/sdk';

/** Version 1 of a plugin whose version 2 asks for one more permission (storage:kv). */
export default definePlugin({
  name: 'test-upgrade-tiers',
  version: '1.0.0',
  apiVersion: '2026-11',
  permissions: ['member:read'],
  settings: Type.Object({ goldAtFen: Type.Integer({ minimum: 0, default: 500_000 }) }),
  extensions: {
    'member.tier.compute': (input, { settings }) => ({
      tierId: input.member.spend12mFen.online + input.member.spend12mFen.store >= settings.goldAtFen ? 'gold' : input.tiers[0]!.id,
      reason: 'decided by v1',
    }),
  },
});
