import { definePlugin } from '@tongkit/sdk';

// member.points.earn that always throws: it must contribute nothing, and not stop the others.
export default definePlugin({
  name: 'test-earn-failing',
  version: '1.0.0',
  apiVersion: '2026-11',
  description: 'Always fails (test plugin)',
  permissions: ['member:read', 'orders:read'],
  extensions: {
    'member.points.earn': () => {
      throw new Error('the loyalty CRM is down');
    },
  },
});
