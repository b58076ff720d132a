import { definePlugin, Type } from '@tongkit/sdk';

/**
 * Tallies paid orders per store (and online) from `order.paid` events: order count and spend in fen
 * (`spendFen`: the cash and card tenders, what counts as spend — not points, vouchers or stored value),
 * kept in the install's KV storage. Every write carries the event id as its idempotency key, so a
 * redelivered event never counts twice.
 */
export default definePlugin({
  name: 'order-tally',
  version: '1.0.0',
  apiVersion: '2026-11',
  description: 'Counts paid orders and spend per store',
  permissions: ['storage:kv'],
  settings: Type.Object({
    minimumFen: Type.Integer({ minimum: 0, default: 0, title: 'Ignore orders below (fen)' }),
  }),
  events: {
    'order.paid': async (event, ctx) => {
      // Typed from the event catalogue; still checked, since a merchant may publish order.paid itself.
      const amountFen: unknown = event.data.spendFen;
      const storeId = typeof event.data.storeId === 'string' ? event.data.storeId : 'online';
      if (typeof amountFen !== 'number' || !Number.isSafeInteger(amountFen) || amountFen < 0) {
        ctx.log.warn('order.paid without a valid spendFen; skipped', { eventId: event.id });
        return;
      }
      if (amountFen < ctx.settings.minimumFen) return;
      await ctx.kv.increment(`orders:${storeId}`, 1, { idempotencyKey: `${event.id}:orders` });
      await ctx.kv.increment(`spendFen:${storeId}`, amountFen, { idempotencyKey: `${event.id}:spend` });
    },
  },
});
