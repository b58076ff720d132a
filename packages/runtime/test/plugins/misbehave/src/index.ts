import { definePlugin } from '@tongkit/sdk';

// Each member ID selects one way of breaking the member.tier.compute contract.

function recurse(depth: number): number {
  return recurse(depth + 1) + 1;
}

function pickTier(): never {
  throw new Error('no tier fits this member'); // <- THROWS HERE
}

export default definePlugin({
  name: 'test-misbehave',
  version: '1.0.0',
  apiVersion: '2026-11',
  extensions: {
    'member.tier.compute': (input) => {
      const tierId = input.tiers[0]!.id;
      switch (input.member.id) {
        case 'wrong-type':
          return { tierId: 42, reason: 'a number is not a tier ID' } as never;
        case 'missing-field':
          return { tierId } as never;
        case 'extra-field':
          return { tierId, reason: 'has a bonus field', bonus: 1 } as never;
        case 'unknown-tier':
          return { tierId: 'platinum', reason: 'not on the ladder' };
        case 'nan-reason':
          return { tierId, reason: Number.NaN } as never;
        case 'nan-expiry':
          return { tierId, reason: 'lapses at a NaN time', expiresAt: Number.NaN } as never;
        case 'infinite-expiry':
          return { tierId, reason: 'lapses at an infinite time', expiresAt: Number.POSITIVE_INFINITY } as never;
        case 'undefined-output':
          return undefined as never;
        case 'promise':
          return Promise.resolve({ tierId, reason: 'too late' }) as never;
        case 'bigint':
          return { tierId, reason: 'big', points: 10n } as never;
        case 'cyclic': {
          const output: Record<string, unknown> = { tierId, reason: 'points at itself' };
          output.self = output;
          return output as never;
        }
        case 'throw-error':
          return pickTier();
        case 'throw-string':
          throw 'plain string';
        case 'throw-null':
          throw null;
        case 'throw-getters':
          throw {
            get name(): string {
              throw new Error('name getter');
            },
            get message(): string {
              throw new Error('message getter');
            },
            get stack(): string {
              throw new Error('stack getter');
            },
          };
        case 'stack-overflow':
          return { tierId, reason: String(recurse(0)) };
        default:
          return { tierId, reason: 'behaves' };
      }
    },
  },
});
