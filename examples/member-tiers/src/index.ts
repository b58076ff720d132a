import { definePlugin } from '@tongkit/sdk';
import { decideTier } from './decide.js';
import { settingsSchema } from './settings.js';

/**
 * A brand's five-level member programme — 普通 regular / 银卡 silver / 金卡 gold / 白金 platinum /
 * 黑金 black — decided by 12-month spend (store spend weighted to reward store visits) and growth value,
 * with downgrade protection until a tier expires. The rules are in ./decide.ts; the merchant settings
 * form is generated from ./settings.ts.
 */
export default definePlugin({
  name: 'member-tiers',
  version: '1.0.0',
  apiVersion: '2026-11',
  description: 'Five-level member tiers (普通/银卡/金卡/白金/黑金) by 12-month spend and growth value, with downgrade protection',
  permissions: ['member:read'],
  settings: settingsSchema,
  extensions: {
    'member.tier.compute': (input, { settings }) => decideTier(input, settings),
  },
});
