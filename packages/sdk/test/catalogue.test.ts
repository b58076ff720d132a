import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import {
  API_VERSIONS,
  EVENT_NAMES,
  EXTENSION_POINTS,
  EXTENSION_POINT_IDS,
  ManifestSchema,
  PERMISSIONS,
  PERMISSION_NAMES,
  SYNC_POINT_BUDGET,
  getExtensionPoint,
  type PointInput,
} from '@tongkit/sdk';

const input: PointInput<'member.tier.compute'> = {
  member: {
    id: 'm_7Hq2xK',
    currentTier: { id: 'silver', expiresAt: '2027-03-01T00:00:00Z' },
    growthValue: 6000,
    pointsBalance: 1200,
    spend12mFen: { online: 200_000, store: 400_000 },
    orderCount12m: 9,
  },
  tiers: [
    { id: 'regular', name: '普通会员', rank: 0 },
    { id: 'silver', name: '银卡', rank: 1 },
    { id: 'gold', name: '金卡', rank: 2 },
  ],
  now: '2026-11-25T08:00:00Z',
};

describe('extension point catalogue', () => {
  it('looks points up by ID', () => {
    const spec = getExtensionPoint('member.tier.compute');
    expect(spec).toBe(EXTENSION_POINTS['member.tier.compute']);
    expect(spec).toMatchObject({ id: 'member.tier.compute', primitive: '会员通', combine: 'exclusive', apiVersion: '2026-11' });
    expect(EXTENSION_POINT_IDS).toContain('member.tier.compute');
    for (const id of EXTENSION_POINT_IDS) expect(getExtensionPoint(id)?.id).toBe(id);
  });

  it('returns undefined for unknown IDs, including names inherited from Object.prototype', () => {
    for (const id of ['member.tier', 'order.route.x', '', 'toString', '__proto__', 'constructor', 'hasOwnProperty']) {
      expect(getExtensionPoint(id), id).toBeUndefined();
    }
  });

  it('gives sync points the design budget: 20 ms CPU, 100 ms wall, 16 MB heap, 128 KB in, 20 KB out, 1 KB logs', () => {
    expect(SYNC_POINT_BUDGET).toEqual({ cpuMs: 20, wallMs: 100, heapMb: 16, inputBytes: 128 * 1024, outputBytes: 20 * 1024, logBytes: 1024 });
    expect(getExtensionPoint('member.tier.compute')?.budget).toEqual(SYNC_POINT_BUDGET);
  });

  it('describes every point with schemas, a combine mode and a fallback', () => {
    for (const id of EXTENSION_POINT_IDS) {
      const spec = getExtensionPoint(id)!;
      expect(spec.input.type, id).toBe('object');
      expect(spec.output.type, id).toBe('object');
      expect(['exclusive', 'merge'], id).toContain(spec.combine);
      expect(spec.fallback.length, id).toBeGreaterThan(0);
      expect(API_VERSIONS as readonly string[], id).toContain(spec.apiVersion);
    }
  });

  it('refuses a tier that is not on the input ladder (member.tier.compute checkOutput)', () => {
    const spec = getExtensionPoint('member.tier.compute')!;
    expect(spec.checkOutput?.(input, { tierId: 'gold', reason: 'spend' })).toEqual([]);
    const problems = spec.checkOutput?.(input, { tierId: 'platinum', reason: 'spend' });
    expect(problems).toHaveLength(1);
    expect(problems?.[0]).toMatchObject({ path: '/tierId' });
    expect(problems?.[0]?.message).toContain('platinum');
  });

  it('falls back to the current tier, or the lowest-ranked tier for a new member (member.tier.compute)', () => {
    const spec = EXTENSION_POINTS['member.tier.compute'];
    expect(spec.fallbackOutput(input)).toMatchObject({ tierId: 'silver', expiresAt: '2027-03-01T00:00:00Z' });
    const newcomer = { ...input, member: { ...input.member, currentTier: null }, tiers: [...input.tiers].reverse() };
    expect(spec.fallbackOutput(newcomer)).toMatchObject({ tierId: 'regular' });
    const fallback = spec.fallbackOutput(newcomer);
    expect(Value.Check(spec.output, fallback)).toBe(true);
    expect(spec.checkOutput(newcomer, fallback)).toEqual([]);
  });

  it('closes the output schema of member.tier.compute to extra fields', () => {
    const output = EXTENSION_POINTS['member.tier.compute'].output;
    expect(Value.Check(output, { tierId: 'gold', reason: 'spend' })).toBe(true);
    expect(Value.Check(output, { tierId: 'gold', reason: 'spend', bonus: 1 })).toBe(false);
    expect(Value.Check(output, { tierId: 'gold' })).toBe(false);
    expect(Value.Check(output, { tierId: 'gold!', reason: 'spend' })).toBe(false);
  });
});

describe('event and permission catalogues', () => {
  it('lists the design events', () => {
    for (const name of ['member.registered', 'order.paid', 'order.refunded', 'points.changed', 'member.redact', 'merchant.redact', 'install.created']) {
      expect(EVENT_NAMES as readonly string[]).toContain(name);
    }
    expect(new Set(EVENT_NAMES).size).toBe(EVENT_NAMES.length);
  });

  it('gives every permission consent text a merchant can read', () => {
    expect(PERMISSION_NAMES).toEqual(Object.keys(PERMISSIONS));
    for (const name of ['member:read', 'member:pii', 'points:write', 'inventory:write', 'orders:read', 'network:fetch'] as const) {
      expect(PERMISSION_NAMES).toContain(name);
      expect(PERMISSIONS[name].consent.length, name).toBeGreaterThan(20);
    }
  });
});

describe('ManifestSchema', () => {
  const manifest = {
    manifestVersion: 1,
    name: 'acme-tiers',
    version: '1.2.0',
    apiVersion: '2026-11',
    permissions: ['member:read'],
    settings: {},
    extensions: ['member.tier.compute'],
    events: [],
    bundle: { file: 'plugin.js', sha256: 'a'.repeat(64), bytes: 1234 },
    sdkVersion: '0.1.0',
  };

  it('accepts a well-formed manifest', () => {
    expect(Value.Check(ManifestSchema, manifest)).toBe(true);
  });

  it('refuses unknown permissions, points, bad names and extra fields', () => {
    expect(Value.Check(ManifestSchema, { ...manifest, permissions: ['root'] })).toBe(false);
    expect(Value.Check(ManifestSchema, { ...manifest, permissions: ['member:read', 'member:read'] })).toBe(false);
    expect(Value.Check(ManifestSchema, { ...manifest, extensions: ['member.unknown'] })).toBe(false);
    expect(Value.Check(ManifestSchema, { ...manifest, name: 'Acme Tiers' })).toBe(false);
    expect(Value.Check(ManifestSchema, { ...manifest, version: '1.2' })).toBe(false);
    expect(Value.Check(ManifestSchema, { ...manifest, apiVersion: '2020-01' })).toBe(false);
    expect(Value.Check(ManifestSchema, { ...manifest, bundle: { ...manifest.bundle, sha256: 'xyz' } })).toBe(false);
    expect(Value.Check(ManifestSchema, { ...manifest, extra: true })).toBe(false);
  });
});
