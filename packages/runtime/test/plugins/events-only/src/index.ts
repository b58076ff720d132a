import { definePlugin } from '@tongkit/sdk';

// Implements no extension point, only an event handler.
export default definePlugin({
  name: 'test-events-only',
  version: '1.0.0',
  apiVersion: '2026-11',
  events: {
    'order.paid': () => {},
  },
});
