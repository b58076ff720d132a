import type { HostModuleFactory } from '../../platform/modules/host-module.js';
import { membersOf } from '../members/index.js';
import { pointsLedgerOn } from '../points/index.js';
import { storedValueOf } from '../stored-value/index.js';
import { Checkout } from './checkout.js';
import { checkoutRoutes } from './routes.js';

export { Checkout, type CheckoutCart, type TierBenefits } from './checkout.js';
export { mergeBenefits, type AppliedBenefit, type BenefitsAnswer, type BenefitsResolution, type DroppedBenefit, type Stacking } from './benefits-merge.js';

/**
 * Checkout (会员通 at the till) as a host module: migration 091 (tier base benefits, stacking per class),
 * `POST /v1/checkout/benefits` through the `member.benefits.resolve` merge point, and
 * `POST /v1/checkout/redeem-points` (a points hold). Built after the points and stored-value modules.
 */
export const checkoutModule: HostModuleFactory = (platform) => {
  const checkout = new Checkout(platform.db, platform, membersOf(platform), pointsLedgerOn(platform), storedValueOf(platform));
  return { name: 'checkout', migrations: ['091_checkout.sql'], routes: checkoutRoutes(checkout) };
};
