import { definePlugin } from '@tongkit/sdk';

// Red-team memory attacks (test/redteam/memory.test.ts). For member.tier.compute (16 MB heap) the
// member ID picks the attack; for order.paid (64 MB heap) `event.data.case` does. Each one tries to
// make the isolate, or the process around it, run out of memory.

type Output = { tierId: string; reason: string };

/** Module state: kept between calls on a warm isolate, gone on a rebuilt one. */
const retained: string[] = [];

function recurse(depth: number): number {
  return recurse(depth + 1) + 1;
}

/** A frame with many live locals, so that the stack runs out in fewer calls. */
function recurseWide(depth: number, a: number[], b: string, c: object): number {
  const d = [a, b, c, depth];
  return recurseWide(depth + 1, a, b, d) + d.length;
}

/** The allocation patterns, shared by the extension point and the event handler. */
function bomb(kase: string): unknown {
  switch (kase) {
    case 'array-growth': {
      const items: Array<{ i: number; tag: string }> = [];
      for (;;) items.push({ i: items.length, tag: `item-${items.length}` });
    }
    case 'array-of-arrays': {
      const items: number[][] = [];
      for (;;) items.push(new Array<number>(10_000).fill(items.length));
    }
    case 'object-map': {
      const map: Record<string, number> = {};
      for (let i = 0; ; i++) map[`key-${i}`] = i;
    }
    case 'map-growth': {
      const map = new Map<number, { i: number }>();
      for (let i = 0; ; i++) map.set(i, { i });
    }
    case 'set-growth': {
      const set = new Set<string>();
      for (let i = 0; ; i++) set.add(`member-${i}`);
    }
    case 'string-concat': {
      // Appending builds a rope of small pieces: the heap fills with cons strings.
      let text = '';
      for (let i = 0; ; i++) text += `chunk ${i};`;
    }
    case 'string-chunks': {
      // Distinct flat strings of 64 KB each, all kept.
      const kept: string[] = [];
      for (let i = 0; ; i++) kept.push(`${i}`.padEnd(64 * 1024, '.'));
    }
    case 'typed-array-huge':
      return new Uint8Array(1e9).length;
    case 'array-buffers': {
      const kept: ArrayBuffer[] = [];
      for (;;) kept.push(new ArrayBuffer(10 * 1024 * 1024));
    }
    case 'array-buffers-caught': {
      // Many 10 MB buffers, the refusals caught, keeping what was granted: then one more, uncaught.
      const kept: Uint8Array[] = [];
      let refused = 0;
      for (let i = 0; i < 20; i++) {
        try {
          kept.push(new Uint8Array(10 * 1024 * 1024).fill(i));
        } catch {
          refused++;
        }
      }
      console.log(JSON.stringify({ granted: kept.length, refused }));
      return new Uint8Array(10 * 1024 * 1024).length + kept.length;
    }
    case 'wasm-memory': {
      const g = globalThis as Record<string, unknown>;
      const seen = {
        typeofWebAssembly: typeof g.WebAssembly,
        viaReflect: typeof Reflect.get(globalThis, 'WebAssembly'),
        inGlobal: 'WebAssembly' in globalThis,
        viaFunction: (() => {
          try {
            return String(Function('return typeof WebAssembly')());
          } catch (error) {
            return `threw ${(error as Error).name}`;
          }
        })(),
      };
      console.log(JSON.stringify(seen));
      // What an attacker would do next: 65536 pages of 64 KB = 4 GB outside the JS heap.
      const memory = new (g.WebAssembly as { Memory: new (d: { initial: number }) => unknown }).Memory({ initial: 65536 });
      return { memory };
    }
    case 'string-doubling': {
      let text = 'tongkit!';
      for (;;) {
        text = text + text;
        // Reading a character flattens the rope, so the memory is really used.
        if (text.charCodeAt(text.length - 1) === 0) break;
      }
      return text.length;
    }
    case 'deep-recursion':
      return recurse(0);
    case 'deep-recursion-wide':
      return recurseWide(0, [1, 2, 3], 'x'.repeat(100), {});
    case 'spread-arguments':
      // A call with ten million arguments: the stack, not the heap, must refuse it.
      return Math.max(...new Array<number>(10_000_000).fill(1));
    case 'retain': {
      // 2 MB more module state on every call: fails after a few calls on a warm isolate. Reading the
      // last character flattens the string (padEnd builds a rope that shares its pieces).
      const text = `${retained.length}`.padEnd(2 * 1024 * 1024, '#');
      if (text.charCodeAt(text.length - 1) !== 35) throw new Error('unreachable');
      retained.push(text);
      return retained.length;
    }
    case 'promise-million':
      return Promise.all(Array.from({ length: 1_000_000 }, (_, i) => Promise.resolve(i)));
    case 'then-chain-retaining': {
      // Each link resolves with the next promise: the whole chain stays reachable.
      const next = (): Promise<void> => Promise.resolve().then(next);
      return next();
    }
    default:
      return 'no attack';
  }
}

function report(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export default definePlugin({
  name: 'redteam-memory',
  version: '1.0.0',
  apiVersion: '2026-11',
  extensions: {
    'member.tier.compute': (input): Output => {
      const result = bomb(input.member.id);
      return { tierId: input.tiers[0]!.id, reason: report(result).slice(0, 500) };
    },
  },
  events: {
    'order.paid': async (event, ctx) => {
      const result = await bomb(String(event.data.case));
      ctx.log.info(report(result).slice(0, 500));
    },
  },
});
