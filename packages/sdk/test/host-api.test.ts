// The host-API catalogue (HOST_API) as the one list of the ctx seam: its permissions exist with consent
// texts, and it types EventContext (tsc checks the expectTypeOf lines and the @ts-expect-error ones).
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  HOST_API,
  PERMISSIONS,
  definePlugin,
  getHostMethod,
  guestSideSurface,
  hostCallSurface,
  permissionsOfNamespace,
  type EventContext,
  type HostMethodSpec,
  type JsonValue,
} from '@tongkit/sdk';

describe('HOST_API', () => {
  it('names, for every method, a catalogued permission (or none), argument schemas and a result schema', () => {
    for (const [namespace, spec] of Object.entries(HOST_API)) {
      for (const [method, definition] of Object.entries(spec.methods as Record<string, HostMethodSpec>)) {
        const where = `${namespace}.${method}`;
        if (definition.permission !== null) expect(Object.keys(PERMISSIONS), where).toContain(definition.permission);
        expect(definition.result, where).toBeTypeOf('object');
        for (const param of definition.params) expect(param.schema, `${where}(${param.name})`).toBeTypeOf('object');
        // Optional arguments come last: they may be left out.
        const firstOptional = definition.params.findIndex((param) => param.optional === true);
        if (firstOptional >= 0) expect(definition.params.slice(firstOptional).every((param) => param.optional === true), where).toBe(true);
      }
    }
  });

  it('splits the surface into host calls (kv, members, orders, points, service, inventory, storedValue, guides, appointments, vouchers) and methods the sandbox answers itself (log)', () => {
    expect(hostCallSurface()).toEqual({
      kv: ['get', 'set', 'delete', 'increment'],
      members: ['get', 'pii'],
      orders: ['get'],
      points: ['grant', 'freeze', 'confirm', 'release', 'balance'],
      service: ['get', 'advance'],
      appointments: ['book'],
      vouchers: ['get', 'issue', 'redeem'],
      inventory: ['get', 'reserve', 'release'],
      storedValue: ['balance'],
      guides: ['get', 'relationOf'],
    });
    expect(guestSideSurface()).toEqual({ log: ['info', 'warn', 'error'] });
  });

  it('looks methods and a namespace’s permissions up', () => {
    expect(getHostMethod('kv', 'increment')?.permission).toBe('storage:kv');
    expect(getHostMethod('kv', 'drop')).toBeUndefined();
    // Reads and personal data need different permissions: a plugin reading members asks no PII consent.
    expect(getHostMethod('members', 'get')?.permission).toBe('member:read');
    expect(getHostMethod('members', 'pii')?.permission).toBe('member:pii');
    expect(getHostMethod('orders', 'get')?.permission).toBe('orders:read');
    // Reading a balance is read consent; changing it is write consent.
    expect(getHostMethod('points', 'balance')?.permission).toBe('member:read');
    expect(getHostMethod('points', 'grant')?.permission).toBe('points:write');
    // Stored value is read-only for plugins: spending is the host checkout's.
    expect(getHostMethod('storedValue', 'balance')?.permission).toBe('stored-value:read');
    expect(getHostMethod('storedValue', 'spend')).toBeUndefined();
    expect(getHostMethod('__proto__', 'get')).toBeUndefined();
    expect(permissionsOfNamespace('kv')).toEqual(['storage:kv']);
    expect(permissionsOfNamespace('log')).toEqual([]);
  });

  it('has read permissions apart from writes, with consent texts (stored value is money, not a member attribute)', () => {
    for (const name of ['service:read', 'vouchers:read', 'stored-value:read', 'inventory:read', 'member:read'] as const) {
      expect(PERMISSIONS[name].consent.length).toBeGreaterThan(20);
    }
    expect(PERMISSIONS['stored-value:read'].consent).toMatch(/prepaid/);
  });
});

describe('EventContext', () => {
  it('is typed from the catalogue', () => {
    definePlugin({
      name: 'typed-ctx',
      version: '1.0.0',
      apiVersion: '2026-11',
      permissions: ['storage:kv'],
      events: {
        'order.paid': async (_event, ctx) => {
          expectTypeOf(ctx.kv.get).returns.resolves.toEqualTypeOf<JsonValue | undefined>();
          expectTypeOf(ctx.kv.increment).returns.resolves.toEqualTypeOf<number>();
          expectTypeOf(ctx.log.info).returns.toEqualTypeOf<void>();
          await ctx.kv.set('a', { nested: [1, 'two', null] }, { idempotencyKey: 'k' });
          await ctx.kv.delete('a');
          // @ts-expect-error increment adds a number
          await ctx.kv.increment('a', '1');
          // @ts-expect-error there is no kv.drop
          await ctx.kv.drop('a');
        },
      },
    });
    expectTypeOf<EventContext<{ x: number }>['settings']>().toEqualTypeOf<Readonly<{ x: number }>>();
  });
});
