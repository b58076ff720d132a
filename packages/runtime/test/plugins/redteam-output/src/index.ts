import { definePlugin } from '@tongkit/sdk';

// Red-team output attacks (packages/runtime/test/redteam/output.test.ts): outputs and logs built to hurt
// the host that parses, measures, validates and stores them. The member ID (extension point) or
// `event.data.case` (event handler) picks the attack; `member.growthValue` / `event.data.n` sizes it.

type Loose = Record<PropertyKey, unknown>;

function nested(depth: number, wrap: (inner: unknown) => unknown): unknown {
  let value: unknown = [];
  for (let i = 0; i < depth; i++) value = wrap(value);
  return value;
}

export default definePlugin({
  name: 'redteam-output',
  version: '1.0.0',
  apiVersion: '2026-11',
  permissions: ['member:read', 'storage:kv'],
  extensions: {
    'member.tier.compute': (input) => {
      const tierId = input.tiers[0]!.id;
      const n = input.member.growthValue;
      switch (input.member.id) {
        case 'pad-to-bytes': {
          // An output of exactly n bytes of JSON (ASCII padding).
          const base = JSON.stringify({ tierId, reason: 'padded', padding: '' }).length;
          return { tierId, reason: 'padded', padding: 'x'.repeat(n - base) } as never;
        }
        case 'pad-multibyte':
          // n three-byte characters: few characters, many bytes.
          return { tierId, reason: 'padded', padding: '中'.repeat(n) } as never;
        case 'huge-string':
          return { tierId, reason: 'x'.repeat(n) };
        case 'deep-array':
          return { tierId, reason: 'deep', nest: nested(n, (inner) => [inner]) } as never;
        case 'deep-object':
          return nested(n, (inner) => ({ tierId, reason: 'deep', inner })) as never;
        case 'wide-object': {
          const output: Loose = { tierId, reason: 'wide' };
          for (let i = 0; i < n; i++) output[`k${i}`] = i;
          return output as never;
        }
        case 'log-flood':
          for (let i = 0; i < n; i++) console.log(`log line number ${i}`);
          return { tierId, reason: 'flooded' };
        case 'log-huge-line':
          console.log('y'.repeat(n));
          console.log('after the huge line');
          return { tierId, reason: 'logged a huge line' };
        case 'log-hostile-values': {
          const cyclic: Loose = {};
          cyclic.self = cyclic;
          const hostile = {
            toJSON() {
              throw new Error('toJSON says no');
            },
            toString() {
              throw new Error('toString says no');
            },
          };
          const getters = {
            get boom() {
              throw new Error('getter says no');
            },
          };
          console.log(cyclic);
          console.log(hostile);
          console.log(getters);
          console.log(Symbol('sym'));
          console.log(10n);
          console.log(() => 'a function');
          console.log(undefined, null, NaN, -0);
          return { tierId, reason: 'logged hostile values' };
        }
        case 'cyclic': {
          const output: Loose = { tierId, reason: 'cyclic' };
          output.self = output;
          return output as never;
        }
        case 'return-function':
          return (() => ({ tierId, reason: 'a function' })) as never;
        case 'return-symbol':
          return Symbol('output') as never;
        case 'return-undefined':
          return undefined as never;
        case 'function-field':
          // JSON drops function fields: what is left must stand on its own.
          return { tierId, reason: 'with a function field', helper: () => 'dropped' } as never;
        case 'nan':
          return { tierId, reason: 'nan', expiresAt: NaN } as never;
        case 'infinity':
          return { tierId, reason: 'infinity', expiresAt: -Infinity } as never;
        case 'bigint':
          return { tierId, reason: 'bigint', expiresAt: 2n ** 64n } as never;
        case 'negative-zero':
          return { tierId, reason: 'negative zero', expiresAt: -0 } as never;
        case 'promise':
          return Promise.resolve({ tierId, reason: 'later' }) as never;
        case 'thenable':
          return { tierId, reason: 'thenable', then: (resolve: (v: unknown) => void) => resolve(1) } as never;
        case 'then-getter-throws':
          return {
            tierId,
            reason: 'hostile then',
            get then() {
              throw new Error('then says no');
            },
          } as never;
        case 'throwing-tojson':
          return {
            tierId,
            reason: 'x',
            toJSON() {
              throw new RangeError('toJSON refuses /work/main/secret.txt');
            },
          } as never;
        case 'odd-strings':
          console.log('nul:\u0000:end');
          console.log('lone high:\ud800:lone low:\udfff:pair:\ud83d\ude00:reversed:\udc00\ud800');
          return { tierId, reason: 'nul:\u0000 lone:\ud800\udfff pair:\ud83d\ude00 reversed:\udc00\ud800' };
        case 'odd-strings-flood':
          // Lone surrogates followed by 3-byte characters: 6 bytes per pair as the host counts them.
          for (let i = 0; i < 64; i++) console.log('\ud800中'.repeat(n));
          return { tierId, reason: 'surrogate flood' };
        default:
          return { tierId, reason: 'output idle' };
      }
    },
  },
  events: {
    'order.paid': async (event, ctx) => {
      const data = event.data as unknown as { case: string; n?: number };
      const n = data.n ?? 0;
      switch (data.case) {
        case 'log-flood':
          for (let i = 0; i < n; i++) ctx.log.info(`event log line ${i}`);
          return;
        case 'log-huge-line':
          ctx.log.info('z'.repeat(n));
          console.log('after the huge line');
          return;
        case 'odd-strings':
          ctx.log.warn('nul:\u0000 lone:\ud800', { key: '\udfff\u0000' });
          await ctx.kv.set('odd\u0000key', 'lone:\ud800 nul:\u0000');
          return;
        case 'odd-numbers': {
          const outcomes: Record<string, string> = {};
          for (const [name, value] of [['negative-zero', -0], ['nan', NaN], ['infinity', Infinity], ['bigint', 5n]] as const) {
            try {
              await ctx.kv.increment(`by-${name}`, value as number);
              outcomes[name] = 'sent';
            } catch (error) {
              outcomes[name] = `${(error as Error).name}: ${(error as Error).message}`;
            }
          }
          ctx.log.info(JSON.stringify(outcomes));
          return;
        }
        default:
          ctx.log.info('output idle');
      }
    },
  },
});
