import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { HostModuleFactory } from '../../platform/modules/host-module.js';
import { guidesHostApi } from './host-api.js';
import { registerGuideRoutes } from './routes.js';
import { guidesOf } from './services.js';

export { guidesOf, type GuideServices } from './services.js';
export { CommissionLedger, type Attribution, type CommissionOrder, type Split } from './commission-ledger.js';
export { CommissionWorker } from './commission-worker.js';
export { signalsOf, SIGNAL_THRESHOLDS, type SignalsReport } from './signals.js';
export { DEFAULT_GUIDE_SETTINGS, type GuideSettings } from './settings.js';

/**
 * 导购 as a host module: guides, relations with protection windows, shares and clicks, attribution and
 * the commission ledger, monthly statements and the anti-diversion signals (migration 100); the
 * `/v1/guides…` routes, `ctx.guides`, the guide events, and the monthly settlement schedule.
 */
export const guidesModule: HostModuleFactory = (platform) => {
  const services = guidesOf(platform);
  return {
    name: 'guides',
    migrations: ['100_guides.sql'],
    routes: async (app) => registerGuideRoutes(app.withTypeProvider<TypeBoxTypeProvider>(), services),
    hostApis: { guides: guidesHostApi(services) },
    emits: ['guide.relation.changed', 'order.attributed', 'commission.accrued', 'commission.reversed'],
    schedules: [
      {
        name: 'guide-statements',
        // Early on the 1st: the previous local month has ended for every merchant by then.
        cron: '30 2 1 * *',
        async run(_platform, firedAt) {
          await services.statements.settleDue(firedAt);
        },
      },
    ],
  };
};
