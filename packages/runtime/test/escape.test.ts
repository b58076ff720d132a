// First containment checks (the red-team suite goes further): whatever the guest reaches through
// constructors, errors, its context or its settings belongs to its own realm, never to the host, and
// what it changes does not outlive the call. Fixture: plugins/escape (the member ID picks the attempt).
import { beforeAll, describe, expect, it } from 'vitest';
import type { LoadedPlugin } from '@tongkit/runtime';
import { expectOutput, loadFixture, loggedJson, tierInput } from './helpers.js';

interface Reached {
  reached: Record<string, string>;
  contextKeys: string[];
  contextFrozen: boolean;
  contextProtoIsGuestObject: boolean;
  bridgeGlobals: string[];
  globalIsGuestGlobal: boolean;
}

interface Mutated {
  attempts: Record<string, string>;
  frozen: boolean;
  after: unknown;
}

const settings = { limit: 7, tags: ['vip', 'store'] };
let plugin: LoadedPlugin;

beforeAll(async () => {
  plugin = await loadFixture('escape');
});

async function run(memberId: string, withSettings: unknown = settings) {
  const result = await plugin.invoke('member.tier.compute', await tierInput(memberId), withSettings);
  expectOutput(result);
  return result;
}

describe('reaching the host through constructors', () => {
  it('finds no process through this.constructor.constructor, error.constructor, ctx, settings, input or console', async () => {
    const { reached } = loggedJson<Reached>(await run('reach-process'));
    expect(reached).toEqual({
      objectLiteral: 'threw ReferenceError',
      globalThis: 'threw ReferenceError',
      thrownError: 'threw ReferenceError',
      context: 'threw ReferenceError',
      settings: 'threw ReferenceError',
      input: 'threw ReferenceError',
      console: 'threw ReferenceError',
      require: 'threw ReferenceError',
    });
  });

  it('gives the guest a context object of its own realm holding only its settings', async () => {
    const seen = loggedJson<Reached>(await run('reach-process'));
    expect(seen.contextKeys).toEqual(['settings']);
    expect(seen.contextFrozen).toBe(true);
    expect(seen.contextProtoIsGuestObject).toBe(true);
    expect(seen.globalIsGuestGlobal).toBe(true);
  });

  it('leaves no bridge functions on the guest global', async () => {
    const { bridgeGlobals } = loggedJson<Reached>(await run('reach-process'));
    expect(bridgeGlobals).toEqual([]);
  });
});

describe('settings', () => {
  it('are a fresh copy for every call: mutations never reach the next call', async () => {
    const mutated = loggedJson<Mutated>(await run('mutate-settings'));
    // Not frozen (frozen arrays lose V8's fast paths); the guest's own copy may change within the call…
    expect(mutated.frozen).toBe(false);

    // …but the next call on the same warm isolate parses the settings afresh.
    const next = await run('read-settings');
    expect(next.measurements.isolate).toBe('warm');
    expect(loggedJson(next)).toEqual(settings);
    expect(expectOutput(next).reason).toBe('limit 7');
  });

  it('are a copy: the caller’s object is never shared with the guest', async () => {
    const mine = { limit: 3, tags: ['a'] };
    await run('mutate-settings', mine);
    expect(mine).toEqual({ limit: 3, tags: ['a'] });
    expect(Object.isFrozen(mine)).toBe(false);
  });
});
