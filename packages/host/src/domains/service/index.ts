import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { singleFullPaymentPlan, type ServiceStagePlan } from '@tongkit/sdk';
import type { HostModuleFactory, HostPlatform } from '../../platform/modules/host-module.js';
import { membersOf } from '../members/index.js';
import { ordersOf } from '../orders/index.js';
import { ServiceStore } from './service-store.js';
import { Appointments } from './appointments.js';
import { appointmentsHostApi, serviceHostApi, vouchersHostApi } from './host-api.js';
import { PaymentCallbacks } from './payments.js';
import { registerAppointmentRoutes } from './appointment-routes.js';
import { registerServiceRoutes } from './routes.js';
import { registerVoucherRoutes } from './voucher-routes.js';
import { ServiceOrders, type ServicePlanner } from './service-orders.js';
import { Vouchers } from './vouchers.js';

/** The services of the module, shared by its routes and host APIs. */
export interface ServiceModuleServices {
  serviceOrders: ServiceOrders;
  payments: PaymentCallbacks;
  appointments: Appointments;
  vouchers: Vouchers;
}

const services = new WeakMap<HostPlatform, ServiceModuleServices>();

/** The `service.plan` decision through the platform's extension invoker (single full payment without one). */
function plannerOf(platform: HostPlatform): ServicePlanner {
  return async (merchantId, input, storeId) => {
    if (!platform.invokePoint) return { stages: singleFullPaymentPlan(), source: 'platform', installId: null };
    const decision = await platform.invokePoint(merchantId, 'service.plan', input, storeId);
    return { stages: (decision.output as { stages: ServiceStagePlan[] }).stages, source: decision.source, installId: decision.installId };
  };
}

/** The service-order services of a platform, built once and shared by routes and host APIs. */
export function serviceOf(platform: HostPlatform): ServiceModuleServices {
  let built = services.get(platform);
  if (!built) {
    const serviceOrders = new ServiceOrders(platform.db, ordersOf(platform), platform.publishIn, plannerOf(platform));
    built = { serviceOrders, payments: new PaymentCallbacks(platform.db, serviceOrders), appointments: new Appointments(platform.db, serviceOrders, platform.publishIn), vouchers: new Vouchers(platform.db, platform.publishIn) };
    services.set(platform, built);
    // A member who prepaid for work not yet done is not erased: the money would be left with no one to
    // refund it to. Added once per platform, with the services.
    membersOf(platform).addDeletionGuard(async (tx, merchantId, memberId) => {
      const prepaid = await new ServiceStore(tx).prepaidOfMember(merchantId, memberId);
      if (prepaid.fen === 0) return undefined;
      return {
        code: 'PREPAID_BALANCE_OUTSTANDING',
        message: `the member prepaid ${prepaid.fen} fen for service stages not yet done (orders ${prepaid.orderIds.join(', ')}): complete or refund them, then delete the member`,
      };
    });
  }
  return built;
}

/**
 * Service orders (服务通) as a host module: tables of migration 070 (service orders, stages and their
 * transitions, payment intents, secrets, callbacks, refunds), the `/v1/service-orders` and
 * `/v1/payments` routes, `ctx.service`, and the stage events.
 */
export const serviceModule: HostModuleFactory = (platform) => {
  const built = serviceOf(platform);
  return {
    name: 'service',
    migrations: ['070_service_orders.sql', '071_appointments.sql', '072_vouchers.sql', '073_appointment_hours_slots.sql'],
    routes: async (app) => {
      const typed = app.withTypeProvider<TypeBoxTypeProvider>();
      registerServiceRoutes(typed, built);
      registerAppointmentRoutes(typed, built.appointments);
      registerVoucherRoutes(typed, built.vouchers, platform.memberExists);
    },
    hostApis: { service: serviceHostApi(built.serviceOrders), appointments: appointmentsHostApi(built.appointments), vouchers: vouchersHostApi(built.vouchers, platform.memberExists) },
    emits: ['service.stage.changed', 'service.stage.paid', 'service.stage.refunded', 'service.stage.completed', 'appointment.booked', 'appointment.completed', 'voucher.redeemed'],
  };
};
