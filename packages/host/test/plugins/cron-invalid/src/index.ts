import { definePlugin } from '@tongkit/sdk';

/** A cron trigger whose expression has an hour of 25: refused at build with the path. */
export default definePlugin({
  name: 'test-cron-invalid',
  version: '1.0.0',
  apiVersion: '2026-11',
  schedules: [
    { name: 'fine', cron: '0 3 * * *', handler: () => undefined },
    { name: 'broken', cron: '0 25 * * *', handler: () => undefined },
  ],
});
