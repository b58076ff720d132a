import { TkError } from '@tongkit/sdk';
import type { Queryable } from '../storage/database.js';

/**
 * The one check of a store ID a caller names (in a route, a query, a body or a host API): the store
 * must belong to the merchant the call is scoped to. Another merchant's store and a store that does
 * not exist answer the same TK_NOT_FOUND, with the same message, so the answer says nothing about
 * other merchants' stores. `path` is where the caller gave the ID (`/storeId`, `/querystring/storeId`).
 *
 * @example
 * if (storeId !== undefined) await requireStoreOfMerchant(db, merchantId, storeId, '/querystring/storeId');
 */
export async function requireStoreOfMerchant(db: Queryable, merchantId: string, storeId: string, path: string): Promise<void> {
  const store = await db.query('SELECT 1 FROM stores WHERE merchant_id = $1 AND id = $2', [merchantId, storeId]);
  if (store.rowCount === 0) throw storeNotFound(merchantId, storeId, path);
}

/** The refusal of {@link requireStoreOfMerchant}, for a caller that checked the store in a query of its own. */
export function storeNotFound(merchantId: string, storeId: string | undefined, path: string): TkError {
  return new TkError('TK_NOT_FOUND', `merchant ${merchantId} has no store ${storeId}`, { path, hint: 'Use the id of one of the merchant’s own stores.' });
}
