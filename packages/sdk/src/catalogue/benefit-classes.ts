// Plain constants (no TypeBox): the guest SDK bundles them into plugins.

/**
 * The host's vocabulary of benefit classes. Stacking is the merchant's setting per class (stack /
 * best-of / exclusive), so benefits from different ISVs combine predictably.
 */
export const BENEFIT_CLASSES = ['tier_discount', 'coupon', 'shipping', 'gift', 'points_multiplier'] as const;
/** A benefit class of the host's vocabulary. */
export type BenefitClass = (typeof BENEFIT_CLASSES)[number];
/** How a class's benefits combine: all of them, only the largest, or only the first install's. */
export const STACKING_MODES = ['stack', 'best-of', 'exclusive'] as const;
export type StackingMode = (typeof STACKING_MODES)[number];
