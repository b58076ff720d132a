import { Type } from '@sinclair/typebox';
import { merchantScope } from '../../platform/auth/principal.js';
import type { HostApp } from '../../platform/http/app.js';
import type { Inventory } from './inventory.js';
import { BillResult, InventoryBill, Sku, StockLevel } from './schemas.js';
import { MerchantQuery } from '../../platform/http/merchant-query.js';

const merchantOnly = { auth: ['merchant'] as ['merchant'] };

/** Inventory over HTTP: bills (idempotent by the merchant's bill number) and stock per store. */
export function registerInventoryRoutes(app: HostApp, inventory: Inventory): void {
  app.post(
    '/v1/inventory/bills',
    {
      config: merchantOnly,
      bodyLimit: 64 * 1024,
      schema: {
        summary: 'Apply an inventory bill: inbound, outbound (a till sale), adjustment, reservation, release or fulfilment',
        description: 'Idempotent by bill number: the same number and body again answers 200 `duplicate` with the first outcome; another body is TK_CONFLICT. Applied: 201.',
        tags: ['inventory'],
        querystring: MerchantQuery,
        body: InventoryBill,
        response: { 200: BillResult, 201: BillResult },
      },
    },
    async (request, reply) => {
      const result = await inventory.applyBill(merchantScope(request.principal, request.query.merchantId), request.body);
      return reply.status(result.status === 'applied' ? 201 : 200).send(result);
    },
  );
  app.get(
    '/v1/stores/:storeId/stock',
    {
      config: merchantOnly,
      schema: {
        summary: 'Stock of a store, per SKU (on hand, reserved, available, needs a count)',
        tags: ['inventory'],
        params: Type.Object({ storeId: Type.String({ minLength: 1, maxLength: 64 }) }),
        querystring: Type.Object({ ...MerchantQuery.properties, sku: Type.Optional(Type.Array(Sku, { maxItems: 100 })) }),
        response: { 200: Type.Object({ items: Type.Array(StockLevel) }) },
      },
    },
    async (request) => ({
      items: await inventory.stock(merchantScope(request.principal, request.query.merchantId), request.params.storeId, request.query.sku, '/params/storeId'),
    }),
  );
}
