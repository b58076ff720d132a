import { definePlugin, type JsonValue } from '@tongkit/sdk';

// Red-team probe of ctx.inventory (test/redteam-inventory.test.ts): the order.paid handler tries what
// `event.data` names against another merchant's store and reservation, and the idempotency rules, and
// stores what it saw in its own KV so the test can read it from the database.

async function attempt(call: () => Promise<unknown>): Promise<{ value?: unknown; code?: string; path?: string }> {
  try {
    return { value: await call() };
  } catch (error) {
    const { code, path } = (error ?? {}) as { code?: unknown; path?: unknown };
    return { code: typeof code === 'string' ? code : `no code (${String(error)})`, ...(typeof path === 'string' ? { path } : {}) };
  }
}

export default definePlugin({
  name: 'redteam-inventory-probe',
  version: '1.0.0',
  apiVersion: '2026-11',
  permissions: ['inventory:read', 'inventory:write', 'storage:kv'],
  events: {
    'order.paid': async (event, ctx) => {
      const data = event.data as unknown as { own: string; theirs: string; theirReservation: string; sku: string };
      const line = [{ sku: data.sku, quantity: 1 }];
      const report = {
        getTheirs: await attempt(() => ctx.inventory.get({ storeId: data.theirs, skus: [data.sku] })),
        reserveTheirs: await attempt(() => ctx.inventory.reserve({ reservationId: 'steal', storeId: data.theirs, lines: line }, { idempotencyKey: 'steal' })),
        releaseTheirs: await attempt(() => ctx.inventory.release({ reservationId: data.theirReservation }, { idempotencyKey: 'free-theirs' })),
        withMerchantOption: await attempt(() => ctx.inventory.get({ storeId: data.theirs, skus: [data.sku], merchantId: 'redteam-inv-b' } as never)),
        getOwn: await attempt(() => ctx.inventory.get({ storeId: data.own, skus: [data.sku] })),
        reserveOwn: await attempt(() => ctx.inventory.reserve({ reservationId: 'mine', storeId: data.own, lines: line }, { idempotencyKey: 'mine' })),
        reserveOwnAgain: await attempt(() => ctx.inventory.reserve({ reservationId: 'mine', storeId: data.own, lines: line }, { idempotencyKey: 'mine' })),
        reserveOwnChanged: await attempt(() => ctx.inventory.reserve({ reservationId: 'mine', storeId: data.own, lines: [{ sku: data.sku, quantity: 2 }] }, { idempotencyKey: 'mine' })),
        tooMuch: await attempt(() => ctx.inventory.reserve({ reservationId: 'greedy', storeId: data.own, lines: [{ sku: data.sku, quantity: 1000 }] })),
        badQuantity: await attempt(() => ctx.inventory.reserve({ reservationId: 'bad', storeId: data.own, lines: [{ sku: data.sku, quantity: -1 }] })),
      };
      await ctx.kv.set('inventory-report', report as unknown as JsonValue, { idempotencyKey: `${event.id}:report` });
    },
  },
});
