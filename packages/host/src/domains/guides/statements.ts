import { TkError } from '@tongkit/sdk';
import type { Database, Queryable } from '../../platform/storage/database.js';
import { MerchantCalendar } from '../../platform/tenancy/merchant-calendar.js';

/** A guide's statement of one month. */
export interface Statement {
  guideId: string;
  month: string;
  /** Accruals that occurred in the month. */
  accruedFen: number;
  /** Reversals that occurred in the month (a positive amount). */
  reversedFen: number;
  /** Entries of earlier, already settled months that arrived after their settlement (net, signed). */
  carriedFen: number;
  netFen: number;
  entries: number;
  settledAt: string;
}

interface StatementRow {
  guide_id: string;
  month: string;
  accrued_fen: string;
  reversed_fen: string;
  carried_fen: string;
  net_fen: string;
  entries: number;
  settled_at: Date;
}
const toStatement = (r: StatementRow): Statement => ({
  guideId: r.guide_id, month: r.month, accruedFen: Number(r.accrued_fen), reversedFen: Number(r.reversed_fen), carriedFen: Number(r.carried_fen), netFen: Number(r.net_fen), entries: r.entries, settledAt: r.settled_at.toISOString(),
});

/** `YYYY-MM` → the next month. */
export function nextMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

/** The UTC bounds of a local month in the merchant's time zone. */
export function monthBounds(calendar: MerchantCalendar, month: string): { from: Date; to: Date } {
  return { from: calendar.startOfDay(`${month}-01`), to: calendar.startOfDay(`${nextMonth(month)}-01`) };
}

async function calendarOf(tx: Queryable, merchantId: string): Promise<MerchantCalendar> {
  const { rows } = await tx.query<{ time_zone: string }>('SELECT time_zone FROM merchants WHERE id = $1', [merchantId]);
  if (!rows[0]) throw new TkError('TK_NOT_FOUND', `no merchant ${merchantId}`);
  return new MerchantCalendar(rows[0].time_zone);
}

/**
 * Monthly statements per guide in the merchant's time zone. Settling a month takes every entry not yet
 * on a statement that occurred before the month's local end: the month's own accruals and reversals,
 * and — carried — entries of months settled before they arrived (a refund processed after its month was
 * settled is never lost: it lands on the next statement). A month is settled once per merchant;
 * settling it again is a duplicate returning the same statements.
 */
export class Statements {
  constructor(private readonly db: Database) {}

  async settle(merchantId: string, month: string, now: Date = new Date()): Promise<{ result: 'applied' | 'duplicate'; statements: Statement[] }> {
    return this.db.transaction(async (tx) => {
      const calendar = await calendarOf(tx, merchantId);
      const { from, to } = monthBounds(calendar, month);
      if (to > now) throw new TkError('TK_VALIDATION', `month ${month} has not ended in the merchant's time zone (${calendar.timeZone})`, { path: '/month' });
      const later = await tx.query('SELECT 1 FROM guide_settlements WHERE merchant_id = $1 AND month > $2 LIMIT 1', [merchantId, month]);
      const inserted = await tx.query('INSERT INTO guide_settlements (merchant_id, month, settled_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [merchantId, month, now]);
      if (inserted.rowCount === 0) return { result: 'duplicate', statements: await this.ofMonth(tx, merchantId, month) };
      if (later.rowCount) throw new TkError('TK_CONFLICT', `a later month is already settled: settle months in order`, { path: '/month' });
      await tx.query(
        `WITH taken AS (
           UPDATE commission_entries SET statement_month = $2 WHERE merchant_id = $1 AND statement_month IS NULL AND occurred_at < $4
           RETURNING guide_id, amount_fen, occurred_at)
         INSERT INTO guide_statements (merchant_id, guide_id, month, accrued_fen, reversed_fen, carried_fen, net_fen, entries, settled_at)
         SELECT $1, guide_id, $2,
                coalesce(sum(amount_fen) FILTER (WHERE occurred_at >= $3 AND amount_fen > 0), 0),
                coalesce(-sum(amount_fen) FILTER (WHERE occurred_at >= $3 AND amount_fen < 0), 0),
                coalesce(sum(amount_fen) FILTER (WHERE occurred_at < $3), 0),
                sum(amount_fen), count(*), $5
         FROM taken GROUP BY guide_id`,
        [merchantId, month, from, to, now],
      );
      return { result: 'applied', statements: await this.ofMonth(tx, merchantId, month) };
    });
  }

  private async ofMonth(tx: Queryable, merchantId: string, month: string): Promise<Statement[]> {
    const { rows } = await tx.query<StatementRow>('SELECT * FROM guide_statements WHERE merchant_id = $1 AND month = $2 ORDER BY guide_id', [merchantId, month]);
    return rows.map(toStatement);
  }

  /** A guide's statement of a month (TK_NOT_FOUND when the month is not settled or the guide had no entries). */
  async get(merchantId: string, guideId: string, month: string): Promise<Statement> {
    const { rows } = await this.db.query<StatementRow>('SELECT * FROM guide_statements WHERE merchant_id = $1 AND guide_id = $2 AND month = $3', [merchantId, guideId, month]);
    if (!rows[0]) throw new TkError('TK_NOT_FOUND', `no statement of ${month} for guide ${guideId.slice(0, 64)}`);
    return toStatement(rows[0]);
  }

  /** The schedule: settles, for every merchant with unsettled entries, the last local month ended before `firedAt`. */
  async settleDue(firedAt: Date): Promise<number> {
    const { rows } = await this.db.query<{ merchant_id: string; time_zone: string }>(
      `SELECT DISTINCT e.merchant_id, m.time_zone FROM commission_entries e JOIN merchants m ON m.id = e.merchant_id WHERE e.statement_month IS NULL`,
    );
    let settled = 0;
    for (const row of rows) {
      const calendar = new MerchantCalendar(row.time_zone);
      const current = calendar.localMonth(firedAt);
      const [y, m] = current.split('-').map(Number) as [number, number];
      const previous = m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
      const done = await this.db.query('SELECT 1 FROM guide_settlements WHERE merchant_id = $1 AND month >= $2', [row.merchant_id, previous]);
      if (done.rowCount) continue;
      await this.settle(row.merchant_id, previous, firedAt);
      settled++;
    }
    return settled;
  }
}
