// order-tally through the real sandbox, with an in-memory stand-in for the host's KV API.
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type EventHost, type LoadedPlugin } from '@tongkit/runtime';
import { buildPlugin } from '@tongkit/runtime/build';
import type { TongkitEvent } from '@tongkit/sdk';

const root = fileURLToPath(new URL('..', import.meta.url));
let plugin: LoadedPlugin;
beforeAll(async () => {
  plugin = await createRuntime().load((await buildPlugin(root)).bundle);
});

/** KV with idempotency keys, as the host implements it (same key + same payload = first result). */
function memoryHost(): EventHost & { kv: Map<string, number> } {
  const kv = new Map<string, number>();
  const used = new Map<string, string>();
  return {
    kv,
    merchantId: 'acme',
    permissions: ['storage:kv'],
    async call(namespace, method, args) {
      if (namespace !== 'kv' || method !== 'increment') throw new Error(`unexpected ${namespace}.${method}`);
      const [key, by, options] = args as [string, number, { idempotencyKey?: string }];
      const request = JSON.stringify([key, by]);
      if (options?.idempotencyKey) {
        if (used.has(options.idempotencyKey)) return kv.get(key);
        used.set(options.idempotencyKey, request);
      }
      kv.set(key, (kv.get(key) ?? 0) + by);
      return kv.get(key);
    },
  };
}

const paid = (id: string, data: Record<string, unknown>): TongkitEvent<'order.paid'> => ({ id, type: 'order.paid', occurredAt: '2026-11-25T08:00:00Z', data: data as TongkitEvent<'order.paid'>['data'] });

describe('order.paid', () => {
  it('counts orders and spend per store', async () => {
    const host = memoryHost();
    await plugin.handleEvent(paid('e1', { spendFen: 12_000, storeId: 'sh-01' }), {}, host);
    await plugin.handleEvent(paid('e2', { spendFen: 8_000, storeId: 'sh-01' }), {}, host);
    await plugin.handleEvent(paid('e3', { spendFen: 5_000 }), {}, host);
    expect(Object.fromEntries(host.kv)).toEqual({ 'orders:sh-01': 2, 'spendFen:sh-01': 20_000, 'orders:online': 1, 'spendFen:online': 5_000 });
  });

  it('counts a redelivered event once', async () => {
    const host = memoryHost();
    const event = paid('e1', { spendFen: 12_000, storeId: 'sh-01' });
    const first = await plugin.handleEvent(event, {}, host);
    const again = await plugin.handleEvent(event, {}, host);
    expect(first.ok && again.ok).toBe(true);
    expect(host.kv.get('orders:sh-01')).toBe(1);
  });

  it('skips orders below the minimum setting', async () => {
    const host = memoryHost();
    await plugin.handleEvent(paid('e1', { spendFen: 99 }), { minimumFen: 100 }, host);
    expect(host.kv.size).toBe(0);
  });

  it('logs and skips an event without a valid amount', async () => {
    const host = memoryHost();
    const result = await plugin.handleEvent(paid('e1', { spendFen: 12.5 }), {}, host);
    expect(result.ok).toBe(true);
    expect(result.logs[0]?.message).toContain('without a valid spendFen');
    expect(host.kv.size).toBe(0);
  });

  it('is refused KV without the storage:kv grant', async () => {
    const host = { ...memoryHost(), permissions: [] };
    const result = await plugin.handleEvent(paid('e1', { spendFen: 100 }), {}, host);
    expect(!result.ok && result.error.code).toBe('TK_PERMISSION_DENIED');
  });
});
