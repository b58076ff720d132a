import { Type, type Static } from '@sinclair/typebox';
import { FULL_RATIO_BPS, MAX_NON_REFUNDABLE_BPS, MAX_STAGES, stageAmounts, withinDepositLimit } from '../service/stage-amounts.js';
import { BasisPoints, Fen, MemberId, SYNC_POINT_BUDGET, Timestamp, type ExtensionPointSpec, type OutputProblem } from './shared.js';

/** The stage kinds the platform knows (a furniture order's path); anything else is `custom` with a label. */
export const STAGE_KINDS = ['design_order', 'measurement', 'design_delivery', 'install_appointment', 'installation', 'custom'] as const;
/** A stage kind. */
export type StageKind = (typeof STAGE_KINDS)[number];

/** When a stage's payment falls due. `after_completion` is the final payment (尾款), due after installation. */
export const STAGE_DUE_RULES = ['on_creation', 'after_previous_completes', 'after_completion'] as const;

/** One stage of a service plan, as the `service.plan` point returns it. */
export const ServiceStagePlan = Type.Object(
  {
    kind: Type.Union(STAGE_KINDS.map((kind) => Type.Literal(kind)), { description: 'A known kind, or `custom` with a label' }),
    label: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: 'Display name; required for `custom`' })),
    ratioBps: BasisPoints({ description: 'Share of the order total in basis points; all stages sum to 10000' }),
    needsAppointment: Type.Boolean({ description: 'The stage is done at a booked visit (measurement, installation)' }),
    refundable: Type.Boolean({ description: 'False for a forfeitable deposit (定金); non-refundable stages total at most 20 %' }),
    due: Type.Union(STAGE_DUE_RULES.map((rule) => Type.Literal(rule))),
  },
  { additionalProperties: false },
);
/** One stage of a service plan. */
export type ServiceStagePlan = Static<typeof ServiceStagePlan>;

const ServicePlanInput = Type.Object(
  {
    order: Type.Object(
      {
        id: Type.String(),
        totalFen: Fen({ description: 'The order total the stages split' }),
        channel: Type.Union([Type.Literal('online'), Type.Literal('store')]),
        storeId: Type.Union([Type.String(), Type.Null()]),
        lines: Type.Array(
          Type.Object({ sku: Type.String(), category: Type.String(), quantity: Type.Integer(), netFen: Fen() }, { additionalProperties: false }),
        ),
        category: Type.String({ description: 'The category of the largest line' }),
      },
      { additionalProperties: false },
    ),
    member: Type.Union([Type.Object({ id: MemberId, tierId: Type.Union([Type.String(), Type.Null()]) }, { additionalProperties: false }), Type.Null()]),
    now: Timestamp({ description: 'The decision time; plugins must use this, not a clock' }),
  },
  { additionalProperties: false },
);

const ServicePlanOutput = Type.Object(
  {
    stages: Type.Array(ServiceStagePlan, { minItems: 1, maxItems: MAX_STAGES }),
    reason: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

/**
 * Checks a plan beyond its schema: at most 10 stages, a label on every custom stage, ratios summing to
 * exactly 10000, and non-refundable stages within 20 % of the order (by ratio and by amount). Each
 * problem names its JSON path, e.g. `/stages/2/label`.
 *
 * @example checkServicePlan([{ kind: 'installation', ratioBps: 10_000, needsAppointment: true, refundable: true, due: 'on_creation' }], 100) // []
 */
export function checkServicePlan(stages: readonly ServiceStagePlan[], totalFen: number, base = '/stages'): OutputProblem[] {
  const problems: OutputProblem[] = [];
  if (stages.length === 0) problems.push({ path: base, message: 'a plan has at least one stage' });
  if (stages.length > MAX_STAGES) problems.push({ path: base, message: `a plan has at most ${MAX_STAGES} stages, got ${stages.length}` });
  stages.forEach((stage, index) => {
    if (!(STAGE_KINDS as readonly string[]).includes(stage.kind)) {
      problems.push({ path: `${base}/${index}/kind`, message: `unknown stage kind "${String(stage.kind)}" (known: ${STAGE_KINDS.join(', ')})` });
    }
    if (stage.kind === 'custom' && !stage.label?.trim()) problems.push({ path: `${base}/${index}/label`, message: 'a custom stage needs a label' });
    if (!Number.isInteger(stage.ratioBps) || stage.ratioBps < 0 || stage.ratioBps > FULL_RATIO_BPS) {
      problems.push({ path: `${base}/${index}/ratioBps`, message: `a ratio is an integer of basis points 0–10000, got ${stage.ratioBps}` });
    }
  });
  if (problems.length > 0) return problems;
  const sum = stages.reduce((total, stage) => total + stage.ratioBps, 0);
  if (sum !== FULL_RATIO_BPS) {
    problems.push({ path: base, message: `stage ratios must sum to exactly 10000 basis points, got ${sum}` });
    return problems;
  }
  const amounts = stageAmounts(totalFen, stages.map((stage) => stage.ratioBps));
  const nonRefundable = stages.flatMap((stage, index) => (stage.refundable ? [] : [index]));
  const nonRefundableBps = nonRefundable.reduce((total, index) => total + stages[index]!.ratioBps, 0);
  const nonRefundableFen = nonRefundable.reduce((total, index) => total + amounts[index]!, 0);
  if (nonRefundableBps > MAX_NON_REFUNDABLE_BPS || !withinDepositLimit(totalFen, nonRefundableFen)) {
    const first = nonRefundable.findLast(() => true) ?? 0;
    problems.push({
      path: `${base}/${first}/refundable`,
      message: `non-refundable stages total ${nonRefundableBps} bps (${nonRefundableFen} fen); a forfeitable deposit may be at most 20 % (2000 bps) of the order`,
    });
  }
  return problems;
}

/** The platform default plan: one full payment, refundable, due at once. */
export function singleFullPaymentPlan(): ServiceStagePlan[] {
  return [{ kind: 'custom', label: 'Full payment', ratioBps: FULL_RATIO_BPS, needsAppointment: false, refundable: true, due: 'on_creation' }];
}

/** `service.plan` (服务通): splits a service order into payment stages. Exclusive; fallback one full payment. */
export const servicePlan = {
  id: 'service.plan',
  apiVersion: '2026-11',
  primitive: '服务通',
  title: 'Plan a service order’s payment stages',
  description:
    'Splits a service order (e.g. custom furniture) into stages — deposit, measurement, design, installation, final payment — each with its share of the price in basis points, whether it needs an appointment, whether it is refundable and when it falls due. The host computes the amounts.',
  input: ServicePlanInput,
  output: ServicePlanOutput,
  budget: SYNC_POINT_BUDGET,
  combine: 'exclusive',
  permissions: ['service:read'],
  fallback: 'a single full payment (one refundable stage of 10000 bps, due on creation)',
  fallbackOutput() {
    return { stages: singleFullPaymentPlan(), reason: 'platform default: single full payment' };
  },
  checkOutput(input, output) {
    const totalFen = (input as { order: { totalFen: number } }).order.totalFen;
    return checkServicePlan((output as { stages: ServiceStagePlan[] }).stages, totalFen);
  },
} satisfies ExtensionPointSpec<typeof ServicePlanInput, typeof ServicePlanOutput>;
