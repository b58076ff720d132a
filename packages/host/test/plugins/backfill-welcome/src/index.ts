import { Type } from '@sinclair/typebox';
import { definePlugin } from '@tongkit/sdk';

// A backfill plugin for the host's tests: every member who existed at install gets welcome points, keyed
// by the member (a page delivered twice, or sent again after a resume, grants nothing twice). A page
// number in `failPage` makes that page fail, for the failure and resume tests. `install.created` is kept
// in KV for the test to see it arrived once.
export default definePlugin({
  name: 'test-backfill-welcome',
  version: '1.0.0',
  apiVersion: '2026-11',
  description: 'Welcome points for the members who existed at install (test plugin)',
  permissions: ['points:write', 'member:read', 'storage:kv'],
  settings: Type.Object({
    welcomePoints: Type.Integer({ minimum: 1, default: 10 }),
    failPage: Type.Integer({ minimum: 0, default: 0 }),
  }),
  events: {
    'install.created': async (event, ctx) => {
      await ctx.kv.increment('created', 1);
      await ctx.kv.set('createdData', { installId: event.data.installId, plugin: event.data.plugin, version: event.data.version });
    },
    'install.backfill': async (event, ctx) => {
      if (event.data.page === ctx.settings.failPage) throw new Error(`page ${event.data.page} fails on purpose`);
      for (const memberId of event.data.memberIds) {
        await ctx.points.grant({ memberId, points: ctx.settings.welcomePoints, reason: 'welcome (backfill)', idempotencyKey: `welcome:${memberId}` });
      }
      await ctx.kv.set(`page:${event.data.page}`, { before: event.data.membersBefore, total: event.data.membersTotal, last: event.data.last, n: event.data.memberIds.length });
    },
  },
});
