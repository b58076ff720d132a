import { Type } from '@sinclair/typebox';
import { Fen, MemberId, SYNC_POINT_BUDGET, Timestamp, type ExtensionPointSpec } from './shared.js';

const EarnInput = Type.Object(
  {
    order: Type.Object(
      {
        id: Type.String({ minLength: 1, maxLength: 64 }),
        kind: Type.Union([Type.Literal('goods'), Type.Literal('service')], { description: 'service: one paid stage of a service order (id `<order>#<stageNo>`)' }),
        channel: Type.Union([Type.Literal('online'), Type.Literal('store')]),
        storeId: Type.Union([Type.String(), Type.Null()]),
        totalFen: Fen({ description: 'What the order cost' }),
        spendFen: Fen({ description: 'The money tenders (cash + card): what earns by default' }),
        tenders: Type.Array(Type.Object({ method: Type.String(), amountFen: Fen() }, { additionalProperties: false })),
        lines: Type.Array(
          Type.Object({ sku: Type.String(), category: Type.String(), quantity: Type.Integer({ minimum: 1 }), netFen: Fen() }, { additionalProperties: false }),
          { maxItems: 200 },
        ),
        paidAt: Timestamp(),
      },
      { additionalProperties: false },
    ),
    member: Type.Object(
      {
        id: MemberId,
        tierId: Type.Union([Type.String(), Type.Null()], { description: 'The member’s current tier, if any' }),
        pointsBalance: Type.Integer({ description: 'Negative means a debt from refunds' }),
        growthValue: Type.Integer(),
      },
      { additionalProperties: false },
    ),
    now: Timestamp({ description: 'The order’s paidAt: plugins must use this, not a clock' }),
  },
  { additionalProperties: false },
);

const EarnOutput = Type.Object(
  {
    points: Type.Integer({ minimum: 0, maximum: 100_000_000, description: 'Points this install grants for the order' }),
    growth: Type.Integer({ minimum: 0, maximum: 100_000_000, description: 'Growth value (成长值) this install grants' }),
    expiresAt: Type.Optional(Type.Union([Timestamp(), Type.Null()], { description: 'When the points lot expires; null or absent: never' })),
    reason: Type.String({ minLength: 1, maxLength: 200, description: 'Why, shown in the member’s ledger' }),
  },
  { additionalProperties: false },
);

/**
 * `member.points.earn` (会员通): what a paid order earns. The first `merge` point: every enabled install
 * that answers contributes its own ledger entry.
 */
export const memberPointsEarn = {
  id: 'member.points.earn',
  apiVersion: '2026-11',
  primitive: '会员通',
  title: 'Points earned per order',
  description:
    'Decides the points and growth value a paid order earns. Merge rule: every enabled install that answers contributes its own ledger entries (the install is the source), in install order. ' +
    'A failed install contributes nothing (logged, counted, shown). The platform default rate (the merchant’s setting, 1 point and 1 growth per yuan of money tenders by default) applies once, and only when no install answered. ' +
    'A merchant cap per order applies in install order: the install that crosses it is cut to fit, later ones get cap_reached. Refunds reverse each contribution cumulatively (docs/points-ledger.md).',
  input: EarnInput,
  output: EarnOutput,
  budget: SYNC_POINT_BUDGET,
  combine: 'merge',
  permissions: ['member:read', 'orders:read'],
  fallback: 'the failed install contributes nothing; when no install answered, the platform default rate applies once',
  fallbackOutput(input) {
    const yuan = Math.floor(input.order.spendFen / 100);
    return { points: yuan, growth: yuan, expiresAt: null, reason: 'platform default: 1 point per yuan' };
  },
} satisfies ExtensionPointSpec<typeof EarnInput, typeof EarnOutput>;
