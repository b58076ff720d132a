import { definePlugin, Type } from '@tongkit/sdk';
import { routeOrder } from './route.js';

/**
 * Nearest-store routing (商品通): decides which store(s) fulfil an online order from what the host gives
 * it — distances it computed (never the customer's location), stock per line, capacity left today,
 * opening, priority and earlier refusals. The host checks every answer, reserves the goods and runs the
 * acceptance saga (accept within the SLA, refuse, reallocate).
 */
export default definePlugin({
  name: 'nearest-store-routing',
  version: '1.0.0',
  apiVersion: '2026-11',
  description: 'Routes online orders to the nearest stores that have the goods, within a maximum distance',
  permissions: ['inventory:read', 'orders:read'],
  settings: Type.Object({
    maxDistanceM: Type.Integer({ minimum: 100, maximum: 100_000, default: 5000, title: 'Maximum distance (m)' }),
    preferSingleStore: Type.Boolean({ default: true, title: 'One store for the whole order when possible (else split by line)' }),
    priorityWeightM: Type.Integer({ minimum: 0, maximum: 10_000, default: 0, title: 'Metres one point of store priority is worth' }),
  }),
  extensions: {
    'order.route': (input, { settings }) => routeOrder(input, settings),
  },
});
