import { definePlugin, Type } from '@tongkit/sdk';

/**
 * A service order paid in three stages: a deposit (定金, non-refundable, at most 20 %), a visit
 * (measurement or installation, booked with a store), and the final payment (尾款) after the work.
 * Merchants set the shares in the settings form the platform generates from this schema (a store can
 * override them). The host computes the amounts: floor(total × ratio / 10000), the remainder to the
 * last stage with a non-zero ratio.
 */
export default definePlugin({
  name: 'my-service-stages',
  version: '0.1.0',
  apiVersion: '2026-11',
  description: 'Deposit, a visit, and the final payment for service orders',
  permissions: ['service:read'],
  settings: Type.Object({
    depositBps: Type.Integer({ minimum: 0, maximum: 2_000, default: 1_000, title: 'Deposit (basis points, non-refundable, ≤ 2000)' }),
    visitBps: Type.Integer({ minimum: 0, maximum: 10_000, default: 3_000, title: 'Visit (basis points)' }),
  }),
  extensions: {
    'service.plan': (input, { settings }) => {
      const finalBps = 10_000 - settings.depositBps - settings.visitBps;
      return {
        stages: [
          { kind: 'design_order', label: 'Deposit', ratioBps: settings.depositBps, needsAppointment: false, refundable: false, due: 'on_creation' },
          { kind: 'measurement', ratioBps: settings.visitBps, needsAppointment: true, refundable: true, due: 'after_previous_completes' },
          // A plan whose ratios do not sum to 10000 is refused by the host (single full payment instead).
          { kind: 'installation', ratioBps: Math.max(0, finalBps), needsAppointment: false, refundable: true, due: 'after_completion' },
        ],
        reason: `${input.order.category}: deposit ${settings.depositBps / 100} %, visit ${settings.visitBps / 100} %`,
      };
    },
  },
});
