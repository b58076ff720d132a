import { Type } from '@sinclair/typebox';
import { MutationOptionsSchema, defineHostNamespace } from './method.js';

/** A SKU code: the merchant's own, 1–64 characters. */
export const SkuSchema = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$', description: 'the merchant’s SKU code' });
const StoreIdSchema = Type.String({ minLength: 1, maxLength: 64 });
const ReservationIdSchema = Type.String({ minLength: 1, maxLength: 128, description: 'the allocation the reservation is for' });

/** Stock of one SKU at one store (a warehouse is a store-like location). */
export const StockLevelSchema = Type.Object({
  storeId: Type.String(),
  sku: Type.String(),
  onHand: Type.Integer({ description: 'may be below zero after a till sale: then needsCount' }),
  reserved: Type.Integer(),
  available: Type.Integer({ description: 'on hand − reserved, never below 0' }),
  needsCount: Type.Boolean({ description: 'on hand went below zero: the store should count it' }),
});

/** Why an inventory bill was rejected: a business outcome, not a malformed request. */
export const INVENTORY_REJECTIONS = ['insufficient_stock', 'on_hand_negative', 'reservation_exists', 'reservation_not_found', 'reservation_short', 'reservation_not_open'] as const;

/** The outcome of an inventory bill (a reservation and a release are bills too). */
export const InventoryBillResultSchema = Type.Object({
  billNo: Type.String(),
  kind: Type.String(),
  status: Type.Union([Type.Literal('applied'), Type.Literal('duplicate'), Type.Literal('rejected')]),
  firstStatus: Type.Optional(Type.Union([Type.Literal('applied'), Type.Literal('rejected')], { description: 'for a duplicate: what the first bill with this number did' })),
  reason: Type.Optional(Type.Union(INVENTORY_REJECTIONS.map((r) => Type.Literal(r)))),
  stock: Type.Array(StockLevelSchema, { description: 'the stock rows the bill touched, after it' }),
  shortReservations: Type.Array(Type.Object({ reservationId: Type.String(), sku: Type.String(), quantity: Type.Integer() }), {
    description: 'reservation lines the bill left uncovered (marked short, to be reallocated)',
  }),
  insufficient: Type.Optional(Type.Array(Type.Object({ sku: Type.String(), requested: Type.Integer(), available: Type.Integer() }))),
});

const Lines = Type.Array(Type.Object({ sku: SkuSchema, quantity: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }) }, { additionalProperties: false }), { minItems: 1, maxItems: 200 });

/**
 * `ctx.inventory`: stock per (store, SKU) of the installing merchant. Reading needs `inventory:read`;
 * holding and giving back goods for an allocation `inventory:write`. A reservation holds all its lines or
 * none, never more than is available; the call's idempotency key (default: the event id and the
 * reservation) makes a redelivered event hold nothing twice.
 */
export const INVENTORY_HOST_API = defineHostNamespace({
  summary: 'Stock per store and SKU; reservations for allocations.',
  methods: {
    get: {
      summary: 'Stock of some SKUs at one of the merchant’s stores (SKUs it never stocked are left out).',
      permission: 'inventory:read',
      params: [{ name: 'query', schema: Type.Object({ storeId: StoreIdSchema, skus: Type.Array(SkuSchema, { minItems: 1, maxItems: 100 }) }, { additionalProperties: false }) }],
      result: Type.Array(StockLevelSchema),
    },
    reserve: {
      summary: 'Holds goods at a store for an allocation: all lines or none (rejected `insufficient_stock`).',
      permission: 'inventory:write',
      mutates: true,
      params: [
        { name: 'reservation', schema: Type.Object({ reservationId: ReservationIdSchema, storeId: StoreIdSchema, lines: Lines }, { additionalProperties: false }) },
        { name: 'options', schema: MutationOptionsSchema, optional: true },
      ],
      result: InventoryBillResultSchema,
    },
    release: {
      summary: 'Gives a reservation’s goods back.',
      permission: 'inventory:write',
      mutates: true,
      params: [
        { name: 'reservation', schema: Type.Object({ reservationId: ReservationIdSchema }, { additionalProperties: false }) },
        { name: 'options', schema: MutationOptionsSchema, optional: true },
      ],
      result: InventoryBillResultSchema,
    },
  },
});
