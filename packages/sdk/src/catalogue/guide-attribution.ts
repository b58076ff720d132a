import { Type, type Static } from '@sinclair/typebox';
import { GuideId, RelationSource } from '../events/guides.js';
import { Fen, MemberId, SYNC_POINT_BUDGET, Timestamp, type ExtensionPointSpec, type OutputProblem } from './shared.js';

const GuideRole = Type.Union([Type.Literal('guide'), Type.Literal('store_manager'), Type.Literal('area_manager')]);

const GuideAttributionInput = Type.Object(
  {
    order: Type.Object(
      {
        id: Type.String({ minLength: 1, maxLength: 64 }),
        channel: Type.Union([Type.Literal('online'), Type.Literal('store')]),
        storeId: Type.Union([Type.String(), Type.Null()]),
        memberId: MemberId,
        spendFen: Fen({ description: 'money tenders (cash + card)' }),
        totalFen: Fen(),
        lines: Type.Array(Type.Object({ sku: Type.String(), category: Type.String(), quantity: Type.Integer({ minimum: 1 }), netFen: Fen() }, { additionalProperties: false }), { maxItems: 200 }),
        paidAt: Timestamp(),
      },
      { additionalProperties: false },
    ),
    relation: Type.Union([
      Type.Object({ guideId: GuideId, source: RelationSource, boundAt: Timestamp(), protectedUntil: Type.Union([Timestamp(), Type.Null()]) }, { additionalProperties: false }),
      Type.Null(),
    ], { description: 'the member’s current relation' }),
    history: Type.Array(Type.Object({ guideId: Type.Union([GuideId, Type.Null()]), source: Type.String(), boundAt: Timestamp() }, { additionalProperties: false }), { maxItems: 50, description: 'earlier relations, newest first' }),
    clicks: Type.Array(Type.Object({ guideId: GuideId, shareId: Type.String(), channel: Type.String(), clickedAt: Timestamp() }, { additionalProperties: false }), { maxItems: 100, description: 'clicks on guide shares inside the window, newest first' }),
    guides: Type.Array(Type.Object({ guideId: GuideId, role: GuideRole, storeId: Type.Union([Type.String(), Type.Null()]), active: Type.Boolean() }, { additionalProperties: false }), { maxItems: 150, description: 'the guides of the relation, the history and the clicks' }),
    buyerGuideId: Type.Union([GuideId, Type.Null()], { description: 'the guide the buying member is, if they are one' }),
    settings: Type.Object({ windowDays: Type.Integer({ minimum: 1, maximum: 365 }), channelWindowDays: Type.Record(Type.String(), Type.Integer({ minimum: 1, maximum: 365 })) }, { additionalProperties: false }),
    now: Timestamp({ description: 'the order’s paidAt: plugins must use this, not a clock' }),
  },
  { additionalProperties: false },
);
export type GuideAttributionInput = Static<typeof GuideAttributionInput>;

const GuideAttributionOutput = Type.Object(
  { guideId: Type.Union([GuideId, Type.Null()], { description: 'null: attributed to no guide' }), reason: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
export type GuideAttributionOutput = Static<typeof GuideAttributionOutput>;

const DAY_MS = 86_400_000;

/** The attribution window in days for an order's channel (a per-channel setting, else the default). */
export function attributionWindowDays(input: GuideAttributionInput): number {
  return input.settings.channelWindowDays[input.order.channel] ?? input.settings.windowDays;
}

/** Whether `guideId` has a relation valid in the window or a click in it. */
function hasGroundsFor(input: GuideAttributionInput, guideId: string): boolean {
  const from = Date.parse(input.now) - attributionWindowDays(input) * DAY_MS;
  if (input.relation && input.relation.guideId === guideId && Date.parse(input.relation.boundAt) >= from) return true;
  return input.clicks.some((c) => c.guideId === guideId && Date.parse(c.clickedAt) >= from && Date.parse(c.clickedAt) <= Date.parse(input.now));
}

/**
 * The platform default: the member's relation if it was bound inside the window (per channel), else
 * none. A guide buying as a member is never attributed to themselves.
 */
export function lastValidRelation(input: GuideAttributionInput): GuideAttributionOutput {
  const relation = input.relation;
  if (!relation) return { guideId: null, reason: 'platform default: no relation' };
  if (relation.guideId === input.buyerGuideId) return { guideId: null, reason: 'platform default: the guide bought as a member (self-purchase)' };
  const active = input.guides.find((g) => g.guideId === relation.guideId)?.active === true;
  if (!active) return { guideId: null, reason: 'platform default: the related guide is not active' };
  const from = Date.parse(input.now) - attributionWindowDays(input) * DAY_MS;
  // The relation itself, not a click: a click is a signal for a plugin's policy to weigh.
  if (Date.parse(relation.boundAt) < from) return { guideId: null, reason: `platform default: the relation is older than the ${attributionWindowDays(input)}-day window` };
  return { guideId: relation.guideId, reason: 'platform default: the relation valid in the window' };
}

/**
 * What the host checks in an attribution: the guide is one of the input's guides (so of the merchant)
 * and active; it has a relation valid in the window or a click in it; it is not the buyer.
 */
export function checkGuideAttribution(input: GuideAttributionInput, output: GuideAttributionOutput): OutputProblem[] {
  if (output.guideId === null) return [];
  const guide = input.guides.find((g) => g.guideId === output.guideId);
  if (!guide) return [{ path: '/guideId', message: `guide ${output.guideId} is not among the input's guides` }];
  if (!guide.active) return [{ path: '/guideId', message: `guide ${output.guideId} has left` }];
  if (output.guideId === input.buyerGuideId) return [{ path: '/guideId', message: 'a guide buying as a member is not attributed to themselves' }];
  if (!hasGroundsFor(input, output.guideId)) return [{ path: '/guideId', message: `guide ${output.guideId} has no relation or click in the window` }];
  return [];
}

/**
 * `guide.attribution` (导购): which guide, if any, a paid order is attributed to. Exclusive. Fallback:
 * the relation valid in the window, else none.
 */
export const guideAttribution = {
  id: 'guide.attribution',
  apiVersion: '2026-11',
  primitive: '导购',
  title: 'Attribute an order to a guide',
  description:
    'Decides which guide an order is attributed to from the member’s relation and its history, clicks on guide shares in the window and the merchant’s window settings. The host checks the guide is active, has grounds in the window and is not the buyer.',
  input: GuideAttributionInput,
  output: GuideAttributionOutput,
  budget: SYNC_POINT_BUDGET,
  combine: 'exclusive',
  permissions: ['guides:read', 'orders:read'],
  fallback: 'the relation valid in the window, else none',
  fallbackOutput: lastValidRelation,
  checkOutput: (input, output) => checkGuideAttribution(input as GuideAttributionInput, output as GuideAttributionOutput),
} satisfies ExtensionPointSpec<typeof GuideAttributionInput, typeof GuideAttributionOutput>;
