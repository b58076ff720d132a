import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TkError } from '@tongkit/sdk';
import type { CreateOrderRequest } from '../../src/domains/orders/schemas.js';
import { splitRefund } from '../../src/domains/orders/tenders.js';
import { eventsOf, startDomainHost, type DomainHost } from './support.js';

let host: DomainHost;
beforeAll(async () => (host = await startDomainHost()));
afterAll(() => host.close());

let seq = 0;
const order = (overrides: Partial<CreateOrderRequest> = {}): CreateOrderRequest => ({
  id: `o-${++seq}`,
  kind: 'goods',
  channel: 'store',
  storeId: 'acme-sh',
  lines: [
    { sku: 'sofa-1', title: 'Sofa', category: 'furniture', quantity: 1, unitPriceFen: 300_000, discountFen: 20_000 },
    { sku: 'lamp-2', title: 'Lamp', category: 'lighting', quantity: 2, unitPriceFen: 10_000 },
  ],
  payments: [
    { method: 'card', amountFen: 250_000 },
    { method: 'points', amountFen: 30_000 },
    { method: 'cash', amountFen: 20_000 },
  ],
  paidAt: '2026-11-30T17:30:00Z',
  ...overrides,
});

const rejection = async (promise: Promise<unknown>): Promise<TkError> => {
  try {
    await promise;
  } catch (error) {
    return error as TkError;
  }
  throw new Error('expected a rejection');
};

describe('orders in', () => {
  it('records a paid order with its totals and spend (cash + card only) and emits order.paid at paidAt', async () => {
    const request = order();
    const { result, order: stored } = await host.services.orders.create('acme', request);
    expect(result).toBe('applied');
    expect(stored).toMatchObject({ id: request.id, status: 'paid', totalFen: 300_000, spendFen: 270_000, refundedFen: 0 });
    // 17:30 UTC is 01:30 the next day in Shanghai, the merchant's default time zone.
    expect(stored.paidOn).toBe('2026-12-01');
    const [paid] = await eventsOf(host, 'acme', 'order.paid').then((events) => events.filter((e) => e.data['orderId'] === request.id));
    expect(paid!.occurred_at?.toISOString()).toBe('2026-11-30T17:30:00.000Z');
    expect(paid!.data).toMatchObject({ totalFen: 300_000, spendFen: 270_000, paidOn: '2026-12-01', memberId: null });
  });

  it('is idempotent by the merchant’s order ID: the same body is a duplicate, another body TK_CONFLICT', async () => {
    const request = order();
    await host.services.orders.create('acme', request);
    const again = await host.services.orders.create('acme', { ...request, lines: [...request.lines] });
    expect(again.result).toBe('duplicate');
    expect(again.order.id).toBe(request.id);
    const changed = await rejection(host.services.orders.create('acme', { ...request, guideId: 'g-1' }));
    expect(changed.code).toBe('TK_CONFLICT');
    expect(changed.path).toBe('/id');
    expect((await eventsOf(host, 'acme', 'order.paid')).filter((e) => e.data['orderId'] === request.id)).toHaveLength(1);
  });

  it('refuses tenders that do not add up to the total, at /payments', async () => {
    const error = await rejection(host.services.orders.create('acme', order({ payments: [{ method: 'cash', amountFen: 1 }] })));
    expect(error.code).toBe('TK_VALIDATION');
    expect(error.path).toBe('/payments');
    expect(error.details).toMatchObject({ totalFen: 300_000, tendersFen: 1 });
  });

  it('refuses a discount above its line, at the line’s path', async () => {
    const error = await rejection(
      host.services.orders.create('acme', order({ lines: [{ sku: 'a', title: 'A', category: 'c', quantity: 1, unitPriceFen: 100, discountFen: 101 }], payments: [] })),
    );
    expect(error).toMatchObject({ code: 'TK_VALIDATION', path: '/lines/0/discountFen' });
  });

  it('checks the store against the merchant’s own stores', async () => {
    expect(await rejection(host.services.orders.create('acme', order({ storeId: 'globex-sh' })))).toMatchObject({ code: 'TK_NOT_FOUND', path: '/storeId' });
    expect(await rejection(host.services.orders.create('acme', order({ storeId: undefined } as never)))).toMatchObject({ code: 'TK_VALIDATION', path: '/storeId' });
  });

  it('emits no order.paid for a service order’s total', async () => {
    const request = order({ kind: 'service' });
    await host.services.orders.create('acme', request);
    expect((await eventsOf(host, 'acme')).filter((e) => e.data['orderId'] === request.id)).toEqual([]);
    const refund = await host.services.orders.refund('acme', request.id, { refundId: 'r1', refundedAt: '2026-12-02T00:00:00Z' });
    expect(refund).toMatchObject({ result: 'rejected', code: 'SERVICE_ORDER_REFUNDS_BY_STAGE' });
  });

  it('answers another merchant’s order exactly like one that does not exist', async () => {
    const request = order();
    await host.services.orders.create('acme', request);
    expect(await rejection(host.services.orders.get('globex', request.id))).toMatchObject({ code: 'TK_NOT_FOUND' });
    expect(await rejection(host.services.orders.refund('globex', request.id, { refundId: 'r1', refundedAt: '2026-12-02T00:00:00Z' }))).toMatchObject({ code: 'TK_NOT_FOUND' });
    // The same ID is free for the other merchant: order IDs are per merchant.
    expect((await host.services.orders.create('globex', { ...request, storeId: 'globex-sh' })).result).toBe('applied');
  });
});

describe('refunds', () => {
  it('splits a refund across the tenders pro rata, the rounding remainder to cash, and emits order.refunded', async () => {
    const request = order();
    await host.services.orders.create('acme', request);
    // 100.01 yuan of 3,000: card 250000/300000, points 30000/300000, cash the rest.
    const refund = await host.services.orders.refund('acme', request.id, { refundId: 'r1', amountFen: 10_001, refundedAt: '2026-12-02T03:00:00Z' });
    expect(refund.result).toBe('applied');
    expect(refund.refund!.tenders).toEqual([
      { tenderNo: 0, method: 'card', amountFen: 8_334 },
      { tenderNo: 1, method: 'points', amountFen: 1_000 },
      { tenderNo: 2, method: 'cash', amountFen: 667 },
    ]);
    expect(refund.refund!.spendFen).toBe(9_001);
    expect(refund.order).toMatchObject({ status: 'partially_refunded', refundedFen: 10_001 });
    const [event] = (await eventsOf(host, 'acme', 'order.refunded')).filter((e) => e.data['orderId'] === request.id);
    expect(event!.occurred_at?.toISOString()).toBe('2026-12-02T03:00:00.000Z');
    expect(event!.data).toMatchObject({ amountFen: 10_001, spendFen: 9_001, refundedTotalFen: 10_001, refundedSpendFen: 9_001, orderSpendFen: 270_000, status: 'partially_refunded' });
  });

  it('is idempotent by refund ID, and never refunds more than was paid', async () => {
    const request = order();
    await host.services.orders.create('acme', request);
    const first = await host.services.orders.refund('acme', request.id, { refundId: 'r1', amountFen: 200_000, refundedAt: '2026-12-02T00:00:00Z' });
    const again = await host.services.orders.refund('acme', request.id, { refundId: 'r1', amountFen: 200_000, refundedAt: '2026-12-02T00:00:00Z' });
    expect(again).toMatchObject({ result: 'duplicate', code: 'ALREADY_REFUNDED', refund: first.refund });
    expect(await rejection(host.services.orders.refund('acme', request.id, { refundId: 'r1', amountFen: 1, refundedAt: '2026-12-02T00:00:00Z' }))).toMatchObject({ code: 'TK_CONFLICT', path: '/refundId' });
    const over = await host.services.orders.refund('acme', request.id, { refundId: 'r2', amountFen: 100_001, refundedAt: '2026-12-02T00:00:00Z' });
    expect(over).toMatchObject({ result: 'rejected', code: 'REFUND_EXCEEDS_PAID', refund: null });
    const rest = await host.services.orders.refund('acme', request.id, { refundId: 'r3', refundedAt: '2026-12-02T00:00:00Z' });
    expect(rest.refund!.amountFen).toBe(100_000);
    expect(rest.order.status).toBe('refunded');
    expect(rest.order.tenders.map((t) => t.refundedFen)).toEqual([250_000, 30_000, 20_000]);
    expect(await host.services.orders.refund('acme', request.id, { refundId: 'r4', refundedAt: '2026-12-02T00:00:00Z' })).toMatchObject({ result: 'rejected', code: 'NOTHING_TO_REFUND' });
  });

  it('refunds lines unit by unit, so a line’s parts add up to its net exactly', async () => {
    const request = order({ lines: [{ sku: 'cup', title: 'Cup', category: 'kitchen', quantity: 3, unitPriceFen: 1_000, discountFen: 1 }], payments: [{ method: 'cash', amountFen: 2_999 }] });
    await host.services.orders.create('acme', request);
    const amounts = [];
    for (const refundId of ['a', 'b', 'c']) {
      const refund = await host.services.orders.refund('acme', request.id, { refundId, lines: [{ lineNo: 0, quantity: 1 }], refundedAt: '2026-12-02T00:00:00Z' });
      amounts.push(refund.refund!.amountFen);
    }
    expect(amounts).toEqual([999, 1_000, 1_000]);
    const error = await rejection(host.services.orders.refund('acme', request.id, { refundId: 'd', lines: [{ lineNo: 0, quantity: 1 }], refundedAt: '2026-12-02T00:00:00Z' }));
    expect(error).toMatchObject({ code: 'TK_VALIDATION', path: '/lines/0/quantity' });
  });
});

const methods = ['cash', 'card', 'points', 'storedValue', 'voucher'] as const;
const tendersArb = fc.array(fc.record({ method: fc.constantFrom(...methods), amountFen: fc.integer({ min: 1, max: 5_000_000 }) }), { minLength: 1, maxLength: 5 });

describe('tender sums and refund splits (property-based)', () => {
  it('splitRefund gives shares that add up to the refund, each within what its tender still holds', () => {
    fc.assert(
      fc.property(tendersArb, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 8 }), (tenders, fractions) => {
        const balances = tenders.map((t) => ({ ...t, refundedFen: 0 }));
        for (const fraction of fractions) {
          const open = balances.reduce((a, t) => a + t.amountFen - t.refundedFen, 0);
          const amount = Math.floor(open * fraction);
          const shares = splitRefund(balances, amount);
          expect(shares.reduce((a, b) => a + b, 0)).toBe(amount);
          shares.forEach((share, i) => {
            expect(share).toBeGreaterThanOrEqual(0);
            balances[i]!.refundedFen += share;
            expect(balances[i]!.refundedFen).toBeLessThanOrEqual(balances[i]!.amountFen);
          });
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('on PostgreSQL, an order is recorded exactly when its tenders add up to its lines, and its spend is its cash and card', async () => {
    const lineArb = fc.record({ quantity: fc.integer({ min: 1, max: 5 }), unitPriceFen: fc.integer({ min: 0, max: 200_000 }), discountPart: fc.double({ min: 0, max: 1, noNaN: true }) });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(lineArb, { minLength: 1, maxLength: 4 }), tendersArb, fc.boolean(), async (lineSpecs, tenders, matching) => {
        const lines = lineSpecs.map((l, i) => ({ sku: `s${i}`, title: 'T', category: 'c', quantity: l.quantity, unitPriceFen: l.unitPriceFen, discountFen: Math.floor(l.quantity * l.unitPriceFen * l.discountPart) }));
        const total = lines.reduce((a, l) => a + l.quantity * l.unitPriceFen - l.discountFen, 0);
        // Either tenders made to add up to the total (the last one takes the difference), or as drawn.
        const payments = matching ? [...tenders.slice(0, -1), { method: tenders.at(-1)!.method, amountFen: total - tenders.slice(0, -1).reduce((a, t) => a + t.amountFen, 0) }] : tenders;
        // A tender is a positive amount (the request schema says so before the service sees it).
        fc.pre(payments.every((t) => t.amountFen > 0));
        const sum = payments.reduce((a, t) => a + t.amountFen, 0);
        const id = `tender-prop-${++run}`;
        const attempt = host.services.orders.create('acme', { id, kind: 'goods', channel: 'online', lines, payments, paidAt: '2026-11-01T00:00:00Z' });
        if (sum === total) {
          await attempt;
          const stored = await host.services.orders.get('acme', id);
          expect(stored.totalFen).toBe(total);
          expect(stored.tenders.reduce((a, t) => a + t.amountFen, 0)).toBe(total);
          expect(stored.spendFen).toBe(payments.filter((t) => t.method === 'cash' || t.method === 'card').reduce((a, t) => a + t.amountFen, 0));
        } else {
          const error = await rejection(attempt);
          expect(error.code).toBe('TK_VALIDATION');
          expect(error.path).toMatch(/^\/payments/);
          await expect(host.services.orders.get('acme', id)).rejects.toMatchObject({ code: 'TK_NOT_FOUND' });
        }
      }),
      { numRuns: 40 },
    );
  });

  it('on PostgreSQL, no sequence of partial refunds refunds more than was paid, per tender or in total', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(tendersArb, fc.array(fc.integer({ min: 1, max: 6_000_000 }), { minLength: 1, maxLength: 6 }), async (tenders, asks) => {
        const total = tenders.reduce((a, t) => a + t.amountFen, 0);
        const id = `prop-${++run}`;
        await host.services.orders.create('acme', {
          id,
          kind: 'goods',
          channel: 'online',
          lines: [{ sku: 's', title: 'T', category: 'c', quantity: 1, unitPriceFen: total }],
          payments: tenders,
          paidAt: '2026-11-01T00:00:00Z',
        });
        let refunded = 0;
        for (const [i, ask] of asks.entries()) {
          const result = await host.services.orders.refund('acme', id, { refundId: `r${i}`, amountFen: ask, refundedAt: '2026-11-02T00:00:00Z' });
          if (refunded + ask <= total) {
            expect(result.result).toBe('applied');
            refunded += ask;
          } else {
            expect(result).toMatchObject({ result: 'rejected', code: 'REFUND_EXCEEDS_PAID' });
          }
        }
        const stored = await host.services.orders.get('acme', id);
        expect(stored.refundedFen).toBe(refunded);
        expect(stored.tenders.reduce((a, t) => a + t.refundedFen, 0)).toBe(refunded);
        for (const tender of stored.tenders) expect(tender.refundedFen).toBeLessThanOrEqual(tender.amountFen);
        expect(stored.refunds.reduce((a, r) => a + r.amountFen, 0)).toBe(refunded);
      }),
      { numRuns: 40 },
    );
  });
});
