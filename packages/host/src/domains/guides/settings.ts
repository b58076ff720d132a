import { Type, type Static } from '@sinclair/typebox';
import type { Queryable } from '../../platform/storage/database.js';

/** A merchant's guide policy (no row: the platform defaults). */
export const GuideSettings = Type.Object(
  {
    windowDays: Type.Integer({ minimum: 1, maximum: 365, default: 15, description: 'attribution window (days)' }),
    channelWindowDays: Type.Record(Type.String({ pattern: '^(online|store)$' }), Type.Integer({ minimum: 1, maximum: 365 }), { description: 'per channel, e.g. {"online": 7}' }),
    protectionDays: Type.Integer({ minimum: 0, maximum: 365, description: 'how long a new relation is protected from another guide' }),
    defaultRateBp: Type.Integer({ minimum: 0, maximum: 10_000, description: 'platform default commission, bp of the money tenders' }),
    capBp: Type.Integer({ minimum: 0, maximum: 10_000, description: 'all splits of an order together at most this, bp of the money tenders' }),
  },
  { additionalProperties: false },
);
export type GuideSettings = Static<typeof GuideSettings>;

export const DEFAULT_GUIDE_SETTINGS: GuideSettings = { windowDays: 15, channelWindowDays: {}, protectionDays: 15, defaultRateBp: 300, capBp: 1000 };

interface SettingsRow {
  window_days: number;
  channel_window_days: Record<string, number>;
  protection_days: number;
  default_rate_bp: number;
  cap_bp: number;
}

/** The merchant's guide settings. */
export async function relationSettingsOf(tx: Queryable, merchantId: string): Promise<GuideSettings> {
  const { rows } = await tx.query<SettingsRow>('SELECT window_days, channel_window_days, protection_days, default_rate_bp, cap_bp FROM guide_settings WHERE merchant_id = $1', [merchantId]);
  const row = rows[0];
  return row ? { windowDays: row.window_days, channelWindowDays: row.channel_window_days, protectionDays: row.protection_days, defaultRateBp: row.default_rate_bp, capBp: row.cap_bp } : DEFAULT_GUIDE_SETTINGS;
}

/** Sets the merchant's guide settings. */
export async function setGuideSettings(tx: Queryable, merchantId: string, settings: GuideSettings): Promise<GuideSettings> {
  await tx.query(
    `INSERT INTO guide_settings (merchant_id, window_days, channel_window_days, protection_days, default_rate_bp, cap_bp) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (merchant_id) DO UPDATE SET window_days = $2, channel_window_days = $3, protection_days = $4, default_rate_bp = $5, cap_bp = $6, updated_at = now()`,
    [merchantId, settings.windowDays, JSON.stringify(settings.channelWindowDays), settings.protectionDays, settings.defaultRateBp, settings.capBp],
  );
  return settings;
}
