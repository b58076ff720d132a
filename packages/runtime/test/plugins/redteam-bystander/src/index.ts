import { definePlugin, Type } from '@tongkit/sdk';

// The well-behaved "other tenant" of the red-team families escape, output and supply-chain
// (test/redteam/support-escape.ts). It runs next to each attack in the same runtime and, besides
// answering correctly, checks that its own realm is clean: no prototype pollution, intact built-ins, and
// the invocation's clock. Its secret setting is what an attacker would like to read.

const OBJECT_PROTOTYPE_NAMES = [
  '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__', '__proto__', 'constructor', 'hasOwnProperty',
  'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', 'toString', 'valueOf',
].join(',');

let served = 0;

/** Everything that would show another tenant's pollution or a real clock here; empty when clean. */
function problems(nowIso: string): string[] {
  const found: string[] = [];
  const probe = {} as Record<string, unknown>;
  if (Object.getOwnPropertyNames(Object.prototype).sort().join(',') !== OBJECT_PROTOTYPE_NAMES) found.push('Object.prototype');
  if (Object.getOwnPropertySymbols(Object.prototype).length > 0) found.push('Object.prototype symbols');
  if (probe.polluted !== undefined || probe.toJSON !== undefined || probe.then !== undefined) found.push('object');
  const list = [] as unknown as Record<string, unknown>;
  if (list.polluted !== undefined || list.toJSON !== undefined) found.push('array');
  if ((Array as unknown as Record<symbol, unknown>)[Symbol.species] !== Array) found.push('species');
  if (!String(JSON.stringify).includes('[native code]') || !String(JSON.parse).includes('[native code]')) found.push('JSON');
  if (JSON.stringify({ a: [1] }) !== '{"a":[1]}') found.push('JSON.stringify');
  if (Date.now() !== Date.parse(nowIso)) found.push('clock');
  if ((globalThis as Record<string, unknown>).polluted !== undefined) found.push('global');
  return found;
}

export default definePlugin({
  name: 'redteam-bystander',
  version: '1.0.0',
  apiVersion: '2026-11',
  permissions: ['member:read', 'storage:kv'],
  settings: Type.Object({
    secret: Type.String({ default: 'bystander-default-secret' }),
    goldAtFen: Type.Integer({ minimum: 0, default: 500_000 }),
  }),
  extensions: {
    'member.tier.compute': (input, { settings }) => {
      served += 1;
      // Module state an attacker would like to read: the secret of this install.
      (globalThis as Record<string, unknown>).tenantSecret = settings.secret;
      const spend = input.member.spend12mFen.online + input.member.spend12mFen.store;
      const tierId = spend >= settings.goldAtFen ? 'gold' : input.tiers[0]!.id;
      const found = problems(input.now);
      return { tierId, reason: found.length === 0 ? 'tenant ok' : `tenant dirty: ${found.join(', ')} (${served})` };
    },
  },
  events: {
    'order.paid': async (event, ctx) => {
      const found = problems(event.occurredAt);
      await ctx.kv.set(`tenant:${event.id}`, { secret: ctx.settings.secret, clean: found.length === 0 }, { idempotencyKey: event.id });
      if (found.length > 0) throw new Error(`tenant dirty: ${found.join(', ')}`);
      ctx.log.info('tenant ok');
    },
  },
});
