import { definePlugin } from '@tongkit/sdk';
import { planOrder } from './plan.js';
import { settingsSchema } from './settings.js';

/**
 * A custom-furniture brand's staged payment (服务通): 定金 design order (10 %, non-refundable) → 量尺
 * measurement visit (10 %) → 设计 design delivery (30 %) → 预约安装 installation booking (0 %) → 尾款
 * final payment after installation (50 %). Plans differ by category and order size; a store can
 * override the ratios. The host checks the plan (ratios sum to 10000, deposit ≤ 20 %) and falls back to
 * a single full payment when it is wrong.
 */
export default definePlugin({
  name: 'staged-furniture',
  version: '1.0.0',
  apiVersion: '2026-11',
  description: 'Staged payment plan for custom furniture: deposit, measurement, design, installation booking, final payment',
  permissions: ['service:read'],
  settings: settingsSchema,
  extensions: {
    'service.plan': (input, { settings }) => planOrder(input, settings),
  },
});
