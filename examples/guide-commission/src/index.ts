import { definePlugin, Type } from '@tongkit/sdk';

const DAY_MS = 86_400_000;

/**
 * A brand's guide policy as settings: an order is attributed to the member's guide when the relation
 * is younger than `relationDays`, or — online — to the guide whose share the member clicked within
 * `onlineShareDays` (the newest click wins); commission is `rateBp` of the money tenders on the lines
 * outside the clearance categories, split `guideShareBp` to the guide and the rest to their store
 * manager (all of it to the guide when the store has none).
 */
export default definePlugin({
  name: 'guide-commission',
  version: '1.0.0',
  apiVersion: '2026-11',
  description: 'Guide attribution and an 80/20 commission split',
  permissions: ['guides:read', 'orders:read'],
  settings: Type.Object({
    relationDays: Type.Integer({ minimum: 1, maximum: 365, default: 15, title: 'Relation window (days)' }),
    onlineShareDays: Type.Integer({ minimum: 1, maximum: 365, default: 7, title: 'Online share window (days)' }),
    rateBp: Type.Integer({ minimum: 0, maximum: 10_000, default: 500, title: 'Commission (bp of money tenders)' }),
    guideShareBp: Type.Integer({ minimum: 0, maximum: 10_000, default: 8000, title: 'Guide’s share (bp; the rest to the store manager)' }),
    clearanceCategories: Type.Array(Type.String(), { default: ['clearance'], title: 'No commission on these categories' }),
  }),
  extensions: {
    'guide.attribution': (input, { settings }) => {
      const now = Date.parse(input.now);
      if (input.order.channel === 'online') {
        const click = input.clicks.find((c) => c.channel === 'online' && c.guideId !== input.buyerGuideId && now - Date.parse(c.clickedAt) <= settings.onlineShareDays * DAY_MS && input.guides.some((g) => g.guideId === c.guideId && g.active));
        if (click) return { guideId: click.guideId, reason: `clicked share ${click.shareId} within ${settings.onlineShareDays} days` };
      }
      const relation = input.relation;
      if (relation && relation.guideId !== input.buyerGuideId && now - Date.parse(relation.boundAt) <= settings.relationDays * DAY_MS && input.guides.some((g) => g.guideId === relation.guideId && g.active)) {
        return { guideId: relation.guideId, reason: `relation within ${settings.relationDays} days` };
      }
      return { guideId: null, reason: 'no relation or share in the window' };
    },
    'guide.commission': (input, { settings }) => {
      const base = input.order.lines.filter((l) => !settings.clearanceCategories.includes(l.category)).reduce((a, l) => a + l.netFen, 0);
      // Commission on the money tenders' share of the eligible lines.
      const eligible = input.order.totalFen === 0 ? 0 : Math.floor((base * input.order.spendFen) / input.order.totalFen);
      const total = Math.floor((eligible * settings.rateBp) / 10_000);
      const manager = input.team.find((p) => p.role === 'store_manager' && p.storeId === input.guide.storeId);
      if (total === 0) return { splits: [] };
      if (!manager) return { splits: [{ guideId: input.guide.guideId, role: input.guide.role, amountFen: total, basis: `${settings.rateBp} bp of ${eligible} fen` }] };
      const guideFen = Math.floor((total * settings.guideShareBp) / 10_000);
      return {
        splits: [
          { guideId: input.guide.guideId, role: input.guide.role, amountFen: guideFen, basis: `${settings.guideShareBp} bp of ${total} fen` },
          { guideId: manager.guideId, role: manager.role, amountFen: total - guideFen, basis: `the store manager's rest of ${total} fen` },
        ],
      };
    },
  },
});
