import { Type, type Static } from '@sinclair/typebox';

/** One plan's shares of the order, in basis points per stage (they must sum to 10000). */
const Ratios = Type.Object(
  {
    designOrderBps: Type.Integer({ minimum: 0, maximum: 2_000, default: 1_000, title: '定金 design order (deposit, non-refundable, ≤ 20 %)' }),
    measurementBps: Type.Integer({ minimum: 0, maximum: 10_000, default: 1_000, title: '量尺 measurement visit' }),
    designDeliveryBps: Type.Integer({ minimum: 0, maximum: 10_000, default: 3_000, title: '设计 design delivery' }),
    installAppointmentBps: Type.Integer({ minimum: 0, maximum: 10_000, default: 0, title: '预约安装 installation booking' }),
    finalBps: Type.Integer({ minimum: 0, maximum: 10_000, default: 5_000, title: '尾款 final payment, due after installation' }),
  },
  { additionalProperties: false },
);
/** A plan's ratios. */
export type Ratios = Static<typeof Ratios>;

/**
 * The brand's settings (the merchant's form is generated from this; a store may override any of it):
 * the default ratios (10/10/30/0/50 %), a plan per category, and a small-order plan below a threshold.
 */
export const settingsSchema = Type.Object(
  {
    ratios: Type.Object(Ratios.properties, { additionalProperties: false, default: {}, title: 'Default plan' }),
    categoryPlans: Type.Array(Type.Object({ category: Type.String({ minLength: 1, maxLength: 64 }), ratios: Ratios }, { additionalProperties: false }), {
      default: [],
      maxItems: 20,
      title: 'Plans by category (the largest line’s category)',
    }),
    smallOrderBelowFen: Type.Integer({ minimum: 0, default: 300_000, title: 'Orders below this (fen) pay in two steps: measurement, then everything after installation' }),
    smallOrderMeasurementBps: Type.Integer({ minimum: 0, maximum: 10_000, default: 2_000, title: 'Small orders: measurement share' }),
  },
  { additionalProperties: false },
);
/** The plugin's settings. */
export type Settings = Static<typeof settingsSchema>;
