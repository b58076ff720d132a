import type { Queryable } from '../../platform/storage/database.js';

interface CodeRow {
  sku: string;
  batch: string;
  claimed_at: Date | null;
  claimed_store_id: string | null;
}

/** A registered code as the service reads it. */
export interface ProductCode {
  sku: string;
  batch: string;
  claim: { storeId: string; at: string } | null;
}

const fromRow = (r: CodeRow): ProductCode => ({
  sku: r.sku,
  batch: r.batch,
  claim: r.claimed_at && r.claimed_store_id ? { storeId: r.claimed_store_id, at: r.claimed_at.toISOString() } : null,
});

/** SQL of `product_codes` and `code_scans`; every statement names the merchant. */
export class ProductCodeStore {
  constructor(readonly tx: Queryable) {}

  async storeExists(merchantId: string, storeId: string): Promise<boolean> {
    return (await this.tx.query('SELECT 1 FROM stores WHERE merchant_id = $1 AND id = $2', [merchantId, storeId])).rowCount === 1;
  }

  /** Inserts the codes not yet registered; returns how many it inserted, and the existing ones that differ (code → sku, batch). */
  async register(merchantId: string, batch: string, codes: Array<{ code: string; sku: string }>): Promise<{ inserted: number; clashes: Array<{ code: string; sku: string; batch: string }> }> {
    const inserted = await this.tx.query(
      `INSERT INTO product_codes (merchant_id, code, sku, batch) SELECT $1, c.code, c.sku, $2 FROM jsonb_to_recordset($3::jsonb) AS c(code text, sku text)
       ORDER BY c.code ON CONFLICT DO NOTHING`,
      [merchantId, batch, JSON.stringify(codes)],
    );
    const { rows } = await this.tx.query<{ code: string; sku: string; batch: string }>(
      `SELECT p.code, p.sku, p.batch FROM product_codes p JOIN jsonb_to_recordset($3::jsonb) AS c(code text, sku text) ON c.code = p.code
       WHERE p.merchant_id = $1 AND (p.sku <> c.sku OR p.batch <> $2)`,
      [merchantId, batch, JSON.stringify(codes)],
    );
    return { inserted: inserted.rowCount, clashes: rows };
  }

  async get(merchantId: string, code: string): Promise<ProductCode | undefined> {
    const { rows } = await this.tx.query<CodeRow>('SELECT sku, batch, claimed_at, claimed_store_id FROM product_codes WHERE merchant_id = $1 AND code = $2', [merchantId, code]);
    return rows[0] && fromRow(rows[0]);
  }

  /** Claims an unclaimed code; undefined when it is unknown or already claimed (a concurrent claim waits on the row, then finds it claimed). */
  async claim(merchantId: string, code: string, storeId: string, scanId: string): Promise<ProductCode | undefined> {
    const { rows } = await this.tx.query<CodeRow>(
      `UPDATE product_codes SET claimed_at = now(), claimed_store_id = $3, claimed_scan_id = $4 WHERE merchant_id = $1 AND code = $2 AND claimed_at IS NULL
       RETURNING sku, batch, claimed_at, claimed_store_id`,
      [merchantId, code, storeId, scanId],
    );
    return rows[0] && fromRow(rows[0]);
  }

  /** Claims the scan id; false when it is taken (then {@link scanOf} reads the first). */
  async claimScan(merchantId: string, scan: { scanId: string; kind: string; code: string; storeId: string }, requestHash: string): Promise<boolean> {
    const claimed = await this.tx.query(
      'INSERT INTO code_scans (merchant_id, scan_id, kind, code, store_id, request_hash) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING',
      [merchantId, scan.scanId, scan.kind, scan.code, scan.storeId, requestHash],
    );
    return claimed.rowCount === 1;
  }

  async scanOf(merchantId: string, scanId: string): Promise<{ requestHash: string; result: unknown } | undefined> {
    const { rows } = await this.tx.query<{ request_hash: string; result: unknown }>('SELECT request_hash, result FROM code_scans WHERE merchant_id = $1 AND scan_id = $2', [merchantId, scanId]);
    return rows[0] && { requestHash: rows[0].request_hash, result: rows[0].result };
  }

  async storeScanResult(merchantId: string, scanId: string, outcome: string, result: unknown): Promise<void> {
    await this.tx.query('UPDATE code_scans SET outcome = $3, result = $4::jsonb WHERE merchant_id = $1 AND scan_id = $2', [merchantId, scanId, outcome, JSON.stringify(result)]);
  }
}
