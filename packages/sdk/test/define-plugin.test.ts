// Type tests for definePlugin: `npx tsc -p tsconfig.json` checks the expectTypeOf assertions and that
// every `@ts-expect-error` line really is an error; vitest runs the (trivial) runtime side.
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  definePlugin,
  Type,
  type PointInput,
  type PointOutput,
  type TongkitEvent,
} from '@tongkit/sdk';

type TierInput = PointInput<'member.tier.compute'>;
type TierOutput = PointOutput<'member.tier.compute'>;

describe('definePlugin', () => {
  it('returns the definition unchanged', () => {
    const definition = {
      name: 'acme-tiers',
      version: '1.0.0',
      apiVersion: '2026-11',
      extensions: { 'member.tier.compute': () => ({ tierId: 'gold', reason: 'always gold' }) },
    } as const;
    expect(definePlugin(definition)).toBe(definition);
  });

  it('types a handler input and output from its extension point', () => {
    definePlugin({
      name: 'acme-tiers',
      version: '1.0.0',
      apiVersion: '2026-11',
      extensions: {
        'member.tier.compute': (input) => {
          expectTypeOf(input).toEqualTypeOf<TierInput>();
          expectTypeOf(input.member.spend12mFen.online).toBeNumber();
          expectTypeOf(input.member.currentTier).toEqualTypeOf<{ id: string; expiresAt: string | null; since?: string; protectedUntil?: string | null } | null>();
          expectTypeOf(input.member.spend12mFen.total).toEqualTypeOf<number | undefined>();
          expectTypeOf(input.tiers).items.toHaveProperty('rank').toBeNumber();
          expectTypeOf(input.now).toBeString();
          const output = { tierId: input.tiers[0]!.id, reason: 'entry tier' };
          expectTypeOf(output).toExtend<TierOutput>();
          return output;
        },
      },
    });
    expectTypeOf<TierOutput>().toEqualTypeOf<{ tierId: string; expiresAt?: string | null; reason: string }>();
  });

  it('types settings from the settings schema', () => {
    definePlugin({
      name: 'acme-tiers',
      version: '1.0.0',
      apiVersion: '2026-11',
      settings: Type.Object({
        goldAtFen: Type.Integer({ minimum: 0, default: 500_000 }),
        channel: Type.Union([Type.Literal('online'), Type.Literal('store')]),
        note: Type.Optional(Type.String()),
      }),
      extensions: {
        'member.tier.compute': (input, { settings }) => {
          expectTypeOf(settings.goldAtFen).toBeNumber();
          expectTypeOf(settings.channel).toEqualTypeOf<'online' | 'store'>();
          expectTypeOf(settings.note).toEqualTypeOf<string | undefined>();
          // @ts-expect-error settings the schema does not declare do not exist
          void settings.silverAtFen;
          // @ts-expect-error settings are read-only inside handlers
          settings.goldAtFen = 1;
          return { tierId: input.member.spend12mFen.store >= settings.goldAtFen ? 'gold' : 'regular', reason: settings.channel };
        },
      },
      events: {
        'order.paid': (event, { settings }) => {
          expectTypeOf(event).toEqualTypeOf<TongkitEvent<'order.paid'>>();
          expectTypeOf(event.type).toEqualTypeOf<'order.paid'>();
          expectTypeOf(settings.goldAtFen).toBeNumber();
        },
      },
    });
  });

  it('makes unknown points, unknown events, wrong outputs and unknown permissions compile errors', () => {
    // Each definition below is wrong in exactly one place, marked by the line after @ts-expect-error.
    const wrong = [
      definePlugin({
        name: 'acme-tiers',
        version: '1.0.0',
        apiVersion: '2026-11',
        extensions: {
          // @ts-expect-error `member.tier.decide` is not a catalogued extension point
          'member.tier.decide': () => ({ tierId: 'gold', reason: 'x' }),
        },
      }),
      definePlugin({
        name: 'acme-tiers',
        version: '1.0.0',
        apiVersion: '2026-11',
        events: {
          // @ts-expect-error `order.teleported` is not a catalogued event
          'order.teleported': () => {},
        },
      }),
      definePlugin({
        name: 'acme-tiers',
        version: '1.0.0',
        apiVersion: '2026-11',
        extensions: {
          // @ts-expect-error tierId must be a string
          'member.tier.compute': () => ({ tierId: 2, reason: 'a number' }),
        },
      }),
      definePlugin({
        name: 'acme-tiers',
        version: '1.0.0',
        apiVersion: '2026-11',
        extensions: {
          // @ts-expect-error the output needs a reason
          'member.tier.compute': () => ({ tierId: 'gold' }),
        },
      }),
      definePlugin({
        name: 'acme-tiers',
        version: '1.0.0',
        apiVersion: '2026-11',
        extensions: {
          // @ts-expect-error extension handlers are synchronous: a Promise is not an output
          'member.tier.compute': async () => ({ tierId: 'gold', reason: 'too late' }),
        },
      }),
      definePlugin({
        name: 'acme-tiers',
        version: '1.0.0',
        apiVersion: '2026-11',
        // @ts-expect-error `member:write` is not a catalogued permission
        permissions: ['member:read', 'member:write'],
      }),
      definePlugin({
        name: 'acme-tiers',
        version: '1.0.0',
        // @ts-expect-error `2020-01` is not an API version this SDK knows
        apiVersion: '2020-01',
      }),
    ];
    expect(wrong).toHaveLength(7);
  });
});
