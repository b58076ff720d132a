import { Type } from '@sinclair/typebox';
import { Appointment, BookingResult, OrderId, ServiceDay, ServiceTime, StoreRef, TkError } from '@tongkit/sdk';
import type { Principal } from '../../platform/auth/principal.js';
import type { ResolvedTenant } from '../../platform/auth/route-tenant.js';
import type { HostApp } from '../../platform/http/app.js';
import { MerchantQuery } from '../../platform/http/merchant-query.js';
import type { Appointments } from './appointments.js';

const forMerchant = { auth: ['merchant'] as ['merchant'], tenant: { merchant: { query: 'merchantId' } } };
/** Visits are done at stores: store and staff tokens reach their own store's, nothing else. */
const atStore = { auth: ['merchant', 'store', 'staff'] as ['merchant', 'store', 'staff'], tenant: { merchant: { query: 'merchantId' } } };
const ofStore = { auth: ['merchant', 'store', 'staff'] as ['merchant', 'store', 'staff'], tenant: { merchant: { query: 'merchantId' }, store: { param: 'storeId' } } };

const AppointmentId = Type.String({ pattern: '^ap_[a-f0-9]{20}$' });
const AppointmentParams = Type.Object({ appointmentId: AppointmentId });
const StoreParams = Type.Object({ storeId: StoreRef });
const Kind = Type.String({ pattern: '^[a-z_]{1,40}$', description: 'The stage kind (measurement, installation, …)' });
const StoreCapacitySchema = Type.Object(
  {
    storeId: Type.String(),
    kind: Type.String(),
    perDay: Type.Integer({ minimum: 0 }),
    closedWeekdays: Type.Array(Type.Integer({ minimum: 0, maximum: 6 })),
    closedDates: Type.Array(ServiceDay),
    opensAt: Type.Union([ServiceTime, Type.Null()]),
    closesAt: Type.Union([ServiceTime, Type.Null()]),
    slotMinutes: Type.Union([Type.Integer(), Type.Null()]),
    perSlot: Type.Union([Type.Integer(), Type.Null()]),
  },
  { additionalProperties: false },
);
const CapacityBody = Type.Object(
  {
    perDay: Type.Integer({ minimum: 0, maximum: 1000, description: 'Visits of this kind a day' }),
    closedWeekdays: Type.Optional(Type.Array(Type.Integer({ minimum: 0, maximum: 6 }), { maxItems: 7, description: '0 = Sunday … 6 = Saturday' })),
    closedDates: Type.Optional(Type.Array(ServiceDay, { maxItems: 366, description: 'Holidays' })),
    opensAt: Type.Optional(ServiceTime),
    closesAt: Type.Optional(ServiceTime),
    slotMinutes: Type.Optional(Type.Integer({ minimum: 15, maximum: 720 })),
    perSlot: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
  },
  { additionalProperties: false },
);
const DaySheet = Type.Object(
  {
    storeId: Type.String(),
    day: ServiceDay,
    availability: Type.Array(
      Type.Object({
        kind: Type.String(),
        open: Type.Boolean(),
        capacity: Type.Integer(),
        booked: Type.Integer(),
        slots: Type.Array(Type.Object({ slot: ServiceTime, capacity: Type.Integer(), booked: Type.Integer() }, { additionalProperties: false })),
      }),
    ),
    appointments: Type.Array(Appointment),
  },
  { additionalProperties: false },
);
const Changed = Type.Object({ result: Type.Union([Type.Literal('applied'), Type.Literal('duplicate')]), appointment: Appointment }, { additionalProperties: false });
const When = { storeId: StoreRef, day: ServiceDay, slot: Type.Optional(ServiceTime) };
const statusOf = (result: string) => (result === 'applied' ? 201 : 200);

/**
 * The store a visit route is limited to: a store token's store, a staff token's store (a staff member
 * at no store reaches no visit), or none for the merchant and admins.
 */
function visitStore(principal: Principal, tenant: ResolvedTenant): string | undefined {
  if (principal.role !== 'store' && principal.role !== 'staff') return undefined;
  if (!tenant.storeId) throw new TkError('TK_NOT_FOUND', 'no appointment for a staff member who works at no store', { path: '/appointmentId' });
  return tenant.storeId;
}
const actorOf = (principal: Principal, tenant: ResolvedTenant) =>
  principal.role === 'staff' ? `staff:${tenant.staffId}` : principal.role === 'store' ? `store:${tenant.storeId}` : `merchant:${tenant.merchantId}`;

/**
 * Appointments over HTTP: a store's service capacity (per day, working hours, slots, closed days), the
 * reschedule limit, booking a paid stage's visit, rescheduling and cancelling it (the merchant); the
 * store's day sheet, the technician's sign-in and the completion with notes and photo IDs (the merchant,
 * or a store or staff token of the visit's store).
 */
export function registerAppointmentRoutes(app: HostApp, appointments: Appointments): void {
  const tenantOf = (request: { tenant: ResolvedTenant | undefined }) => request.tenant!;

  app.put(
    '/v1/stores/:storeId/service-capacity/:kind',
    {
      config: forMerchant,
      schema: { summary: 'Set a store’s service capacity for a stage kind: visits per day, working hours, slots, closed days', tags: ['service'], params: Type.Object({ storeId: StoreRef, kind: Kind }), querystring: MerchantQuery, body: CapacityBody, response: { 200: StoreCapacitySchema } },
    },
    async (request) => {
      const b = request.body;
      return appointments.configureCapacity(tenantOf(request).merchantId, {
        storeId: request.params.storeId,
        kind: request.params.kind,
        perDay: b.perDay,
        closedWeekdays: b.closedWeekdays ?? [],
        closedDates: b.closedDates ?? [],
        opensAt: b.opensAt ?? null,
        closesAt: b.closesAt ?? null,
        slotMinutes: b.slotMinutes ?? null,
        perSlot: b.perSlot ?? null,
      });
    },
  );

  app.get(
    '/v1/stores/:storeId/service-capacity',
    { config: ofStore, schema: { summary: 'A store’s service capacity per stage kind', tags: ['service'], params: StoreParams, querystring: MerchantQuery, response: { 200: Type.Object({ items: Type.Array(StoreCapacitySchema) }) } } },
    async (request) => ({ items: await appointments.capacities.ofStore(tenantOf(request).merchantId, request.params.storeId) }),
  );

  app.get(
    '/v1/stores/:storeId/appointments',
    {
      config: ofStore,
      schema: {
        summary: 'A store’s day sheet: what each stage kind still offers that day, and its appointments',
        tags: ['service'],
        params: StoreParams,
        querystring: Type.Composite([MerchantQuery, Type.Object({ day: ServiceDay })]),
        response: { 200: DaySheet },
      },
    },
    async (request) => {
      const { merchantId } = tenantOf(request);
      const { storeId } = request.params;
      const { day } = request.query;
      const kinds = (await appointments.capacities.ofStore(merchantId, storeId)).map((c) => c.kind);
      const availability = await Promise.all(kinds.map(async (kind) => {
        const a = await appointments.capacities.availability(merchantId, storeId, kind, day);
        return { kind, open: a.open, capacity: a.capacity, booked: a.booked, slots: a.slots };
      }));
      return { storeId, day, availability, appointments: await appointments.ofStoreDay(merchantId, storeId, day) };
    },
  );

  app.put(
    '/v1/service-settings',
    {
      config: forMerchant,
      schema: { summary: 'The merchant’s service settings: how many times an appointment may be rescheduled', tags: ['service'], querystring: MerchantQuery, body: Type.Object({ maxReschedules: Type.Integer({ minimum: 0, maximum: 20 }) }, { additionalProperties: false }), response: { 200: Type.Object({ maxReschedules: Type.Integer() }) } },
    },
    async (request) => ({ maxReschedules: await appointments.setMaxReschedules(tenantOf(request).merchantId, request.body.maxReschedules) }),
  );

  app.post(
    '/v1/service-orders/:id/stages/:stageNo/appointments',
    {
      config: forMerchant,
      schema: {
        summary: 'Book the visit of a paid stage at a store on a day (and slot): the stage is scheduled; never overbooked',
        tags: ['service'],
        params: Type.Object({ id: OrderId, stageNo: Type.Integer({ minimum: 1, maximum: 10 }) }),
        querystring: MerchantQuery,
        body: Type.Object(When, { additionalProperties: false }),
        response: { 200: BookingResult, 201: BookingResult },
      },
    },
    async (request, reply) => {
      const tenant = tenantOf(request);
      const { storeId, day, slot } = request.body;
      const booked = await appointments.book(tenant.merchantId, request.params.id, request.params.stageNo, storeId, day, actorOf(request.principal, tenant), slot ?? null);
      return reply.status(statusOf(booked.result)).send(booked);
    },
  );

  app.get(
    '/v1/appointments/:appointmentId',
    { config: atStore, schema: { summary: 'An appointment (a store or staff token: its own store’s only)', tags: ['service'], params: AppointmentParams, querystring: MerchantQuery, response: { 200: Appointment } } },
    async (request) => {
      const tenant = tenantOf(request);
      return appointments.get(tenant.merchantId, request.params.appointmentId, visitStore(request.principal, tenant));
    },
  );

  app.post(
    '/v1/appointments/:appointmentId/reschedule',
    {
      config: forMerchant,
      schema: { summary: 'Move a booked appointment to another day, slot or store (limited by the reschedule setting)', tags: ['service'], params: AppointmentParams, querystring: MerchantQuery, body: Type.Object(When, { additionalProperties: false }), response: { 200: BookingResult, 201: BookingResult } },
    },
    async (request, reply) => {
      const { storeId, day, slot } = request.body;
      const moved = await appointments.reschedule(tenantOf(request).merchantId, request.params.appointmentId, storeId, day, slot ?? null);
      return reply.status(statusOf(moved.result)).send(moved);
    },
  );

  app.post(
    '/v1/appointments/:appointmentId/cancel',
    {
      config: forMerchant,
      schema: { summary: 'Cancel a booked appointment: its seat is freed, the stage waits for a new one (paid)', tags: ['service'], params: AppointmentParams, querystring: MerchantQuery, body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }), response: { 200: Changed, 201: Changed } },
    },
    async (request, reply) => {
      const tenant = tenantOf(request);
      const cancelled = await appointments.cancel(tenant.merchantId, request.params.appointmentId, actorOf(request.principal, tenant), request.body.reason);
      return reply.status(statusOf(cancelled.result)).send(cancelled);
    },
  );

  app.post(
    '/v1/appointments/:appointmentId/sign-in',
    { config: atStore, schema: { summary: 'The technician signed in on arrival (a store or staff token of the visit’s store)', tags: ['service'], params: AppointmentParams, querystring: MerchantQuery, response: { 200: Changed, 201: Changed } } },
    async (request, reply) => {
      const tenant = tenantOf(request);
      const signed = await appointments.signIn(tenant.merchantId, request.params.appointmentId, { actor: actorOf(request.principal, tenant), storeId: visitStore(request.principal, tenant) });
      return reply.status(statusOf(signed.result)).send(signed);
    },
  );

  app.post(
    '/v1/appointments/:appointmentId/complete',
    {
      config: atStore,
      schema: {
        summary: 'Complete the visit with notes and photo IDs (not bytes): its stage completes',
        tags: ['service'],
        params: AppointmentParams,
        querystring: MerchantQuery,
        body: Type.Object(
          { notes: Type.Optional(Type.String({ maxLength: 2000 })), photoIds: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,128}$' }), { maxItems: 50 })) },
          { additionalProperties: false },
        ),
        response: { 200: Changed, 201: Changed },
      },
    },
    async (request, reply) => {
      const tenant = tenantOf(request);
      const done = await appointments.complete(tenant.merchantId, request.params.appointmentId, { actor: actorOf(request.principal, tenant), storeId: visitStore(request.principal, tenant) }, request.body.notes ?? null, request.body.photoIds ?? []);
      return reply.status(statusOf(done.result)).send(done);
    },
  );
}
