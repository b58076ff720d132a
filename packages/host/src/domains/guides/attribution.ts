import {
  checkGuideAttribution, checkGuideCommission, defaultCommission, lastValidRelation,
  type GuideAttributionInput, type GuideAttributionOutput, type GuideCommissionInput, type GuideCommissionOutput, type OrderPaidData,
} from '@tongkit/sdk';
import type { Queryable } from '../../platform/storage/database.js';
import type { HostPlatform } from '../../platform/modules/host-module.js';
import type { Attribution, Split } from './commission-ledger.js';
import type { GuideRow } from './guides.js';
import type { Relations } from './relations.js';
import type { GuideSettings } from './settings.js';
import type { Shares } from './shares.js';

const DAY_MS = 86_400_000;
type Decide = HostPlatform['invokePoint'];

const asGuide = (g: GuideRow) => ({ guideId: g.id, role: g.role, storeId: g.store_id, active: g.status === 'active' });

/**
 * Assembles the `guide.attribution` input from the host's own data (the order, the member's relation
 * and its history, clicks in the window, the guides they name, the buyer's own guide record), asks the
 * serving install (or the fallback) and checks the answer again: an answer that fails the host's checks
 * is replaced by the fallback, so a guide who left, has no grounds or is the buyer is never attributed.
 */
export async function decideAttribution(
  db: Queryable,
  decide: Decide,
  deps: { relations: Relations; shares: Shares },
  merchantId: string,
  order: OrderPaidData & { memberId: string },
  settings: GuideSettings,
): Promise<{ attribution: Attribution; guide: GuideRow | undefined }> {
  const paidAt = new Date(order.paidAt);
  const relation = await deps.relations.relationOf(merchantId, order.memberId, db);
  const history = (await deps.relations.history(merchantId, order.memberId, db))
    .filter((m) => m.action !== 'refused')
    .map((m) => ({ guideId: m.toGuideId, source: m.source ?? m.action, boundAt: m.at }));
  const longest = Math.max(settings.windowDays, ...Object.values(settings.channelWindowDays));
  const clicks = await deps.shares.clicksOf(merchantId, order.memberId, new Date(paidAt.getTime() - longest * DAY_MS), paidAt, db);
  const ids = [...new Set([relation?.guideId, ...history.map((h) => h.guideId), ...clicks.map((c) => c.guideId)].filter((id): id is string => typeof id === 'string'))].slice(0, 150);
  const { rows: guides } = await db.query<GuideRow>('SELECT id, store_id, role, status, member_id, left_at FROM guides WHERE merchant_id = $1 AND (id = ANY($2) OR member_id = $3) ORDER BY id', [merchantId, ids, order.memberId]);
  const buyer = guides.find((g) => g.member_id === order.memberId);
  const input: GuideAttributionInput = {
    order: { id: order.orderId, channel: order.channel, storeId: order.storeId, memberId: order.memberId, spendFen: order.spendFen, totalFen: order.totalFen, lines: order.lines, paidAt: order.paidAt },
    relation: relation && { guideId: relation.guideId, source: relation.source, boundAt: relation.boundAt, protectedUntil: relation.protectedUntil },
    history: history.slice(0, 50),
    clicks: clicks.filter((c) => Date.parse(c.clickedAt) >= paidAt.getTime() - longest * DAY_MS),
    guides: guides.filter((g) => ids.includes(g.id)).map(asGuide),
    buyerGuideId: buyer?.id ?? null,
    settings: { windowDays: settings.windowDays, channelWindowDays: settings.channelWindowDays },
    now: order.paidAt,
  };
  let output: GuideAttributionOutput;
  let source: Attribution['source'] = 'platform';
  if (decide) {
    const decision = await decide(merchantId, 'guide.attribution', input, order.storeId ?? undefined);
    output = decision.output as GuideAttributionOutput;
    source = decision.source;
  } else output = lastValidRelation(input);
  if (checkGuideAttribution(input, output).length > 0) {
    output = lastValidRelation(input);
    source = 'fallback';
  }
  // A self-purchase refused is a signal: the guide the order would otherwise have gone to.
  const refusedGuideId = buyer && (relation?.guideId === buyer.id || clicks.some((c) => c.guideId === buyer.id)) ? buyer.id : null;
  return { attribution: { guideId: output.guideId, reason: output.reason, source, refusedGuideId }, guide: guides.find((g) => g.id === output.guideId) };
}

/**
 * Assembles the `guide.commission` input (the order, the attributed guide, the active managers of their
 * store and the merchant's area managers, the settings), asks the serving install (or the fallback) and
 * checks the splits again against the people and the merchant's cap; a failing answer gets the fallback.
 */
export async function decideCommission(db: Queryable, decide: Decide, merchantId: string, order: OrderPaidData, guide: GuideRow, settings: GuideSettings): Promise<{ splits: Split[]; source: 'plugin' | 'fallback' | 'platform' }> {
  const { rows: team } = await db.query<GuideRow>(
    `SELECT id, store_id, role, status, member_id, left_at FROM guides WHERE merchant_id = $1 AND status = 'active' AND id <> $2
       AND ((role = 'store_manager' AND store_id IS NOT DISTINCT FROM $3) OR role = 'area_manager') ORDER BY id LIMIT 50`,
    [merchantId, guide.id, guide.store_id],
  );
  const input: GuideCommissionInput = {
    order: { id: order.orderId, channel: order.channel, storeId: order.storeId, spendFen: order.spendFen, totalFen: order.totalFen, lines: order.lines, paidAt: order.paidAt },
    guide: { guideId: guide.id, role: guide.role, storeId: guide.store_id },
    team: team.map((g) => ({ guideId: g.id, role: g.role, storeId: g.store_id })),
    settings: { defaultRateBp: settings.defaultRateBp, capBp: settings.capBp },
    now: order.paidAt,
  };
  let output: GuideCommissionOutput;
  let source: 'plugin' | 'fallback' | 'platform' = 'platform';
  if (decide) {
    const decision = await decide(merchantId, 'guide.commission', input, order.storeId ?? undefined);
    output = decision.output as GuideCommissionOutput;
    source = decision.source;
  } else output = defaultCommission(input);
  if (checkGuideCommission(input, output).length > 0) {
    output = defaultCommission(input);
    source = 'fallback';
  }
  return { splits: output.splits, source };
}
