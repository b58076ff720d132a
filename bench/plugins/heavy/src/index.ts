import { applyBasisPoints, definePlugin, formatFen, Type } from '@tongkit/sdk';

/**
 * Benchmark plugin: the compute-heavy peer of templates/member-tier.
 *
 * `member.tier.compute` rebuilds the member's last 12 months as 50 order lines derived
 * deterministically from the input (the member ID seeds a PRNG; line amounts add up exactly to the
 * 12-month spend per channel), then for every line: category multiplier, channel bonus, campaign
 * months, quantity bonus → points and growth value with per-category monthly caps; then a rolling
 * 90-day window over the year, a FIFO points-lot expiry simulation, and the tier ladder with the
 * current tier's protection. A realistic loyalty engine's work, and ~100× the template's.
 * Dates are integer arithmetic (no `Date`), so every engine in the benchmark does the same work.
 */

const CATEGORIES = ['sofa', 'bed', 'wardrobe', 'table', 'chair', 'lighting', 'textile', 'kitchen', 'bath', 'decor'] as const;
const CATEGORY_NAMES: Record<string, string> = {
  sofa: '沙发', bed: '床', wardrobe: '衣柜', table: '餐桌', chair: '椅子',
  lighting: '灯具', textile: '布艺', kitchen: '厨房', bath: '卫浴', decor: '软装',
};
const LINES = 50;
const DAYS = 365;

interface Line {
  sku: string;
  category: string;
  channel: 'online' | 'store';
  day: number;
  qty: number;
  amountFen: number;
  points: number;
  growth: number;
}

/** xorshift32 seeded from a string: the same member always gets the same synthetic history. */
function prng(seedText: string): () => number {
  let h = 0x811c9dc5;
  for (let i = 0; i < seedText.length; i++) h = Math.imul(h ^ seedText.charCodeAt(i), 0x01000193);
  let s = h | 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The month (1–12) of a day number (civil_from_days). */
function monthOfDay(day: number): number {
  const z = day + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  return mp < 10 ? mp + 3 : mp - 9;
}

/** Seconds since the epoch of an RFC 3339 timestamp (validated by the host), without Date: pure arithmetic. */
function epochSeconds(timestamp: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|([+-])(\d{2}):(\d{2}))$/.exec(timestamp);
  if (!m) return 0;
  const offset = m[7] === 'Z' ? 0 : (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 3600 + Number(m[10]) * 60);
  return daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3])) * 86_400 + Number(m[4]) * 3600 + Number(m[5]) * 60 + Number(m[6]) - offset;
}

/** Splits `total` fen into `weights.length` integer parts proportional to the weights, summing exactly. */
function split(total: number, weights: number[]): number[] {
  let sum = 0;
  for (const w of weights) sum += w;
  const parts: number[] = [];
  let given = 0;
  for (let i = 0; i < weights.length; i++) {
    const part = i === weights.length - 1 ? total - given : Math.floor((total * weights[i]!) / sum);
    parts.push(part);
    given += part;
  }
  return parts;
}

export default definePlugin({
  name: 'bench-heavy-tiers',
  version: '1.0.0',
  apiVersion: '2026-11',
  description: 'Tiers by growth value recomputed from 50 order lines (benchmark plugin)',
  permissions: ['member:read'],
  settings: Type.Object({
    earnRateBps: Type.Integer({ minimum: 0, maximum: 10_000, default: 100, title: 'Points per fen (basis points)' }),
    storeBonusBps: Type.Integer({ minimum: 0, maximum: 50_000, default: 12_000, title: 'Store purchase multiplier (bps)' }),
    campaignMonths: Type.Array(Type.Integer({ minimum: 1, maximum: 12 }), { default: [6, 11], title: 'Double-points months' }),
    categoryMultipliers: Type.Array(
      Type.Object({
        category: Type.String({ minLength: 1, maxLength: 32 }),
        multiplierBps: Type.Integer({ minimum: 0, maximum: 50_000 }),
        monthlyGrowthCap: Type.Integer({ minimum: 0 }),
      }),
      {
        default: [
          { category: 'sofa', multiplierBps: 15_000, monthlyGrowthCap: 3_000 },
          { category: 'bed', multiplierBps: 15_000, monthlyGrowthCap: 3_000 },
          { category: 'wardrobe', multiplierBps: 20_000, monthlyGrowthCap: 4_000 },
          { category: 'kitchen', multiplierBps: 12_000, monthlyGrowthCap: 2_000 },
          { category: 'decor', multiplierBps: 8_000, monthlyGrowthCap: 500 },
        ],
        title: 'Per-category multipliers',
      },
    ),
    growthAt: Type.Array(Type.Integer({ minimum: 0 }), { default: [0, 1_500, 5_000, 12_000], title: 'Growth value needed per tier rank' }),
    pointsLifetimeDays: Type.Integer({ minimum: 1, maximum: 3_650, default: 180, title: 'Points expire after (days)' }),
  }),
  extensions: {
    'member.tier.compute': (input, { settings }) => {
      const { member } = input;
      const random = prng(`${member.id}:${member.orderCount12m}`);
      const nowSeconds = epochSeconds(input.now);
      const nowDay = Math.floor(nowSeconds / 86_400);

      // 1. Synthetic order lines: channel split follows the real spend split, amounts add up exactly.
      const onlineLines = member.spend12mFen.online + member.spend12mFen.store === 0
        ? LINES / 2
        : Math.round((LINES * member.spend12mFen.online) / (member.spend12mFen.online + member.spend12mFen.store));
      const weights: number[] = [];
      for (let i = 0; i < LINES; i++) weights.push(1 + Math.floor(random() * 1000));
      const online = split(member.spend12mFen.online, weights.slice(0, onlineLines));
      const store = split(member.spend12mFen.store, weights.slice(onlineLines));
      const lines: Line[] = [];
      for (let i = 0; i < LINES; i++) {
        const category = CATEGORIES[Math.floor(random() * CATEGORIES.length)]!;
        const isOnline = i < onlineLines;
        lines.push({
          sku: `${category.toUpperCase()}-${(Math.floor(random() * 1e6) + 1e6).toString(36)}`,
          category,
          channel: isOnline ? 'online' : 'store',
          day: nowDay - 1 - Math.floor(random() * DAYS),
          qty: 1 + Math.floor(random() * 4),
          amountFen: isOnline ? online[i]! : store[i - onlineLines]!,
          points: 0,
          growth: 0,
        });
      }
      lines.sort((a, b) => a.day - b.day || a.sku.localeCompare(b.sku));

      // 2. Points and growth per line, growth capped per category per month.
      const capUsed = new Map<string, number>();
      const byCategory = new Map<string, { amountFen: number; points: number }>();
      let points = 0;
      let growth = 0;
      for (const line of lines) {
        const rule = settings.categoryMultipliers.find((r) => r.category === line.category);
        const month = monthOfDay(line.day);
        let multiplier = rule ? rule.multiplierBps : 10_000;
        if (line.channel === 'store') multiplier = applyBasisPoints(multiplier, settings.storeBonusBps);
        if (settings.campaignMonths.includes(month)) multiplier *= 2;
        if (line.qty >= 3) multiplier += 1_000;
        line.points = applyBasisPoints(applyBasisPoints(line.amountFen, settings.earnRateBps), multiplier);
        const capKey = `${line.category}:${month}`;
        const used = capUsed.get(capKey) ?? 0;
        const cap = rule ? rule.monthlyGrowthCap : Number.MAX_SAFE_INTEGER;
        line.growth = Math.max(0, Math.min(Math.floor(line.amountFen / 100), cap - used));
        capUsed.set(capKey, used + line.growth);
        points += line.points;
        growth += line.growth;
        const total = byCategory.get(line.category) ?? { amountFen: 0, points: 0 };
        total.amountFen += line.amountFen;
        total.points += line.points;
        byCategory.set(line.category, total);
      }

      // 3. Best rolling 90-day spend over the year (daily buckets, prefix sums).
      const daily = new Array<number>(DAYS).fill(0);
      for (const line of lines) {
        const index = DAYS - (nowDay - line.day);
        if (index >= 0 && index < DAYS) daily[index]! += line.amountFen;
      }
      let best90 = 0;
      let window = 0;
      for (let d = 0; d < DAYS; d++) {
        window += daily[d]!;
        if (d >= 90) window -= daily[d - 90]!;
        if (window > best90) best90 = window;
      }

      // 4. FIFO points lots: what is still valid today after expiry.
      const lots = lines.map((line) => ({ expiresDay: line.day + settings.pointsLifetimeDays, left: line.points }));
      let redeemable = Math.max(0, member.pointsBalance);
      let valid = 0;
      for (const lot of lots) {
        if (lot.expiresDay <= nowDay) continue;
        const used = Math.min(lot.left, redeemable);
        redeemable -= used;
        valid += lot.left - used;
      }

      // 5. Tier ladder: the highest rank whose growth threshold is met; the current tier is protected until it expires.
      const ladder = [...input.tiers].sort((a, b) => a.rank - b.rank);
      const totalGrowth = growth + Math.floor(member.growthValue / 10);
      let tier = ladder[0]!;
      for (const candidate of ladder) {
        const needed = settings.growthAt[Math.min(candidate.rank, settings.growthAt.length - 1)] ?? Number.MAX_SAFE_INTEGER;
        if (totalGrowth >= needed) tier = candidate;
      }
      const current = member.currentTier && ladder.find((t) => t.id === member.currentTier!.id);
      const protectedUntil = member.currentTier?.expiresAt ? epochSeconds(member.currentTier.expiresAt) : Infinity;
      if (current && current.rank > tier.rank && protectedUntil > nowSeconds) tier = current;

      let top = '';
      let topAmount = -1;
      for (const [category, total] of byCategory) {
        if (total.amountFen > topAmount) {
          top = category;
          topAmount = total.amountFen;
        }
      }
      return {
        tierId: tier.id,
        reason:
          `growth ${totalGrowth} from ${LINES} lines; top ${CATEGORY_NAMES[top] ?? top} ${formatFen(topAmount)}; ` +
          `best 90 days ${formatFen(best90)}; points +${points} (${valid} valid)`,
      };
    },
  },
});
