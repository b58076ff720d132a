import { TkError } from '@tongkit/sdk';
import type { Database } from '../../platform/storage/database.js';
import { StoreFulfilmentStore, type StoredFulfilment } from './store-fulfilment-store.js';

export type { StoredFulfilment };
import { checkStoreFulfilmentSettings, isOpenAt, type StoreFulfilmentSettings } from './store-settings.js';

/** A store's fulfilment settings as the API answers: the settings, the zone they are read in, and whether it is open now. */
export interface StoreFulfilmentView extends StoredFulfilment {
  timeZone: string;
  openNow: boolean;
}

/**
 * Stores as fulfilment points: their settings (checked beyond the schema, with JSON paths) and what the
 * merchant's calendar makes of them. Another merchant's store answers exactly like a missing one.
 */
export class StoreFulfilment {
  private readonly store: StoreFulfilmentStore;

  constructor(db: Database, private readonly clock: () => Date = () => new Date()) {
    this.store = new StoreFulfilmentStore(db);
  }

  private async requireStore(merchantId: string, storeId: string) {
    const store = await this.store.storeOf(merchantId, storeId);
    if (!store) throw new TkError('TK_NOT_FOUND', `no store ${storeId}`, { path: '/params/storeId' });
    return store;
  }

  /** Sets (replaces) a store's fulfilment settings; idempotent: the same settings again change nothing but `updatedAt`. */
  async set(merchantId: string, storeId: string, settings: StoreFulfilmentSettings): Promise<StoreFulfilmentView> {
    checkStoreFulfilmentSettings(settings);
    const store = await this.requireStore(merchantId, storeId);
    const stored = await this.store.put(merchantId, storeId, settings);
    return { ...stored, timeZone: store.timeZone, openNow: isOpenAt(stored.settings, store.timeZone, this.clock()) };
  }

  /** A store's settings; TK_NOT_FOUND when the store is not the merchant's or is no fulfilment point yet. */
  async get(merchantId: string, storeId: string): Promise<StoreFulfilmentView> {
    const store = await this.requireStore(merchantId, storeId);
    const stored = await this.store.get(merchantId, storeId);
    if (!stored) {
      throw new TkError('TK_NOT_FOUND', `store ${storeId} is no fulfilment point yet`, { hint: 'Set its settings: PUT /v1/stores/:storeId/fulfilment (`tongkit fulfilment set`).' });
    }
    return { ...stored, timeZone: store.timeZone, openNow: isOpenAt(stored.settings, store.timeZone, this.clock()) };
  }

  /**
   * The merchant's fulfilment points (stores and warehouses with settings) and its time zone, for order
   * routing; TK_NOT_FOUND for a merchant that does not exist.
   */
  async points(merchantId: string): Promise<{ timeZone: string; points: Array<StoredFulfilment & { channel: string }> }> {
    const { timeZone, points } = await this.store.points(merchantId);
    if (timeZone === undefined) throw new TkError('TK_NOT_FOUND', `no merchant ${merchantId}`);
    return { timeZone, points };
  }
}
