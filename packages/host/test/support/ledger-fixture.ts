// A points ledger on a test database of its own, with a clock the test moves, and the checks every
// ledger test ends with: balance = Σ entries = Σ live lots − debt, for every account of the database.
import { expect } from 'vitest';
import { Dispatcher } from '../../src/platform/dispatch/dispatcher.js';
import { PointsLedger, type LedgerSource } from '../../src/domains/points/index.js';
import { openDatabase, type Database } from '../../src/platform/storage/database.js';
import { createTestDatabase, type TestDatabase } from '../../src/testing.js';

export interface LedgerFixture {
  test: TestDatabase;
  /** A pool of `connections` connections, for concurrency tests. */
  db: Database;
  ledger: PointsLedger;
  /** The ledger's clock: set it to move time. */
  clock: { now: Date };
  merchantId: string;
  close(): Promise<void>;
}

export const OPERATOR: LedgerSource = { kind: 'operator', id: 'op-1' };
export const INSTALL: LedgerSource = { kind: 'install', id: 'inst-1' };

/** A ledger on a fresh database with merchant `acme` (and `other`, for tenant checks). */
export async function createLedgerFixture(connections = 10): Promise<LedgerFixture> {
  const test = await createTestDatabase();
  await test.db.query(`INSERT INTO merchant_tiers (id, name) VALUES ('standard', 'Standard')`);
  await test.db.query(`INSERT INTO merchants (id, name, tier_id) VALUES ('acme', 'Acme', 'standard'), ('other', 'Other', 'standard')`);
  const db = openDatabase(test.url, { maxConnections: connections });
  const clock = { now: new Date('2026-12-01T00:00:00Z') };
  const dispatcher = new Dispatcher(db, async () => {
    throw new Error('no plugins run in ledger tests');
  });
  const ledger = new PointsLedger(db, dispatcher, { clock: () => clock.now });
  return {
    test,
    db,
    ledger,
    clock,
    merchantId: 'acme',
    async close() {
      await db.close();
      await test.drop();
    },
  };
}

/** Every account's balance equals Σ its entries and Σ its live lots − its debt; held = Σ open holds; debt only with empty lots. */
export async function expectLedgerConsistent(db: Database): Promise<void> {
  const { rows } = await db.query<{ merchant_id: string; member_id: string; account: string; balance: number; held: number; debt: number; entries: number; lots: number; holds: number }>(
    `SELECT a.merchant_id, a.member_id, a.account, a.balance, a.held, a.debt,
            COALESCE((SELECT sum(delta) FROM points_entries e WHERE e.merchant_id = a.merchant_id AND e.member_id = a.member_id AND e.account = a.account), 0)::bigint AS entries,
            COALESCE((SELECT sum(remaining) FROM points_lots l WHERE l.merchant_id = a.merchant_id AND l.member_id = a.member_id AND l.account = a.account), 0)::bigint AS lots,
            COALESCE((SELECT sum(amount) FROM points_holds h WHERE h.merchant_id = a.merchant_id AND h.member_id = a.member_id AND h.account = a.account AND h.status = 'held'), 0)::bigint AS holds
     FROM points_accounts a ORDER BY 1, 2, 3`,
  );
  for (const row of rows) {
    const where = `${row.merchant_id}/${row.member_id}/${row.account}`;
    expect(row.entries, `${where}: Σ entries`).toBe(row.balance);
    expect(row.lots - row.debt, `${where}: Σ live lots − debt`).toBe(row.balance);
    expect(row.holds, `${where}: Σ open holds`).toBe(row.held);
    if (row.debt > 0) expect(row.lots, `${where}: lots while in debt`).toBe(0);
  }
  // Each hold's lot allocations add up to its amount, and every entry's running balance chains.
  const { rows: holds } = await db.query<{ id: string; amount: number; allocated: number }>(
    `SELECT h.id, h.amount, COALESCE((SELECT sum(amount) FROM points_hold_lots a WHERE a.merchant_id = h.merchant_id AND a.hold_id = h.id), 0)::bigint AS allocated FROM points_holds h`,
  );
  for (const hold of holds) expect(hold.allocated, `hold ${hold.id} allocations`).toBe(hold.amount);
  const { rows: breaks } = await db.query(
    `SELECT * FROM (SELECT balance_before, lag(balance_after) OVER (PARTITION BY merchant_id, member_id, account ORDER BY seq) AS previous FROM points_entries) e
     WHERE balance_before <> COALESCE(previous, 0)`,
  );
  expect(breaks, 'entries whose balance_before is not the previous balance_after').toEqual([]);
}
