import { TkError, type Benefit, type BenefitClass, type BenefitsInput, type StackingMode, tierBaseBenefits } from '@tongkit/sdk';
import type { HostPlatform } from '../../platform/modules/host-module.js';
import type { Database } from '../../platform/storage/database.js';
import type { Members } from '../members/members.js';
import type { LedgerResult, PointsLedger } from '../points/index.js';
import type { StoredValue } from '../stored-value/index.js';
import { mergeBenefits, type BenefitsAnswer, type BenefitsResolution, type Stacking } from './benefits-merge.js';

const POINT = 'member.benefits.resolve';

/** A cart as the till sends it (line totals are the host's: quantity × unit price). */
export interface CheckoutCart {
  channel: 'online' | 'store';
  storeId?: string | undefined;
  lines: Array<{ lineId: string; sku: string; category: string; quantity: number; unitPriceFen: number }>;
}

export interface TierBenefits {
  tierId: string;
  discountBp: number;
  freeShipping: boolean;
  birthdayGift: string | null;
}

/**
 * 会员通 at the till: resolves a member's benefits for a cart through `member.benefits.resolve` (every
 * install, merged by the merchant's stacking per class, the tier's base benefits as the once-only
 * fallback) and freezes points for a purchase with a ledger hold (confirmed when the order is paid,
 * released otherwise — by the caller, or by the hold's expiry).
 */
export class Checkout {
  constructor(
    private readonly db: Database,
    private readonly platform: Pick<HostPlatform, 'invokeEachPoint' | 'memberExists'>,
    private readonly members: Members,
    private readonly points: PointsLedger,
    private readonly storedValue: StoredValue,
  ) {}

  async setTierBenefits(merchantId: string, tier: TierBenefits): Promise<TierBenefits> {
    await this.db.query(
      `INSERT INTO tier_benefits (merchant_id, tier_id, discount_bp, free_shipping, birthday_gift) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (merchant_id, tier_id) DO UPDATE SET discount_bp = EXCLUDED.discount_bp, free_shipping = EXCLUDED.free_shipping, birthday_gift = EXCLUDED.birthday_gift`,
      [merchantId, tier.tierId, tier.discountBp, tier.freeShipping, tier.birthdayGift],
    );
    return tier;
  }

  async tierBenefits(merchantId: string, tierId: string): Promise<TierBenefits | null> {
    const { rows } = await this.db.query<{ discount_bp: number; free_shipping: boolean; birthday_gift: string | null }>('SELECT discount_bp, free_shipping, birthday_gift FROM tier_benefits WHERE merchant_id = $1 AND tier_id = $2', [merchantId, tierId]);
    const row = rows[0];
    return row ? { tierId, discountBp: row.discount_bp, freeShipping: row.free_shipping, birthdayGift: row.birthday_gift } : null;
  }

  async setStacking(merchantId: string, stacking: Stacking): Promise<Stacking> {
    await this.db.query(`INSERT INTO checkout_settings (merchant_id, stacking) VALUES ($1, $2) ON CONFLICT (merchant_id) DO UPDATE SET stacking = EXCLUDED.stacking`, [merchantId, JSON.stringify(stacking)]);
    return stacking;
  }

  async stacking(merchantId: string): Promise<Stacking> {
    const { rows } = await this.db.query<{ stacking: Partial<Record<BenefitClass, StackingMode>> }>('SELECT stacking FROM checkout_settings WHERE merchant_id = $1', [merchantId]);
    return rows[0]?.stacking ?? {};
  }

  /** The point's input for a member's cart: no PII (a birthday becomes "this month", in the merchant's zone). */
  async inputFor(merchantId: string, request: { memberId: string; tierId?: string | undefined; cart: CheckoutCart; now?: Date | undefined }): Promise<BenefitsInput> {
    await this.requireMember(merchantId, request.memberId);
    const seen = new Set<string>();
    request.cart.lines.forEach((line, i) => {
      if (seen.has(line.lineId)) throw new TkError('TK_VALIDATION', `line ${line.lineId} appears twice`, { path: `/cart/lines/${i}/lineId` });
      seen.add(line.lineId);
    });
    const now = request.now ?? new Date();
    const lines = request.cart.lines.map((l) => ({ ...l, totalFen: l.quantity * l.unitPriceFen }));
    const [points, stored, pii, zone, tier] = await Promise.all([
      this.points.memberPoints(merchantId, request.memberId),
      this.storedValue.balance(merchantId, request.memberId),
      this.members.pii(merchantId, request.memberId),
      this.timeZoneOf(merchantId),
      request.tierId ? this.tierBenefits(merchantId, request.tierId) : Promise.resolve(null),
    ]);
    const month = (date: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: zone, month: '2-digit' }).format(date);
    const birthdayThisMonth = pii.birthday !== null && pii.birthday.slice(5, 7) === month(now);
    return {
      member: { id: request.memberId, tierId: request.tierId ?? null, pointsBalance: points.points.balance, storedValueFen: stored.balanceFen, birthdayThisMonth },
      cart: { channel: request.cart.channel, storeId: request.cart.storeId ?? null, totalFen: lines.reduce((sum, l) => sum + l.totalFen, 0), lines },
      tierBenefits: tier,
      now: now.toISOString(),
    };
  }

  /** The merged benefits of every install for the cart, with the final price per line and who decided what. */
  async resolve(merchantId: string, request: { memberId: string; tierId?: string | undefined; cart: CheckoutCart; now?: Date | undefined }): Promise<BenefitsResolution> {
    const input = await this.inputFor(merchantId, request);
    const decisions = this.platform.invokeEachPoint ? await this.platform.invokeEachPoint(merchantId, POINT, input, input.cart.storeId ?? undefined) : [];
    const answers: BenefitsAnswer[] = decisions.map((d) =>
      d.error || d.output === null
        ? { installId: d.installId!, plugin: d.plugin!, ok: false, errorCode: d.error?.code ?? 'TK_INVALID_OUTPUT' }
        : { installId: d.installId!, plugin: d.plugin!, ok: true, benefits: (d.output as { benefits: Benefit[] }).benefits },
    );
    return mergeBenefits(input, answers, tierBaseBenefits(input).benefits, await this.stacking(merchantId));
  }

  /** Freezes `points` of the member for a purchase (a ledger hold: confirm it when the order is paid, else release). */
  redeemPoints(merchantId: string, request: { memberId: string; points: number; operatorId: string; idempotencyKey: string; reason?: string | undefined; ttlMs?: number | undefined }): Promise<LedgerResult> {
    return this.requireMember(merchantId, request.memberId).then(() =>
      this.points.freeze({
        merchantId,
        memberId: request.memberId,
        amount: request.points,
        reason: request.reason ?? 'points redeemed at checkout',
        source: { kind: 'operator', id: request.operatorId },
        idempotencyKey: request.idempotencyKey,
        ...(request.ttlMs === undefined ? {} : { ttlMs: request.ttlMs }),
      }),
    );
  }

  private async requireMember(merchantId: string, memberId: string): Promise<void> {
    if (this.platform.memberExists && !(await this.platform.memberExists(this.db, merchantId, memberId))) throw new TkError('TK_NOT_FOUND', `no member ${memberId.slice(0, 64)}`, { path: '/memberId' });
  }

  private async timeZoneOf(merchantId: string): Promise<string> {
    const { rows } = await this.db.query<{ time_zone: string }>('SELECT time_zone FROM merchants WHERE id = $1', [merchantId]);
    return rows[0]?.time_zone ?? 'Asia/Shanghai';
  }
}
