import { definePlugin, type JsonValue } from '@tongkit/sdk';

// Red-team probe of ctx.vouchers and ctx.appointments (test/redteam-vouchers-appointments.test.ts): the
// order.paid handler tries what `event.data` names against another merchant's voucher, template, order
// and store, malformed arguments and replayed keys, and stores what it saw in its own KV.

async function attempt(call: () => Promise<unknown>): Promise<{ value?: unknown; code?: string; path?: string }> {
  try {
    return { value: await call() };
  } catch (error) {
    const { code, path } = (error ?? {}) as { code?: unknown; path?: unknown };
    return { code: typeof code === 'string' ? code : `no code (${String(error)})`, ...(typeof path === 'string' ? { path } : {}) };
  }
}

interface Names {
  ownSerial: string;
  theirSerial: string;
  ownStore: string;
  theirStore: string;
  ownOrder: string;
  theirOrder: string;
  ownTemplate: string;
  theirTemplate: string;
  day: string;
}

export default definePlugin({
  name: 'redteam-voucher-probe',
  version: '1.0.0',
  apiVersion: '2026-11',
  permissions: ['vouchers:read', 'vouchers:write', 'service:write', 'storage:kv'],
  events: {
    'order.paid': async (event, ctx) => {
      // The reader's event (below) is not for this probe: its attacks ran once, on the first event.
      if ((event.data as Record<string, unknown>)['forReader'] === true) return;
      const d = event.data as unknown as Names;
      const report = {
        getTheirs: await attempt(() => ctx.vouchers.get(d.theirSerial)),
        redeemTheirs: await attempt(() => ctx.vouchers.redeem(d.theirSerial, d.theirStore, { idempotencyKey: 'steal' })),
        issueTheirTemplate: await attempt(() => ctx.vouchers.issue(d.theirTemplate, { memberId: null }, { idempotencyKey: 'their-template' })),
        bookTheirOrder: await attempt(() => ctx.appointments.book(d.theirOrder, 1, d.theirStore, d.day, { idempotencyKey: 'their-order' })),
        bookAtTheirStore: await attempt(() => ctx.appointments.book(d.ownOrder, 1, d.theirStore, d.day, { idempotencyKey: 'their-store' })),
        badSerial: await attempt(() => ctx.vouchers.redeem('not-a-serial', d.ownStore)),
        badStage: await attempt(() => ctx.appointments.book(d.ownOrder, 0, d.ownStore, d.day)),
        badDay: await attempt(() => ctx.appointments.book(d.ownOrder, 1, d.ownStore, 'tomorrow')),
        getOwn: await attempt(() => ctx.vouchers.get(d.ownSerial)),
        redeemOwn: await attempt(() => ctx.vouchers.redeem(d.ownSerial, d.ownStore, { idempotencyKey: 'redeem-own' })),
        redeemOwnAgain: await attempt(() => ctx.vouchers.redeem(d.ownSerial, d.ownStore, { idempotencyKey: 'redeem-own' })),
        redeemOwnOtherStore: await attempt(() => ctx.vouchers.redeem(d.ownSerial, d.theirStore, { idempotencyKey: 'redeem-own' })),
        issueOwn: await attempt(() => ctx.vouchers.issue(d.ownTemplate, { memberId: null }, { idempotencyKey: 'gift' })),
        issueOwnAgain: await attempt(() => ctx.vouchers.issue(d.ownTemplate, { memberId: null }, { idempotencyKey: 'gift' })),
        issueOwnChanged: await attempt(() => ctx.vouchers.issue(d.ownTemplate, { memberId: null, orderId: d.ownOrder, stageNo: 1 }, { idempotencyKey: 'gift' })),
        bookOwn: await attempt(() => ctx.appointments.book(d.ownOrder, 1, d.ownStore, d.day, { idempotencyKey: 'book-own' })),
        bookOwnAgain: await attempt(() => ctx.appointments.book(d.ownOrder, 1, d.ownStore, d.day, { idempotencyKey: 'book-own' })),
      };
      await ctx.kv.set('voucher-report', report as unknown as JsonValue, { idempotencyKey: `${event.id}:report` });
    },
  },
});
