import { TkError } from '@tongkit/sdk';
import type { Database } from '../../platform/storage/database.js';
import type { HostPlatform } from '../../platform/modules/host-module.js';
import { canonicalJson, requestHashOf } from '../../platform/modules/idempotency.js';
import { ProductCodeStore } from './product-code-store.js';
import type { RegisterCodesRequest, ScanRequest, ScanResult } from './schemas.js';

/**
 * One-item-one-code (一物一码): a merchant registers product codes in batches; a **verify** scan tells a
 * shopper whether a code is genuine and what it is, and changes nothing about the code; the **claim** at
 * the sale happens once — a second claim is refused (`already_claimed`) and logged as a possible
 * counterfeit with both scans' stores and times. Every scan is idempotent by its scan id and emits
 * `code.scanned` in its transaction. Another merchant's code answers exactly like an unknown one.
 */
export class ProductCodes {
  constructor(
    private readonly db: Database,
    private readonly publishIn: HostPlatform['publishIn'],
  ) {}

  /** Registers a batch; a resent batch changes nothing; a code already registered with another SKU or batch is TK_CONFLICT at its path. */
  async register(merchantId: string, request: RegisterCodesRequest): Promise<{ batch: string; registered: number; duplicates: number }> {
    const seen = new Map<string, number>();
    request.codes.forEach((c, i) => {
      if (seen.has(c.code)) throw new TkError('TK_VALIDATION', `code ${c.code} appears twice in the batch`, { path: `/codes/${i}/code` });
      seen.set(c.code, i);
    });
    return this.db.transaction(async (tx) => {
      const { inserted, clashes } = await new ProductCodeStore(tx).register(merchantId, request.batch, request.codes);
      const clash = clashes[0];
      if (clash) {
        throw new TkError('TK_CONFLICT', `code ${clash.code} is already registered for SKU ${clash.sku} in batch ${clash.batch}`, {
          path: `/codes/${seen.get(clash.code)}/code`,
          hint: 'A code names one item: register each code once.',
        });
      }
      return { batch: request.batch, registered: inserted, duplicates: request.codes.length - inserted };
    });
  }

  /** A verify or claim scan at one of the merchant's stores. */
  async scan(merchantId: string, scan: ScanRequest): Promise<ScanResult> {
    return this.db.transaction(async (tx) => {
      const store = new ProductCodeStore(tx);
      if (!(await store.storeExists(merchantId, scan.storeId))) throw new TkError('TK_NOT_FOUND', `no store ${scan.storeId}`, { path: '/storeId' });
      const requestHash = requestHashOf(canonicalJson(scan));
      if (!(await store.claimScan(merchantId, scan, requestHash))) {
        const first = await store.scanOf(merchantId, scan.scanId);
        if (first?.requestHash !== requestHash) throw new TkError('TK_CONFLICT', `scan id ${scan.scanId} was already used for another scan`, { path: '/scanId' });
        return { ...(first.result as ScanResult), status: 'duplicate' };
      }
      const base = { scanId: scan.scanId, kind: scan.kind, counterfeitSuspected: false };
      let result: ScanResult;
      let outcome: string;
      if (scan.kind === 'verify') {
        const code = await store.get(merchantId, scan.code);
        result = { ...base, status: 'applied', genuine: code !== undefined, sku: code?.sku ?? null, batch: code?.batch ?? null, claim: code?.claim ?? null };
        outcome = code ? 'genuine' : 'unknown_code';
      } else {
        const claimed = await store.claim(merchantId, scan.code, scan.storeId, scan.scanId);
        if (claimed) {
          result = { ...base, status: 'applied', genuine: true, sku: claimed.sku, batch: claimed.batch, claim: claimed.claim };
          outcome = 'claimed';
        } else {
          const code = await store.get(merchantId, scan.code);
          result = code
            ? { ...base, status: 'rejected', reason: 'already_claimed', genuine: true, sku: code.sku, batch: code.batch, claim: code.claim, counterfeitSuspected: true }
            : { ...base, status: 'rejected', reason: 'unknown_code', genuine: false, sku: null, batch: null, claim: null };
          outcome = code ? 'counterfeit_suspected' : 'unknown_code';
        }
      }
      await store.storeScanResult(merchantId, scan.scanId, outcome, result);
      await this.publishIn(tx, merchantId, {
        type: 'code.scanned',
        data: { scanId: scan.scanId, kind: scan.kind, code: scan.code, storeId: scan.storeId, outcome, sku: result.sku, ...(result.claim ? { firstClaim: result.claim } : {}) },
      });
      return result;
    });
  }
}
