import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { HostModuleFactory, HostPlatform } from '../../platform/modules/host-module.js';
import { generateHostKeyRing } from '../../platform/host-keys.js';
import { MemberCrypto } from './member-crypto.js';
import { Members } from './members.js';
import { membersHostApi } from './host-api.js';
import { registerMemberRoutes } from './routes.js';

const services = new WeakMap<HostPlatform, Members>();

/**
 * The members service of a platform, built once: the members module's routes and `ctx` handlers and
 * the other domains that need members (orders resolve a CRM member ID) share this one instance.
 */
export function membersOf(platform: HostPlatform): Members {
  let members = services.get(platform);
  if (!members) {
    members = new Members(platform.db, new MemberCrypto(platform.hostKeys ?? generateHostKeyRing('ephemeral')), platform.publishIn, platform.flushInvocationLog);
    services.set(platform, members);
  }
  return members;
}

/**
 * 会员通 members as a host module: tables `members`, `member_pii`, `member_bindings` (migration 011), the
 * `/v1/members` routes, and the member events. Personal data is encrypted with keys derived from the
 * platform's host key ring.
 */
export const membersModule: HostModuleFactory = (platform) => {
  const members = membersOf(platform);
  return {
    name: 'members',
    migrations: ['010_merchant_calendar.sql', '011_members.sql'],
    routes: async (app) => registerMemberRoutes(app.withTypeProvider<TypeBoxTypeProvider>(), { members, ...(platform.memberTier ? { tierOf: platform.memberTier } : {}) }),
    hostApis: { members: membersHostApi(members) },
    emits: ['member.registered', 'member.bound', 'member.unbound', 'member.redact'],
  };
};
