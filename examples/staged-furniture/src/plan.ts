import type { PointInput, ServiceStagePlan } from '@tongkit/sdk';
import type { Ratios, Settings } from './settings.js';

type PlanInput = PointInput<'service.plan'>;

/** The five furniture stages with the given ratios: which need a visit, which are refundable, when each falls due. */
export function furnitureStages(r: Ratios): ServiceStagePlan[] {
  return [
    // The deposit (定金) is forfeited if the buyer walks away: it is the one non-refundable stage.
    { kind: 'design_order', ratioBps: r.designOrderBps, needsAppointment: false, refundable: false, due: 'on_creation' },
    { kind: 'measurement', ratioBps: r.measurementBps, needsAppointment: true, refundable: true, due: 'after_previous_completes' },
    { kind: 'design_delivery', ratioBps: r.designDeliveryBps, needsAppointment: false, refundable: true, due: 'after_previous_completes' },
    { kind: 'install_appointment', ratioBps: r.installAppointmentBps, needsAppointment: true, refundable: true, due: 'after_previous_completes' },
    // 尾款: due once every earlier stage is completed (the installation visit done).
    { kind: 'installation', ratioBps: r.finalBps, needsAppointment: false, refundable: true, due: 'after_completion' },
  ];
}

/**
 * The plan of one order: a small order (below `smallOrderBelowFen`) pays a measurement share and the
 * rest after installation; otherwise the category's plan, else the default ratios. The settings the
 * host passes are already the store's (a store override wins over the merchant's).
 */
export function planOrder(input: PlanInput, settings: Settings): { stages: ServiceStagePlan[]; reason: string } {
  const { order } = input;
  if (order.totalFen < settings.smallOrderBelowFen) {
    const measurement = settings.smallOrderMeasurementBps;
    return {
      stages: [
        { kind: 'measurement', ratioBps: measurement, needsAppointment: true, refundable: true, due: 'on_creation' },
        { kind: 'installation', ratioBps: 10_000 - measurement, needsAppointment: true, refundable: true, due: 'after_previous_completes' },
      ],
      reason: `small order (below ${settings.smallOrderBelowFen} fen): measurement, then installation`,
    };
  }
  const byCategory = settings.categoryPlans.find((p) => p.category === order.category);
  const ratios = { ...defaults, ...(byCategory?.ratios ?? settings.ratios) };
  return { stages: furnitureStages(ratios), reason: byCategory ? `the ${order.category} plan` : 'the default plan' };
}

const defaults: Ratios = { designOrderBps: 1_000, measurementBps: 1_000, designDeliveryBps: 3_000, installAppointmentBps: 0, finalBps: 5_000 };
