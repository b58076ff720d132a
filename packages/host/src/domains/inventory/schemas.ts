import { Type, type Static } from '@sinclair/typebox';
import { INVENTORY_REJECTIONS, InventoryBillResultSchema, SkuSchema, StockLevelSchema } from '@tongkit/sdk';

/** A SKU code: the merchant's own, 1–64 characters. */
export const Sku = SkuSchema;
export const StoreId = Type.String({ minLength: 1, maxLength: 64 });
export const BillNo = Type.String({ minLength: 1, maxLength: 128, description: 'the merchant’s bill number: the same number and body again is a duplicate' });
export const ReservationId = Type.String({ minLength: 1, maxLength: 128, description: 'the allocation the reservation is for' });
const Quantity = Type.Integer({ minimum: 1, maximum: 1_000_000_000 });
const Lines = Type.Array(Type.Object({ sku: Sku, quantity: Quantity }, { additionalProperties: false }), { minItems: 1, maxItems: 200 });

const bill = <K extends string, P extends Record<string, import('@sinclair/typebox').TSchema>>(kind: K, props: P, description: string) =>
  Type.Object({ billNo: BillNo, kind: Type.Literal(kind), ...props }, { additionalProperties: false, description });

/**
 * An inventory bill: the one way stock changes. Each names one store (a reservation's release and
 * fulfilment name the reservation, whose store is known).
 */
export const InventoryBill = Type.Union([
  bill('inbound', { storeId: StoreId, lines: Lines }, 'goods received: on hand goes up'),
  bill('outbound', { storeId: StoreId, lines: Lines }, 'a sale at a till that already happened: always applies'),
  bill(
    'adjustment',
    {
      storeId: StoreId,
      reason: Type.String({ minLength: 1, maxLength: 200, description: 'why: stock count, damage, …' }),
      lines: Type.Array(Type.Object({ sku: Sku, delta: Type.Integer({ minimum: -1_000_000_000, maximum: 1_000_000_000 }) }, { additionalProperties: false }), {
        minItems: 1,
        maxItems: 200,
      }),
    },
    'a correction with its reason: on hand changes by delta, never below zero',
  ),
  bill('reservation', { storeId: StoreId, reservationId: ReservationId, lines: Lines }, 'holds goods for an allocation: all lines or none, never more than available'),
  bill('release', { reservationId: ReservationId }, 'gives a reservation’s goods back'),
  bill('fulfilment', { reservationId: ReservationId }, 'ships a reservation: reserved and on hand go down'),
]);
export type InventoryBill = Static<typeof InventoryBill>;
export type InventoryBillKind = InventoryBill['kind'];

/** A stock row as callers see it (the SDK's schema: plugins get the same shape). */
export const StockLevel = StockLevelSchema;
export type StockLevel = Static<typeof StockLevel>;

/** Why a bill was rejected (a business outcome, not a malformed request). */
export const BILL_REJECTIONS = INVENTORY_REJECTIONS;
export type BillRejection = (typeof BILL_REJECTIONS)[number];

/** The outcome of a bill: applied now, a duplicate of an earlier bill with the same number and body, or rejected. */
export const BillResult = InventoryBillResultSchema;
export type BillResult = Static<typeof BillResult>;
