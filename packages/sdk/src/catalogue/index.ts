import type { Static } from '@sinclair/typebox';
import { memberBenefitsResolve } from './member-benefits-resolve.js';
import { memberPointsEarn } from './member-points-earn.js';
import { memberTierCompute } from './member-tier-compute.js';
import { servicePlan } from './service-plan.js';
import { orderRoute } from './order-route.js';
import { guideAttribution } from './guide-attribution.js';
import { guideCommission } from './guide-commission.js';
import type { ExtensionPointSpec } from './shared.js';

export * from './shared.js';
export { TierDefinition, TierTrigger } from './member-tier-compute.js';
export { BENEFIT_CLASSES, BenefitSchema, checkBenefits, STACKING_MODES, TierBenefitsSchema, tierBaseBenefits, type Benefit, type BenefitClass, type BenefitsInput, type BenefitsOutput, type StackingMode } from './member-benefits-resolve.js';
export { checkServicePlan, ServiceStagePlan, singleFullPaymentPlan, STAGE_DUE_RULES, STAGE_KINDS, type StageKind } from './service-plan.js';
export { attributionWindowDays, checkGuideAttribution, lastValidRelation, type GuideAttributionInput, type GuideAttributionOutput } from './guide-attribution.js';
export { checkGuideCommission, commissionCapFen, defaultCommission, type GuideCommissionInput, type GuideCommissionOutput } from './guide-commission.js';
export { checkOrderRoute, routeToNearestStore, type OrderRouteInput, type OrderRouteOutput } from './order-route.js';

/** The API versions (contract versions of points and events) this SDK knows, newest last. */
export const API_VERSIONS = ['2026-11'] as const;
/** A contract version such as `2026-11` (like Shopify's api_version). */
export type ApiVersion = (typeof API_VERSIONS)[number];

/**
 * The extension-point catalogue: synchronous, deterministic decisions a plugin may make. Each entry
 * carries its schemas, budget, combine mode and fallback. More points arrive with their primitives.
 */
export const EXTENSION_POINTS = {
  'member.tier.compute': memberTierCompute,
  'member.points.earn': memberPointsEarn,
  'member.benefits.resolve': memberBenefitsResolve,
  'service.plan': servicePlan,
  'order.route': orderRoute,
  'guide.attribution': guideAttribution,
  'guide.commission': guideCommission,
} as const;

type Points = typeof EXTENSION_POINTS;
/** The ID of a catalogued extension point, e.g. `member.tier.compute`. */
export type ExtensionPointId = keyof Points;
/** The input a handler of point `P` receives. */
export type PointInput<P extends ExtensionPointId> = Static<Points[P]['input']>;
/** The output a handler of point `P` must return. */
export type PointOutput<P extends ExtensionPointId> = Static<Points[P]['output']>;

/** All extension-point IDs, in catalogue order. */
export const EXTENSION_POINT_IDS = Object.keys(EXTENSION_POINTS) as ExtensionPointId[];

/** Looks a point up by ID; `undefined` for an unknown ID. */
export function getExtensionPoint(id: string): ExtensionPointSpec | undefined {
  return Object.hasOwn(EXTENSION_POINTS, id) ? (EXTENSION_POINTS as Record<string, ExtensionPointSpec>)[id] : undefined;
}

// The event catalogue and its payload schemas live in ../events (one file per primitive).
export { EVENT_NAMES, EVENT_PAYLOADS, type EventData, type EventName, type TongkitEvent } from '../events/index.js';
