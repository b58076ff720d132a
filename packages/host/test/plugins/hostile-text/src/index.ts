import { definePlugin } from '@tongkit/sdk';

// A plugin whose text PostgreSQL cannot store as is — NUL characters and lone UTF-16 surrogates — in
// every place a plugin controls: KV keys and values, idempotency keys, log lines, error messages and
// extension output (test/plugin-text-storage.test.ts). Event handlers pick their case from
// `event.data.case` and catch what the host refuses, reporting the error codes in their own KV; the
// extension picks its case from the member id.

const NUL = '\u0000';
const LONE = '\ud800';

async function codeOf(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return 'ok';
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    return typeof code === 'string' ? code : `no code (${String(error)})`;
  }
}

export default definePlugin({
  name: 'test-hostile-text',
  version: '1.0.0',
  apiVersion: '2026-11',
  description: 'Sends text storage refuses through every channel (test plugin)',
  permissions: ['storage:kv', 'member:read'],
  extensions: {
    'member.tier.compute': (input) => {
      const id = input.member.id;
      if (id === 'nul-output') return { tierId: 'silver', reason: `r${NUL}` };
      if (id === 'lone-output') return { tierId: 'silver', reason: `r${LONE}` };
      if (id === 'nul-error') throw new Error(`bad${NUL}thing`);
      if (id === 'lone-error') throw new Error(`bad${LONE}thing`);
      return { tierId: 'regular', reason: 'plain' };
    },
  },
  events: {
    'order.paid': async (event, ctx) => {
      switch (event.data.case) {
        case 'throw-lone-surrogate':
          // Also what a message cut in the middle of an emoji looks like.
          throw new Error(`bad ${LONE} surrogate ${'😀'.slice(0, 1)}`);
        case 'log-lone-surrogate':
          ctx.log.warn(`cut ${'😀'.slice(0, 1)}`);
          return;
        case 'kv-text': {
          // Each refused before it reaches the database; the handler carries on and reports.
          const codes = {
            nulValue: await codeOf(() => ctx.kv.set('k', `a${NUL}b`)),
            loneValue: await codeOf(() => ctx.kv.set('k', `a${LONE}b`)),
            nestedKey: await codeOf(() => ctx.kv.set('k', { list: [{ [`x${NUL}`]: 1 }] })),
            nulKey: await codeOf(() => ctx.kv.get(`k${NUL}`)),
            loneKey: await codeOf(() => ctx.kv.increment(`k${LONE}`, 1)),
            loneIdempotencyKey: await codeOf(() => ctx.kv.set('k', 1, { idempotencyKey: `i${LONE}` })),
            nulDelete: await codeOf(() => ctx.kv.delete(`k${NUL}`)),
          };
          await ctx.kv.set('report-kv-text', codes);
          return;
        }
        case 'kv-not-integer': {
          await ctx.kv.set('fraction', 1.5);
          await ctx.kv.set('huge', 1e300);
          await ctx.kv.set('top', Number.MAX_SAFE_INTEGER);
          const codes = {
            fraction: await codeOf(() => ctx.kv.increment('fraction', 1)),
            huge: await codeOf(() => ctx.kv.increment('huge', 1)),
            overflow: await codeOf(() => ctx.kv.increment('top', 1)),
            fractionOnce: await codeOf(() => ctx.kv.increment('fraction', 1, { idempotencyKey: `${event.id}-fraction` })),
            // The refused key was left unclaimed: with an integer there, the same key bumps it.
            fractionValue: (await ctx.kv.get('fraction')) ?? null,
          };
          await ctx.kv.set('fraction', 2);
          const after = await ctx.kv.increment('fraction', 1, { idempotencyKey: `${event.id}-fraction` });
          await ctx.kv.set('report-kv-not-integer', { ...codes, after });
          return;
        }
        case 'kv-refused-by-database': {
          // The test adds a CHECK constraint this value breaks: a statement that fails in the database
          // however well the host checked, and the handler swallows the error.
          await codeOf(() => ctx.kv.set('doomed', 'refuse me'));
          await codeOf(() => ctx.kv.set('after-doomed', 1));
          return;
        }
        case 'log-refused-by-database':
          ctx.log.info('refuse me');
          return;
        default:
          await ctx.kv.increment('paid', 1, { idempotencyKey: event.id });
      }
    },
  },
});
