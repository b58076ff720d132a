// Inventory bills as a spec: idempotent bill numbers, a till's sale that always applies and leaves the
// newest reservations short, reservations that never exceed what is available, every change a movement
// and an inventory.changed event — and, with fast-check on real PostgreSQL over concurrent connections,
// that any interleaving keeps those rules.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/index.js';
import { Inventory } from '../src/domains/inventory/inventory.js';
import type { BillResult, InventoryBill } from '../src/domains/inventory/schemas.js';
import { createMerchant, expectError, ok, startTestHost, type TestHost } from './helpers.js';

const t: TestHost = await startTestHost({ runtime: { isolation: 'in-process' } });
// A pool of its own: the property test's bills run on up to 6 connections at once.
const db: Database = openDatabase(t.database.url, { maxConnections: 6 });
const inventory = new Inventory(db, (tx, merchantId, event) => t.host.services.dispatcher.publishIn(tx, merchantId, event));
afterAll(async () => {
  await db.close();
  await t.close();
});

let a = '';
let b = '';
beforeAll(async () => {
  a = await createMerchant(t, 'inv-a', { stores: ['inv-a-1', 'inv-a-2'] });
  b = await createMerchant(t, 'inv-b', { stores: ['inv-b-1'] });
});

const bill = (token: string, body: unknown) => t.api<BillResult>(token, 'POST', '/v1/inventory/bills', body);

describe('inventory bills over HTTP', () => {
  it('receives goods and answers the same bill again as a duplicate of the first outcome', async () => {
    const body = { billNo: 'in-1', kind: 'inbound', storeId: 'inv-a-1', lines: [{ sku: 'TEA-01', quantity: 5 }] };
    const first = await ok(bill(a, body), 201);
    expect(first).toMatchObject({ status: 'applied', stock: [{ sku: 'TEA-01', onHand: 5, reserved: 0, available: 5, needsCount: false }] });
    const again = await ok(bill(a, body), 200);
    expect(again).toMatchObject({ status: 'duplicate', firstStatus: 'applied', stock: first.stock });
    const stock = await ok(t.api(a, 'GET', '/v1/stores/inv-a-1/stock?sku=TEA-01'));
    expect(stock.items).toEqual([{ storeId: 'inv-a-1', sku: 'TEA-01', onHand: 5, reserved: 0, available: 5, needsCount: false }]);
  });

  it('refuses the same bill number with another body with TK_CONFLICT at /billNo', async () => {
    const res = await bill(a, { billNo: 'in-1', kind: 'inbound', storeId: 'inv-a-1', lines: [{ sku: 'TEA-01', quantity: 6 }] });
    expectError(res, 409, 'TK_CONFLICT', '/billNo');
  });

  it('holds goods for a reservation only when all lines are available', async () => {
    const refused = await ok(bill(a, { billNo: 'r-1', kind: 'reservation', storeId: 'inv-a-1', reservationId: 'alloc-1', lines: [{ sku: 'TEA-01', quantity: 6 }] }), 200);
    expect(refused).toMatchObject({ status: 'rejected', reason: 'insufficient_stock', insufficient: [{ sku: 'TEA-01', requested: 6, available: 5 }] });
    const held = await ok(bill(a, { billNo: 'r-2', kind: 'reservation', storeId: 'inv-a-1', reservationId: 'alloc-1', lines: [{ sku: 'TEA-01', quantity: 2 }] }), 201);
    expect(held.stock).toEqual([{ storeId: 'inv-a-1', sku: 'TEA-01', onHand: 5, reserved: 2, available: 3, needsCount: false }]);
    const taken = await ok(bill(a, { billNo: 'r-3', kind: 'reservation', storeId: 'inv-a-1', reservationId: 'alloc-1', lines: [{ sku: 'TEA-01', quantity: 1 }] }), 200);
    expect(taken).toMatchObject({ status: 'rejected', reason: 'reservation_exists' });
  });

  it('applies a till sale even below the reservations: the newest is marked short and on hand below zero flagged', async () => {
    await ok(bill(a, { billNo: 'r-4', kind: 'reservation', storeId: 'inv-a-1', reservationId: 'alloc-2', lines: [{ sku: 'TEA-01', quantity: 3 }] }), 201);
    const sale = await ok(bill(a, { billNo: 'till-1', kind: 'outbound', storeId: 'inv-a-1', lines: [{ sku: 'TEA-01', quantity: 3 }] }), 201);
    // 5 on hand, 2 + 3 reserved; a sale of 3 leaves 2: alloc-1 (older) keeps its 2, alloc-2 is short.
    expect(sale).toMatchObject({ status: 'applied', shortReservations: [{ reservationId: 'alloc-2', sku: 'TEA-01', quantity: 3 }] });
    expect(sale.stock).toEqual([{ storeId: 'inv-a-1', sku: 'TEA-01', onHand: 2, reserved: 2, available: 0, needsCount: false }]);
    const oversold = await ok(bill(a, { billNo: 'till-2', kind: 'outbound', storeId: 'inv-a-1', lines: [{ sku: 'TEA-01', quantity: 3 }] }), 201);
    expect(oversold.shortReservations).toEqual([{ reservationId: 'alloc-1', sku: 'TEA-01', quantity: 2 }]);
    expect(oversold.stock).toEqual([{ storeId: 'inv-a-1', sku: 'TEA-01', onHand: -1, reserved: 0, available: 0, needsCount: true }]);
  });

  it('refuses to ship a short reservation, releases it, and a count clears the flag', async () => {
    expect(await ok(bill(a, { billNo: 'f-1', kind: 'fulfilment', reservationId: 'alloc-2' }), 200)).toMatchObject({ status: 'rejected', reason: 'reservation_short' });
    expect(await ok(bill(a, { billNo: 'rel-1', kind: 'release', reservationId: 'alloc-2' }), 201)).toMatchObject({ status: 'applied' });
    expect(await ok(bill(a, { billNo: 'rel-2', kind: 'release', reservationId: 'alloc-2' }), 200)).toMatchObject({ status: 'rejected', reason: 'reservation_not_open' });
    const negative = await ok(bill(a, { billNo: 'adj-0', kind: 'adjustment', storeId: 'inv-a-1', reason: 'count', lines: [{ sku: 'TEA-01', delta: -1 }] }), 200);
    expect(negative).toMatchObject({ status: 'rejected', reason: 'on_hand_negative' });
    const counted = await ok(bill(a, { billNo: 'adj-1', kind: 'adjustment', storeId: 'inv-a-1', reason: 'stock count 2026-12-03', lines: [{ sku: 'TEA-01', delta: 4 }] }), 201);
    expect(counted.stock).toEqual([{ storeId: 'inv-a-1', sku: 'TEA-01', onHand: 3, reserved: 0, available: 3, needsCount: false }]);
  });

  it('ships a held reservation: reserved and on hand go down together', async () => {
    await ok(bill(a, { billNo: 'r-5', kind: 'reservation', storeId: 'inv-a-1', reservationId: 'alloc-3', lines: [{ sku: 'TEA-01', quantity: 2 }] }), 201);
    const shipped = await ok(bill(a, { billNo: 'f-2', kind: 'fulfilment', reservationId: 'alloc-3' }), 201);
    expect(shipped.stock).toEqual([{ storeId: 'inv-a-1', sku: 'TEA-01', onHand: 1, reserved: 0, available: 1, needsCount: false }]);
    expect(await ok(bill(a, { billNo: 'rel-3', kind: 'release', reservationId: 'alloc-3' }), 200)).toMatchObject({ status: 'rejected', reason: 'reservation_not_open' });
  });

  it('writes one inventory.changed event per applied bill, in the outbox', async () => {
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE merchant_id = 'inv-a' AND type = 'inventory.changed'`);
    const applied = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM inventory_bills WHERE merchant_id = 'inv-a' AND result->>'status' = 'applied'`);
    expect(rows[0]!.n).toBe(applied.rows[0]!.n);
    expect(rows[0]!.n).toBeGreaterThan(5);
  });

  it('refuses a bill naming one SKU twice, or an adjustment by 0, at the line’s path', async () => {
    const twice = await bill(a, { billNo: 'x-1', kind: 'inbound', storeId: 'inv-a-1', lines: [{ sku: 'A', quantity: 1 }, { sku: 'A', quantity: 1 }] });
    expectError(twice, 400, 'TK_VALIDATION', '/lines/1/sku');
    const zero = await bill(a, { billNo: 'x-2', kind: 'adjustment', storeId: 'inv-a-1', reason: 'r', lines: [{ sku: 'A', delta: 0 }] });
    expectError(zero, 400, 'TK_VALIDATION', '/lines/0/delta');
    expectError(await bill(a, { billNo: 'x-3', kind: 'inbound', storeId: 'inv-a-1', lines: [{ sku: 'A', quantity: 0 }] }), 400, 'TK_VALIDATION');
  });
});

describe('tenancy', () => {
  it('answers another merchant’s store like a missing one, and never shows its reservations or bill numbers', async () => {
    const theirs = await bill(b, { billNo: 'in-1', kind: 'inbound', storeId: 'inv-a-1', lines: [{ sku: 'TEA-01', quantity: 1 }] });
    expectError(theirs, 404, 'TK_NOT_FOUND', '/storeId');
    expectError(await t.api(b, 'GET', '/v1/stores/inv-a-1/stock'), 404, 'TK_NOT_FOUND');
    // Merchant B's own bill numbers and reservation ids are B's: A's `in-1` and `alloc-1` neither block nor show.
    expect(await ok(bill(b, { billNo: 'in-1', kind: 'inbound', storeId: 'inv-b-1', lines: [{ sku: 'TEA-01', quantity: 1 }] }), 201)).toMatchObject({ status: 'applied' });
    expect(await ok(bill(b, { billNo: 'rel-9', kind: 'release', reservationId: 'alloc-1' }), 200)).toMatchObject({ status: 'rejected', reason: 'reservation_not_found' });
    expect((await ok(t.api(a, 'GET', '/v1/stores/inv-a-1/stock?sku=TEA-01'))).items[0].onHand).toBe(1);
  });
});

describe('concurrency', () => {
  it('gives the last unit to exactly one of two orders racing for it', async () => {
    await inventory.applyBill('inv-a', { billNo: 'last-in', kind: 'inbound', storeId: 'inv-a-2', lines: [{ sku: 'LAST', quantity: 1 }] });
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all(
        ['x', 'y'].map((order) =>
          inventory.applyBill('inv-a', { billNo: `last-${round}-${order}`, kind: 'reservation', storeId: 'inv-a-2', reservationId: `last-${round}-${order}`, lines: [{ sku: 'LAST', quantity: 1 }] }),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual(['applied', 'rejected']);
      expect(results.find((r) => r.status === 'rejected')?.reason).toBe('insufficient_stock');
      const winner = results.find((r) => r.status === 'applied')!;
      await inventory.applyBill('inv-a', { billNo: `last-${round}-release`, kind: 'release', reservationId: winner.billNo });
    }
  });

  it('applies a bill number once when it is sent twice at the same time', async () => {
    const body: InventoryBill = { billNo: 'twice-in', kind: 'inbound', storeId: 'inv-a-2', lines: [{ sku: 'TWICE', quantity: 3 }] };
    const results = await Promise.all([inventory.applyBill('inv-a', body), inventory.applyBill('inv-a', body), inventory.applyBill('inv-a', body)]);
    expect(results.map((r) => r.status).sort()).toEqual(['applied', 'duplicate', 'duplicate']);
    expect((await inventory.stock('inv-a', 'inv-a-2', ['TWICE']))[0]!.onHand).toBe(3);
  });
});

// ---- the property: any interleaving of bills keeps the rules ----

const SKUS = ['A', 'B'];
type Command =
  | { op: 'inbound' | 'outbound'; sku: string; quantity: number }
  | { op: 'adjustment'; sku: string; delta: number }
  | { op: 'reservation'; rid: number; lines: Array<{ sku: string; quantity: number }> }
  | { op: 'release' | 'fulfilment'; rid: number }
  | { op: 'redeliver'; index: number };

const sku = fc.constantFrom(...SKUS);
const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ op: fc.constant('inbound' as const), sku, quantity: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ op: fc.constant('outbound' as const), sku, quantity: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ op: fc.constant('adjustment' as const), sku, delta: fc.integer({ min: -3, max: 3 }).filter((d) => d !== 0) }),
  fc.record({
    op: fc.constant('reservation' as const),
    rid: fc.integer({ min: 0, max: 5 }),
    lines: fc.uniqueArray(fc.record({ sku, quantity: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 2, selector: (l) => l.sku }),
  }),
  fc.record({ op: fc.constantFrom('release' as const, 'fulfilment' as const), rid: fc.integer({ min: 0, max: 5 }) }),
  fc.record({ op: fc.constant('redeliver' as const), index: fc.nat() }),
);

let run = 0;

function billOf(storeId: string, prefix: string, index: number, c: Exclude<Command, { op: 'redeliver' }>): InventoryBill {
  const billNo = `${prefix}-${index}`;
  const rid = 'rid' in c ? `${prefix}-rid-${c.rid}` : '';
  switch (c.op) {
    case 'inbound':
    case 'outbound':
      return { billNo, kind: c.op, storeId, lines: [{ sku: c.sku, quantity: c.quantity }] };
    case 'adjustment':
      return { billNo, kind: 'adjustment', storeId, reason: 'property', lines: [{ sku: c.sku, delta: c.delta }] };
    case 'reservation':
      return { billNo, kind: 'reservation', storeId, reservationId: rid, lines: c.lines };
    case 'release':
    case 'fulfilment':
      return { billNo, kind: c.op, reservationId: rid };
  }
}

describe('any interleaving of bills (fast-check, concurrent connections)', () => {
  it('keeps on hand = Σ movements, never reserves more than available, marks every uncovered reservation short, applies each bill number once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 4, maxLength: 24 }), fc.integer({ min: 2, max: 6 }), async (commands, width) => {
        const storeId = `prop-${run++}`;
        await t.host.services.tenancy.upsertStore({ id: storeId, merchantId: 'inv-a', name: storeId, channel: 'store' });
        // Every bill first, then sent `width` at a time: within a group, any interleaving PostgreSQL picks.
        const bills: InventoryBill[] = [];
        commands.forEach((c, i) => {
          const original = c.op === 'redeliver' ? bills[c.index % Math.max(1, bills.length)] : undefined;
          bills.push(c.op === 'redeliver' ? (original ?? billOf(storeId, storeId, i, { op: 'inbound', sku: 'A', quantity: 1 })) : billOf(storeId, storeId, i, c));
        });
        const results: BillResult[] = [];
        for (let i = 0; i < bills.length; i += width) results.push(...(await Promise.all(bills.slice(i, i + width).map((x) => inventory.applyBill('inv-a', x)))));

        // Each bill number applied (or rejected) once: one first outcome, every other send a duplicate of it.
        const byNumber = new Map<string, BillResult[]>();
        results.forEach((r) => byNumber.set(r.billNo, [...(byNumber.get(r.billNo) ?? []), r]));
        for (const [, sends] of byNumber) {
          const firsts = sends.filter((r) => r.status !== 'duplicate');
          expect(firsts).toHaveLength(1);
          for (const d of sends.filter((r) => r.status === 'duplicate')) expect(d.firstStatus).toBe(firsts[0]!.status);
        }
        const q = async <R extends object>(sql: string) => (await db.query<R>(sql, ['inv-a', storeId])).rows;
        // on hand and reserved are the sums of their movements; reserved is what held reservations hold.
        const drift = await q(`SELECT s.sku FROM inventory_stock s
          LEFT JOIN (SELECT sku, sum(on_hand_delta) AS oh, sum(reserved_delta) AS rs FROM inventory_movements WHERE merchant_id = $1 AND store_id = $2 GROUP BY sku) m USING (sku)
          LEFT JOIN (SELECT sku, sum(quantity) AS held FROM inventory_reservations WHERE merchant_id = $1 AND store_id = $2 AND status = 'held' GROUP BY sku) r USING (sku)
          WHERE s.merchant_id = $1 AND s.store_id = $2
            AND (s.on_hand <> coalesce(m.oh, 0) OR s.reserved <> coalesce(m.rs, 0) OR s.reserved <> coalesce(r.held, 0)
                 OR s.reserved > greatest(s.on_hand, 0) OR (s.on_hand < 0 AND NOT s.needs_count))`);
        expect(drift).toEqual([]);
        // Never more reserved than was there when the reservation was made.
        expect(await q(`SELECT id FROM inventory_movements WHERE merchant_id = $1 AND store_id = $2 AND kind = 'reservation' AND reserved_after > on_hand_after`)).toEqual([]);
        // After every bill, nothing it touched is left uncovered (the sale's short markings come with it).
        expect(
          await q(`SELECT bill_no, sku FROM (SELECT DISTINCT ON (bill_no, sku) bill_no, sku, on_hand_after, reserved_after FROM inventory_movements
                   WHERE merchant_id = $1 AND store_id = $2 ORDER BY bill_no, sku, id DESC) last WHERE reserved_after > greatest(on_hand_after, 0)`),
        ).toEqual([]);
        // An applied bill moved stock once per line (shorts aside); a rejected one not at all; one event each.
        const moved = await q<{ bill_no: string; n: number }>(`SELECT bill_no, count(*)::int AS n FROM inventory_movements WHERE merchant_id = $1 AND store_id = $2 AND kind <> 'short' GROUP BY bill_no`);
        const movedOf = new Map(moved.map((m) => [m.bill_no, m.n]));
        const events = await q<{ bill_no: string; n: number }>(`SELECT data->>'billNo' AS bill_no, count(*)::int AS n FROM events WHERE merchant_id = $1 AND type = 'inventory.changed' AND data->>'storeId' = $2 GROUP BY 1`);
        const eventsOf = new Map(events.map((e) => [e.bill_no, e.n]));
        for (const [billNo, sends] of byNumber) {
          const first = sends.find((r) => r.status !== 'duplicate')!;
          if (first.status === 'rejected') {
            expect(movedOf.get(billNo)).toBeUndefined();
            expect(eventsOf.get(billNo)).toBeUndefined();
          } else {
            expect(eventsOf.get(billNo)).toBe(1);
            const original = bills.find((x) => x.billNo === billNo)!;
            if ('lines' in original) expect(movedOf.get(billNo)).toBe(original.lines.length);
          }
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
