import { definePlugin } from '@tongkit/sdk';

// Red-team CPU attacks (test/redteam/cpu.test.ts). For member.tier.compute the member ID picks the
// attack and `growthValue` sizes it; for order.paid `event.data.case` does. Every attack here tries to
// keep the isolate's thread busy for ever, or longer than the plugin's budget.

type Output = { tierId: string; reason: string };

let sink = 0;

/** A loop the optimiser cannot drop, with no allocation: pure CPU. */
function spin(): never {
  for (;;) sink = (sink + 1) | 0;
}

function deep(depth: number): number {
  return deep(depth + 1) + 1;
}

/** Re-enters itself from `finally` on every level: each stack overflow unwinds into more recursion. */
function reenter(depth: number): void {
  try {
    reenter(depth + 1);
  } finally {
    reenter(depth + 1);
  }
}

/** Moderate fills, repeated for ever: each returns quickly, so the wall stop lands between them. */
function fillForEver(size: number): never {
  for (;;) sink += new Array<number>(size).fill(1).length;
}

function burn(iterations: number): number {
  let x = 0;
  for (let i = 0; i < iterations; i++) x = (Math.imul(x, 31) + i) | 0;
  return x;
}

function attack(kase: string, tierId: string, size: number): Output {
  switch (kase) {
    case 'for-ever':
      for (;;) {
        // spins until the wall stop
      }
    case 'while-true-finally':
      // A loop whose finally re-enters it: termination must not run finally blocks.
      for (;;) {
        try {
          while (true) sink++;
        } finally {
          spin();
        }
      }
    case 'finally-reentry':
      for (;;) {
        try {
          reenter(0);
        } catch {
          // a RangeError each time the stack runs out: try again
        }
      }
    case 'recursion-retry':
      for (;;) {
        try {
          deep(0);
        } catch {
          // caught stack overflow, retried for ever
        }
      }
    case 'output-getter':
      return {
        tierId,
        get reason(): string {
          return spin();
        },
      };
    case 'output-to-json':
      return { tierId, reason: 'fine', toJSON: () => spin() } as never;
    case 'output-to-primitive': {
      // JSON.stringify converts a String wrapper with ToString: Symbol.toPrimitive runs.
      const boxed = new String('looks like a string') as unknown as Record<symbol, unknown>;
      boxed[Symbol.toPrimitive] = () => spin();
      return { tierId, reason: boxed } as never;
    }
    case 'output-then-getter':
      // The runtime checks `output.then` (a Promise is refused) before serialising.
      return {
        tierId,
        reason: 'fine',
        get then(): unknown {
          return spin();
        },
      } as never;
    case 'output-proxy':
      return new Proxy({ tierId, reason: 'fine' }, { ownKeys: () => spin() });
    case 'prototype-to-json':
      // Poisons every object's serialisation, the runtime's own envelope included.
      (Object.prototype as Record<string, unknown>).toJSON = () => spin();
      return { tierId, reason: 'fine' };
    case 'prepare-stack-trace':
      // V8 calls it when the runtime reads the thrown error's stack.
      (Error as unknown as { prepareStackTrace: unknown }).prepareStackTrace = () => spin();
      throw new Error('look at my stack');
    case 'thrown-getter':
      throw {
        get name(): string {
          return spin();
        },
        message: 'x',
      };
    case 'log-to-json':
      console.log('state', { toJSON: () => spin() });
      return { tierId, reason: 'logged' };
    case 'regex-backtracking':
      // Catastrophic backtracking: 2^n paths for n a's followed by a mismatch.
      return { tierId, reason: String(/(a+)+$/.test(`${'a'.repeat(size || 40)}!`)) };
    case 'regex-nested-words':
      return { tierId, reason: String(/^(\w+\s?)*$/.test(`${'word '.repeat(size || 12)}word!`)) };
    case 'sort-comparator':
      return { tierId, reason: String([3, 1, 2].sort(() => spin())) };
    case 'array-fill':
      // One native call: isolated-vm can only stop it once it returns (isolated-vm issue #186).
      return { tierId, reason: String(new Array(size).fill(0).length) };
    case 'array-fill-repeat':
      return fillForEver(size);
    case 'burn':
      return { tierId, reason: `burned ${burn(size)}` };
    default:
      return { tierId, reason: 'no attack' };
  }
}

export default definePlugin({
  name: 'redteam-cpu',
  version: '1.0.0',
  apiVersion: '2026-11',
  extensions: {
    'member.tier.compute': (input) => attack(input.member.id, input.tiers[0]!.id, input.member.growthValue),
  },
  events: {
    'order.paid': async (event) => {
      const kase = String(event.data.case);
      switch (kase) {
        case 'sync-loop':
          spin();
        case 'await-loop':
          for (;;) await null;
        case 'promise-all-flood':
          // Ten thousand promises at a time, for ever (a million at once is a memory bomb: memory.test.ts).
          for (;;) await Promise.all(Array.from({ length: 10_000 }, (_, i) => Promise.resolve(i)));
        case 'then-chain': {
          // A recursive then-chain: every reaction schedules the next, the microtask queue never drains.
          const next = (): void => {
            void Promise.resolve().then(next);
          };
          next();
          await new Promise<never>(() => {});
          return;
        }
        case 'leftover-microtask':
          // The handler returns at once, leaving a spinning microtask behind it.
          void Promise.resolve().then(() => spin());
          return;
        case 'async-recursion': {
          const again = async (depth: number): Promise<number> => (await again(depth + 1)) + 1;
          for (;;) {
            try {
              await again(0);
            } catch {
              // stack overflow inside async recursion, retried
            }
          }
        }
        default:
          return;
      }
    },
  },
});
