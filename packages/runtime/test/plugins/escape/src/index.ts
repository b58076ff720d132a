import { definePlugin, Type } from '@tongkit/sdk';

// Tries to reach host objects from inside the sandbox and reports what it found, as one JSON log line.

type AnyFunctionConstructor = new (...args: string[]) => () => unknown;

/** Runs one attempt: what it returned (its type), or the name of what it threw. */
function attempt(run: () => unknown): string {
  try {
    const value = run();
    return typeof value;
  } catch (error) {
    return `threw ${error instanceof Error ? error.name : typeof error}`;
  }
}

/** `value.constructor.constructor` is the Function constructor of the realm `value` comes from. */
function functionConstructorOf(value: unknown): AnyFunctionConstructor {
  return (value as { constructor: { constructor: AnyFunctionConstructor } }).constructor.constructor;
}

function caughtError(): unknown {
  try {
    (null as unknown as { x: number }).x = 1;
  } catch (error) {
    return error;
  }
  return undefined;
}

export default definePlugin({
  name: 'test-escape',
  version: '1.0.0',
  apiVersion: '2026-11',
  settings: Type.Object({
    limit: Type.Integer({ default: 5 }),
    tags: Type.Array(Type.String(), { default: ['a', 'b'] }),
  }),
  extensions: {
    'member.tier.compute': (input, ctx) => {
      const tierId = input.tiers[0]!.id;
      const { settings } = ctx;
      switch (input.member.id) {
        case 'reach-process': {
          const sloppyGlobal = new (functionConstructorOf({}))('return this')();
          const vectors = {
            objectLiteral: () => new (functionConstructorOf({}))('return process')(),
            globalThis: () => new (functionConstructorOf(sloppyGlobal))('return process')(),
            thrownError: () => new (functionConstructorOf(caughtError()))('return process')(),
            context: () => new (functionConstructorOf(ctx))('return process')(),
            settings: () => new (functionConstructorOf(settings))('return process')(),
            input: () => new (functionConstructorOf(input))('return process')(),
            console: () => new (functionConstructorOf(console.log))('return process')(),
            require: () => new (functionConstructorOf({}))('return require("node:fs")')(),
          };
          const reached = Object.fromEntries(Object.entries(vectors).map(([name, run]) => [name, attempt(run)]));
          const g = sloppyGlobal as Record<string, unknown>;
          console.log(
            JSON.stringify({
              reached,
              contextKeys: Object.getOwnPropertyNames(ctx),
              contextFrozen: Object.isFrozen(ctx),
              contextProtoIsGuestObject: Object.getPrototypeOf(ctx) === Object.prototype,
              bridgeGlobals: Object.getOwnPropertyNames(g).filter((name) => name.startsWith('__tk')),
              globalIsGuestGlobal: g === globalThis,
            }),
          );
          return { tierId, reason: 'probed' };
        }
        case 'mutate-settings': {
          const loose = settings as unknown as Record<string, unknown>;
          const attempts = {
            assign: attempt(() => (loose.limit = 999)),
            nested: attempt(() => (settings.tags as string[]).push('evil')),
            remove: attempt(() => delete loose.limit),
            define: attempt(() => Object.defineProperty(loose, 'extra', { value: 1 })),
            replaceSettings: attempt(() => ((ctx as unknown as Record<string, unknown>).settings = { limit: 1, tags: [] })),
          };
          console.log(JSON.stringify({ attempts, frozen: Object.isFrozen(settings) && Object.isFrozen(settings.tags), after: settings }));
          return { tierId, reason: 'tried to change the settings' };
        }
        default:
          console.log(JSON.stringify(settings));
          return { tierId, reason: `limit ${settings.limit}` };
      }
    },
  },
});
